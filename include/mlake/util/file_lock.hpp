#pragma once

#include <mlake/util/fs.hpp>

#include <memory>
#include <string>

namespace mlake::util {

// An exclusive advisory lock (flock(2)) on a file, held for the lifetime of
// the object. The kernel drops it when the process dies, so a crash never
// leaves a stale lock. The holder writes who it is into the file, so that a
// process that cannot get the lock can say which process has it.
class FileLock
{
public:
  // Wait up to `timeout_ms` for the lock; throws Error(Exit::locked) naming
  // the holder when it is not free by then. `holder` describes this process
  // (e.g. "mlake add").
  FileLock(const fs::path& path, const std::string& holder, int timeout_ms);
  ~FileLock();
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

  // Try once without waiting; nullptr when another process holds it.
  static std::unique_ptr<FileLock> try_lock(const fs::path& path,
                                            const std::string& holder);

private:
  FileLock() = default;
  bool try_acquire(const fs::path& path, const std::string& holder);

  UniqueFd m_fd;
  bool m_held = false;
};

} // namespace mlake::util
