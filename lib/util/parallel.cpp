#include <mlake/util/interrupt.hpp>
#include <mlake/util/parallel.hpp>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <exception>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace mlake::util {

unsigned
default_jobs()
{
  if (const char* env = std::getenv("MLAKE_JOBS")) {
    try {
      int jobs = std::stoi(env);
      if (jobs > 0) {
        return static_cast<unsigned>(jobs);
      }
    } catch (const std::exception&) {
    }
  }
  return std::max(1u, std::thread::hardware_concurrency());
}

void
parallel_for(std::size_t count,
             unsigned jobs,
             const std::function<void(std::size_t)>& fn)
{
  std::atomic<std::size_t> next{0};
  std::atomic<bool> failed{false};
  std::exception_ptr error;
  std::mutex error_mutex;

  auto worker = [&] {
    for (;;) {
      if (failed.load(std::memory_order_relaxed) || interrupt_requested()) {
        return;
      }
      std::size_t i = next.fetch_add(1);
      if (i >= count) {
        return;
      }
      try {
        fn(i);
      } catch (...) {
        std::lock_guard<std::mutex> lock(error_mutex);
        if (!error) {
          error = std::current_exception();
        }
        failed = true;
      }
    }
  };

  unsigned threads =
      static_cast<unsigned>(std::min<std::size_t>(std::max(1u, jobs), count));
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < threads; ++t) {
    pool.emplace_back(worker);
  }
  worker();
  for (auto& thread : pool) {
    thread.join();
  }
  if (error) {
    std::rethrow_exception(error);
  }
  throw_if_interrupted();
}

} // namespace mlake::util
