#include <mlake/util/error.hpp>
#include <mlake/util/file_lock.hpp>

#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <string>

#include "test_support.hpp"

using mlake::Exit;
using mlake::test::error_of;
using mlake::test::TempDir;
namespace util = mlake::util;

namespace {

bool
contains(const std::string& text, const std::string& part)
{
  return text.find(part) != std::string::npos;
}

// A child process that takes the lock, says so through a pipe, waits until
// told to go on, and then dies without running any destructor.
class LockingChild
{
public:
  LockingChild(const std::filesystem::path& path, const std::string& holder)
  {
    REQUIRE(::pipe(m_ready) == 0);
    REQUIRE(::pipe(m_go) == 0);
    m_pid = ::fork();
    REQUIRE(m_pid >= 0);
    if (m_pid == 0) {
      ::close(m_ready[0]);
      ::close(m_go[1]);
      char status = 'k';
      try {
        new util::FileLock(path, holder, 1000); // leaked on purpose
      } catch (...) {
        status = 'e';
      }
      (void)!::write(m_ready[1], &status, 1);
      char c;
      (void)!::read(m_go[0], &c, 1);
      ::_exit(0);
    }
    ::close(m_ready[1]);
    ::close(m_go[0]);
    char status = 0;
    REQUIRE(::read(m_ready[0], &status, 1) == 1);
    REQUIRE(status == 'k');
  }
  ~LockingChild()
  {
    finish();
  }
  pid_t
  pid() const
  {
    return m_pid;
  }
  // Let the child exit and reap it.
  void
  finish()
  {
    if (m_pid > 0) {
      char c = 'g';
      (void)!::write(m_go[1], &c, 1);
      int status = 0;
      ::waitpid(m_pid, &status, 0);
      ::close(m_go[1]);
      ::close(m_ready[0]);
      m_pid = -1;
    }
  }

private:
  int m_ready[2] = {-1, -1};
  int m_go[2] = {-1, -1};
  pid_t m_pid = -1;
};

} // namespace

TEST_CASE("a held FileLock refuses a second one with Exit::locked", "[util]")
{
  TempDir dir;
  const auto path = dir / "lock";
  util::FileLock first(path, "mlake add", 1000);

  auto start = std::chrono::steady_clock::now();
  auto error = error_of([&] { util::FileLock second(path, "mlake gc", 100); });
  auto waited = std::chrono::steady_clock::now() - start;
  REQUIRE(error);
  CHECK(error->code() == Exit::locked);
  const std::string message = error->what();
  INFO(message);
  CHECK(contains(message, "mlake add"));
  CHECK(contains(message, std::to_string(::getpid())));
  CHECK_FALSE(contains(message, "mlake gc"));
  CHECK_FALSE(error->hint().empty());
  // It waited for the timeout, and not much longer.
  CHECK(waited >= std::chrono::milliseconds(100));
  CHECK(waited < std::chrono::seconds(3));
}

TEST_CASE("FileLock with a zero timeout fails at once when held", "[util]")
{
  TempDir dir;
  util::FileLock first(dir / "lock", "holder", 0);
  auto error = error_of([&] { util::FileLock second(dir / "lock", "x", 0); });
  REQUIRE(error);
  CHECK(error->code() == Exit::locked);
}

TEST_CASE("FileLock::try_lock returns nullptr while the lock is held", "[util]")
{
  TempDir dir;
  const auto path = dir / "lock";
  {
    auto held = util::FileLock::try_lock(path, "first");
    REQUIRE(held != nullptr);
    CHECK(util::FileLock::try_lock(path, "second") == nullptr);
    CHECK(util::FileLock::try_lock(path, "third") == nullptr);
  }
  // Released when the holder goes away.
  auto again = util::FileLock::try_lock(path, "fourth");
  CHECK(again != nullptr);
}

TEST_CASE("a failed try_lock leaves the holder's name in place", "[util]")
{
  TempDir dir;
  const auto path = dir / "lock";
  util::FileLock holder(path, "mlake add", 1000);
  const std::string before = mlake::test::slurp(path);
  REQUIRE(contains(before, "mlake add"));

  // A reader (mlake status, an index update) tries and gives up.
  CHECK(util::FileLock::try_lock(path, "mlake status") == nullptr);
  CHECK(mlake::test::slurp(path) == before);

  // So a writer that then waits in vain can still say who holds the lock.
  auto error = error_of([&] { util::FileLock writer(path, "mlake gc", 50); });
  REQUIRE(error);
  CHECK(error->code() == Exit::locked);
  INFO(error->what());
  CHECK(contains(error->what(), "mlake add"));
}

TEST_CASE("a released FileLock can be taken again", "[util]")
{
  TempDir dir;
  {
    util::FileLock a(dir / "lock", "a", 100);
  }
  util::FileLock b(dir / "lock", "b", 100);
  CHECK(util::FileLock::try_lock(dir / "lock", "c") == nullptr);
}

TEST_CASE("FileLock names the holder across processes", "[util]")
{
  TempDir dir;
  const auto path = dir / "lock";
  LockingChild child(path, "mlake checkout");

  auto error = error_of([&] { util::FileLock mine(path, "mlake add", 100); });
  REQUIRE(error);
  CHECK(error->code() == Exit::locked);
  const std::string message = error->what();
  INFO(message);
  CHECK(contains(message, "mlake checkout"));
  CHECK(contains(message, std::to_string(child.pid())));
  CHECK(util::FileLock::try_lock(path, "parent") == nullptr);

  // The child dies without releasing the lock itself: the kernel drops it.
  child.finish();
  auto after = util::FileLock::try_lock(path, "parent");
  CHECK(after != nullptr);
}

TEST_CASE("a second FileLock taken in a child process is refused", "[util]")
{
  TempDir dir;
  const auto path = dir / "lock";
  util::FileLock mine(path, "mlake reindex", 1000);

  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    int code = 0;
    try {
      util::FileLock theirs(path, "child", 100);
      code = 1; // got a lock that is held
    } catch (const mlake::Error& e) {
      if (e.code() != Exit::locked) {
        code = 2;
      } else if (!contains(e.what(), "mlake reindex")) {
        code = 3;
      }
    } catch (...) {
      code = 4;
    }
    ::_exit(code);
  }
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  REQUIRE(WIFEXITED(status));
  // 1: the lock was granted; 2: wrong exit code; 3: holder not named.
  CHECK(WEXITSTATUS(status) == 0);
}

TEST_CASE("FileLock in a folder that does not exist throws", "[util]")
{
  TempDir dir;
  auto error =
      error_of([&] { util::FileLock lock(dir / "no" / "lock", "x", 10); });
  REQUIRE(error);
  CHECK(error->code() != Exit::locked);
}
