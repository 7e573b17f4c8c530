#include <mlake/util/error.hpp>
#include <mlake/util/file_lock.hpp>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <thread>

namespace mlake::util {

bool
FileLock::try_acquire(const fs::path& path, const std::string& holder)
{
  if (!m_fd) {
    m_fd.reset(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
    if (!m_fd) {
      throw Error(Exit::usage,
                  "cannot open lock file " + quote(path.string()) + ": " +
                      errno_text(errno));
    }
  }
  if (::flock(m_fd.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK || errno == EINTR) {
      return false;
    }
    throw Error(Exit::usage,
                "cannot lock " + quote(path.string()) + ": " +
                    errno_text(errno));
  }
  m_held = true;
  char host[256] = "unknown";
  ::gethostname(host, sizeof(host) - 1);
  std::string who = "process " + std::to_string(::getpid()) + " (" + holder +
                    ") on " + host + "\n";
  if (::ftruncate(m_fd.get(), 0) == 0) {
    (void)::pwrite(m_fd.get(), who.data(), who.size(), 0);
  }
  return true;
}

FileLock::FileLock(const fs::path& path,
                   const std::string& holder,
                   int timeout_ms)
{
  auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (!try_acquire(path, holder)) {
    if (std::chrono::steady_clock::now() >= deadline) {
      std::string who = read_file_if_exists(path).value_or("");
      while (!who.empty() && (who.back() == '\n' || who.back() == '\r')) {
        who.pop_back();
      }
      throw Error(Exit::locked,
                  "the lake is locked by " +
                      (who.empty() ? std::string("another process") : who),
                  "wait for it to finish and try again");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
}

std::unique_ptr<FileLock>
FileLock::try_lock(const fs::path& path, const std::string& holder)
{
  std::unique_ptr<FileLock> lock(new FileLock());
  if (!lock->try_acquire(path, holder)) {
    return nullptr;
  }
  return lock;
}

FileLock::~FileLock()
{
  if (m_held) {
    // Leave an empty file behind: a holder's name in an unlocked file would
    // mislead the next waiter's message.
    (void)::ftruncate(m_fd.get(), 0);
  }
}

} // namespace mlake::util
