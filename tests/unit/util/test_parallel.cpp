#include <mlake/util/error.hpp>
#include <mlake/util/parallel.hpp>

#include <catch2/catch.hpp>

#include <stdlib.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

#include "test_support.hpp"

using mlake::Exit;
namespace util = mlake::util;

TEST_CASE("parallel_for runs every item exactly once", "[util]")
{
  const unsigned jobs = GENERATE(1u, 2u, 4u, 16u);
  const std::size_t count = GENERATE(std::size_t(1), 7, 1000);
  std::vector<std::atomic<int>> runs(count);
  util::parallel_for(count, jobs, [&](std::size_t i) { runs.at(i) += 1; });
  for (std::size_t i = 0; i < count; ++i) {
    INFO("item " << i << " with " << jobs << " jobs");
    CHECK(runs[i] == 1);
  }
}

TEST_CASE("parallel_for with no items calls nothing", "[util]")
{
  std::atomic<int> calls{0};
  util::parallel_for(0, 4, [&](std::size_t) { ++calls; });
  util::parallel_for(0, 1, [&](std::size_t) { ++calls; });
  CHECK(calls == 0);
}

TEST_CASE("parallel_for with one job runs in the calling thread, in order",
          "[util]")
{
  const auto me = std::this_thread::get_id();
  std::vector<std::size_t> order;
  bool other_thread = false;
  util::parallel_for(50, 1, [&](std::size_t i) {
    order.push_back(i);
    other_thread = other_thread || std::this_thread::get_id() != me;
  });
  REQUIRE(order.size() == 50);
  for (std::size_t i = 0; i < order.size(); ++i) {
    CHECK(order[i] == i);
  }
  CHECK_FALSE(other_thread);
}

TEST_CASE("parallel_for uses more than one thread when asked", "[util]")
{
  std::mutex mutex;
  std::set<std::thread::id> seen;
  util::parallel_for(8, 4, [&](std::size_t) {
    {
      std::lock_guard<std::mutex> lock(mutex);
      seen.insert(std::this_thread::get_id());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  });
  CHECK(seen.size() > 1);
  CHECK(seen.size() <= 4);
}

TEST_CASE("parallel_for rethrows the first exception and stops", "[util]")
{
  SECTION("one job: items after the failing one do not run")
  {
    std::vector<std::size_t> ran;
    CHECK_THROWS_WITH(util::parallel_for(100,
                                         1,
                                         [&](std::size_t i) {
                                           ran.push_back(i);
                                           if (i == 3 || i == 5) {
                                             throw std::runtime_error(
                                                 "boom " + std::to_string(i));
                                           }
                                         }),
                      "boom 3");
    CHECK(ran == std::vector<std::size_t>{0, 1, 2, 3});
  }
  SECTION("several jobs: the error comes back, the rest is cut short")
  {
    std::atomic<int> ran{0};
    CHECK_THROWS_WITH(util::parallel_for(10000,
                                         4,
                                         [&](std::size_t i) {
                                           ++ran;
                                           if (i == 10) {
                                             throw std::runtime_error("boom");
                                           }
                                           std::this_thread::sleep_for(
                                               std::chrono::microseconds(50));
                                         }),
                      "boom");
    CHECK(ran < 10000);
  }
  SECTION("an mlake::Error keeps its type and code")
  {
    auto error = mlake::test::error_of([] {
      util::parallel_for(20, 3, [](std::size_t i) {
        if (i == 7) {
          throw mlake::Error(Exit::not_found, "no object 7");
        }
      });
    });
    REQUIRE(error);
    CHECK(error->code() == Exit::not_found);
    CHECK(std::string(error->what()) == "no object 7");
  }
}

TEST_CASE("parallel_for with more jobs than items", "[util]")
{
  std::vector<std::atomic<int>> runs(3);
  util::parallel_for(3, 64, [&](std::size_t i) { runs.at(i) += 1; });
  CHECK(runs[0] == 1);
  CHECK(runs[1] == 1);
  CHECK(runs[2] == 1);
}

TEST_CASE("default_jobs honours MLAKE_JOBS", "[util]")
{
  const char* old = std::getenv("MLAKE_JOBS");
  std::string saved = old ? old : "";
  ::setenv("MLAKE_JOBS", "3", 1);
  CHECK(util::default_jobs() == 3);
  ::setenv("MLAKE_JOBS", "not a number", 1);
  CHECK(util::default_jobs() >= 1);
  ::setenv("MLAKE_JOBS", "0", 1);
  CHECK(util::default_jobs() >= 1);
  ::unsetenv("MLAKE_JOBS");
  CHECK(util::default_jobs() >= 1);
  if (old) {
    ::setenv("MLAKE_JOBS", saved.c_str(), 1);
  }
}
