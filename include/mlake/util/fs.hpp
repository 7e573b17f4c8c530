#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace mlake::util {

namespace fs = std::filesystem;

// An owned file descriptor, closed on destruction.
class UniqueFd
{
public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : m_fd(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : m_fd(other.release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept;
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd();

  int
  get() const noexcept
  {
    return m_fd;
  }
  explicit operator bool() const noexcept
  {
    return m_fd >= 0;
  }
  int release() noexcept;
  void reset(int fd = -1) noexcept;

private:
  int m_fd = -1;
};

// What mlake needs to know of a file to decide whether it changed.
struct FileStat
{
  std::uint64_t ino = 0;
  std::uint64_t size = 0;
  std::int64_t mtime_ns = 0;
  std::int64_t ctime_ns = 0;
  std::uint32_t mode = 0;

  bool is_regular() const;
  bool is_dir() const;
  bool is_symlink() const;
  bool is_exec() const;
  bool operator==(const FileStat&) const = default;
};

// lstat(2); nullopt when the path does not exist.
std::optional<FileStat> lstat_path(const fs::path& path);
// stat(2), following symlinks; nullopt when the path does not exist.
std::optional<FileStat> stat_path(const fs::path& path);
FileStat stat_fd(int fd, const fs::path& for_errors);
// fstatat(2) of `name` in the folder `dir_fd` without following a final
// symlink; nullopt when the entry does not exist. `dir_for_errors` is the
// folder's path, for the error message.
std::optional<FileStat>
lstat_at(int dir_fd, const char* name, const fs::path& dir_for_errors);

// The wall clock as the kernel stamps files with it (the coarse clock), in
// nanoseconds. A file whose mtime is not older than this value may still
// change without its mtime changing.
std::int64_t file_clock_now_ns();

// Read a whole file; throws mlake::Error naming the path on failure.
std::string read_file(const fs::path& path);
// Read a whole file; nullopt when it does not exist.
std::optional<std::string> read_file_if_exists(const fs::path& path);

// Write `data` to `fd` completely, retrying on EINTR and short writes.
void write_all(int fd,
               const void* data,
               std::size_t size,
               const fs::path& for_errors);

// Copy what is left to read of `in` to `out`: a reflink where the
// filesystem can share blocks, else copy_file_range, else read/write.
// `source` and `dest` name them in errors.
void
copy_contents(int in, int out, const fs::path& source, const fs::path& dest);

void fsync_fd(int fd, const fs::path& for_errors);
void fsync_dir(const fs::path& dir);
// Flush every dirty page of the filesystem holding `path` (syncfs(2)).
void sync_filesystem(const fs::path& path);

// A name for a temporary file in `dir` that no other process or thread will
// pick: ".<hint>.tmp-<pid>-<counter>-<random>".
fs::path temp_name(const fs::path& dir, std::string_view name_hint);

// A new file under a temporary name in `tmp_dir`, made visible under its
// final name only by commit(). Destroying it uncommitted removes it, so an
// error or an interruption never leaves a half-written file under a final
// name. `tmp_dir` must be on the same filesystem as the final name.
class AtomicFile
{
public:
  AtomicFile(const fs::path& tmp_dir,
             std::string_view name_hint = "tmp",
             unsigned mode = 0644);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  int
  fd() const noexcept
  {
    return m_fd.get();
  }
  const fs::path&
  tmp_path() const noexcept
  {
    return m_tmp;
  }
  void write(std::string_view data);

  enum class Sync
  {
    none,     // the caller syncs the filesystem later, in one batch
    file,     // fsync the file before the rename
    file_dir, // fsync the file, rename, fsync the directory
  };
  // Rename to `final_path`, replacing what is there.
  void commit(const fs::path& final_path, Sync sync);
  void discard() noexcept;

private:
  UniqueFd m_fd;
  fs::path m_tmp;
  bool m_done = false;
};

// Write a small file atomically next to its final name (or in `tmp_dir`).
void write_file_atomic(const fs::path& path,
                       std::string_view data,
                       AtomicFile::Sync sync = AtomicFile::Sync::file_dir,
                       const fs::path& tmp_dir = {});

// `path` made absolute and lexically normal, without touching the disk.
fs::path absolute_normal(const fs::path& path);
// Whether `path` is `root` or inside it; both must be absolute and normal.
bool is_within(const fs::path& path, const fs::path& root);
// `path` relative to `root` with '/' separators; `path` must be within root.
std::string relative_to(const fs::path& path, const fs::path& root);

// Whether a project-relative path in a tree or a lock file is safe to write
// below a root: relative, normal, no '..', no empty or '.' components.
bool is_safe_relative_path(std::string_view path);

std::string errno_text(int err);

} // namespace mlake::util
