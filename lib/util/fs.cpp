#include <mlake/util/error.hpp>
#include <mlake/util/fs.hpp>

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <random>

namespace mlake::util {

std::string
errno_text(int err)
{
  return std::strerror(err);
}

UniqueFd&
UniqueFd::operator=(UniqueFd&& other) noexcept
{
  reset(other.release());
  return *this;
}

UniqueFd::~UniqueFd()
{
  reset();
}

int
UniqueFd::release() noexcept
{
  int fd = m_fd;
  m_fd = -1;
  return fd;
}

void
UniqueFd::reset(int fd) noexcept
{
  if (m_fd >= 0) {
    ::close(m_fd);
  }
  m_fd = fd;
}

bool
FileStat::is_regular() const
{
  return S_ISREG(mode);
}

bool
FileStat::is_dir() const
{
  return S_ISDIR(mode);
}

bool
FileStat::is_symlink() const
{
  return S_ISLNK(mode);
}

bool
FileStat::is_exec() const
{
  return (mode & S_IXUSR) != 0;
}

namespace {

FileStat
from_stat(const struct stat& st)
{
  FileStat out;
  out.ino = st.st_ino;
  out.size = static_cast<std::uint64_t>(st.st_size);
  out.mtime_ns =
      std::int64_t(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
  out.ctime_ns =
      std::int64_t(st.st_ctim.tv_sec) * 1'000'000'000 + st.st_ctim.tv_nsec;
  out.mode = st.st_mode;
  return out;
}

std::optional<FileStat>
stat_impl(const fs::path& path, bool follow)
{
  struct stat st;
  int rc = follow ? ::stat(path.c_str(), &st) : ::lstat(path.c_str(), &st);
  if (rc != 0) {
    if (errno == ENOENT || errno == ENOTDIR) {
      return std::nullopt;
    }
    throw Error(Exit::usage,
                "cannot stat " + quote(path.string()) + ": " +
                    errno_text(errno));
  }
  return from_stat(st);
}

} // namespace

std::optional<FileStat>
lstat_path(const fs::path& path)
{
  return stat_impl(path, false);
}

std::optional<FileStat>
stat_path(const fs::path& path)
{
  return stat_impl(path, true);
}

FileStat
stat_fd(int fd, const fs::path& for_errors)
{
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    throw Error(Exit::usage,
                "cannot stat " + quote(for_errors.string()) + ": " +
                    errno_text(errno));
  }
  return from_stat(st);
}

std::optional<FileStat>
lstat_at(int dir_fd, const char* name, const fs::path& dir_for_errors)
{
  struct stat st;
  if (::fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) {
      return std::nullopt;
    }
    throw Error(Exit::usage,
                "cannot stat " + quote((dir_for_errors / name).string()) +
                    ": " + errno_text(errno));
  }
  return from_stat(st);
}

std::int64_t
file_clock_now_ns()
{
  struct timespec ts;
  ::clock_gettime(CLOCK_REALTIME_COARSE, &ts);
  return std::int64_t(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

std::optional<std::string>
read_file_if_exists(const fs::path& path)
{
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    if (errno == ENOENT) {
      return std::nullopt;
    }
    throw Error(Exit::usage,
                "cannot read " + quote(path.string()) + ": " +
                    errno_text(errno));
  }
  std::string out;
  FileStat st = stat_fd(fd.get(), path);
  out.reserve(st.size);
  char buffer[65536];
  for (;;) {
    ssize_t n = ::read(fd.get(), buffer, sizeof(buffer));
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      throw Error(Exit::usage,
                  "cannot read " + quote(path.string()) + ": " +
                      errno_text(errno));
    }
    if (n == 0) {
      break;
    }
    out.append(buffer, static_cast<std::size_t>(n));
  }
  return out;
}

std::string
read_file(const fs::path& path)
{
  auto content = read_file_if_exists(path);
  if (!content) {
    throw Error(Exit::not_found, "no file " + quote(path.string()));
  }
  return std::move(*content);
}

void
write_all(int fd,
          const void* data,
          std::size_t size,
          const fs::path& for_errors)
{
  const char* p = static_cast<const char*>(data);
  while (size > 0) {
    ssize_t n = ::write(fd, p, size);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      throw Error(Exit::usage,
                  "cannot write " + quote(for_errors.string()) + ": " +
                      errno_text(errno));
    }
    p += n;
    size -= static_cast<std::size_t>(n);
  }
}

void
copy_contents(int in, int out, const fs::path& source, const fs::path& dest)
{
  if (::ioctl(out, FICLONE, in) == 0) {
    return;
  }
  // A larger read-ahead: the source may have just been written around the
  // page cache (a large object received from a remote).
  ::posix_fadvise(in, 0, 0, POSIX_FADV_SEQUENTIAL);
  for (;;) {
    ssize_t n = ::copy_file_range(in, nullptr, out, nullptr, 1 << 30, 0);
    if (n > 0) {
      continue;
    }
    if (n == 0) {
      return;
    }
    if (errno == EINTR) {
      continue;
    }
    if (errno == EXDEV || errno == ENOSYS || errno == EOPNOTSUPP ||
        errno == EINVAL) {
      break;
    }
    throw Error(Exit::usage,
                "cannot copy " + quote(source.string()) + " to " +
                    quote(dest.string()) + ": " + errno_text(errno));
  }
  // copy_file_range is not available between these filesystems: copy in
  // user space from wherever it stopped.
  char buffer[1 << 16];
  for (;;) {
    ssize_t n = ::read(in, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      throw Error(Exit::usage,
                  "cannot read " + quote(source.string()) + ": " +
                      errno_text(errno));
    }
    if (n == 0) {
      return;
    }
    write_all(out, buffer, static_cast<std::size_t>(n), dest);
  }
}

void
fsync_fd(int fd, const fs::path& for_errors)
{
  if (::fsync(fd) != 0) {
    throw Error(Exit::usage,
                "cannot sync " + quote(for_errors.string()) + ": " +
                    errno_text(errno));
  }
}

void
fsync_dir(const fs::path& dir)
{
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) {
    throw Error(Exit::usage,
                "cannot open directory " + quote(dir.string()) + ": " +
                    errno_text(errno));
  }
  fsync_fd(fd.get(), dir);
}

void
sync_filesystem(const fs::path& path)
{
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd || ::syncfs(fd.get()) != 0) {
    throw Error(Exit::usage,
                "cannot sync the filesystem of " + quote(path.string()) + ": " +
                    errno_text(errno));
  }
}

namespace {

std::string
random_suffix()
{
  static std::atomic<unsigned> counter{0};
  thread_local std::mt19937_64 rng(std::random_device{}() ^
                                   (std::uint64_t(::getpid()) << 32));
  char buffer[40];
  std::snprintf(buffer,
                sizeof(buffer),
                "%d-%u-%08llx",
                int(::getpid()),
                counter.fetch_add(1),
                static_cast<unsigned long long>(rng() & 0xffffffffu));
  return buffer;
}

} // namespace

fs::path
temp_name(const fs::path& dir, std::string_view name_hint)
{
  return dir / ("." + std::string(name_hint) + ".tmp-" + random_suffix());
}

AtomicFile::AtomicFile(const fs::path& tmp_dir,
                       std::string_view name_hint,
                       unsigned mode)
{
  for (int attempt = 0; attempt < 10; ++attempt) {
    m_tmp = temp_name(tmp_dir, name_hint);
    m_fd.reset(
        ::open(m_tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode));
    if (m_fd || errno != EEXIST) {
      break;
    }
  }
  if (!m_fd) {
    throw Error(Exit::usage,
                "cannot create a temporary file in " + quote(tmp_dir.string()) +
                    ": " + errno_text(errno));
  }
}

AtomicFile::~AtomicFile()
{
  discard();
}

void
AtomicFile::write(std::string_view data)
{
  write_all(m_fd.get(), data.data(), data.size(), m_tmp);
}

void
AtomicFile::discard() noexcept
{
  if (!m_done) {
    m_fd.reset();
    ::unlink(m_tmp.c_str());
    m_done = true;
  }
}

void
AtomicFile::commit(const fs::path& final_path, Sync sync)
{
  if (sync != Sync::none) {
    fsync_fd(m_fd.get(), m_tmp);
  }
  m_fd.reset();
  if (::rename(m_tmp.c_str(), final_path.c_str()) != 0) {
    int err = errno;
    discard();
    throw Error(Exit::usage,
                "cannot write " + quote(final_path.string()) + ": " +
                    errno_text(err));
  }
  m_done = true;
  if (sync == Sync::file_dir) {
    fsync_dir(final_path.parent_path());
  }
}

void
write_file_atomic(const fs::path& path,
                  std::string_view data,
                  AtomicFile::Sync sync,
                  const fs::path& tmp_dir)
{
  fs::path dir = tmp_dir.empty() ? path.parent_path() : tmp_dir;
  if (dir.empty()) {
    dir = ".";
  }
  AtomicFile file(dir, path.filename().string());
  file.write(data);
  file.commit(path, sync);
}

fs::path
absolute_normal(const fs::path& path)
{
  fs::path out = fs::absolute(path).lexically_normal();
  // "dir/" normalises to "dir/" with an empty filename; drop it.
  if (!out.has_filename() && out.has_parent_path() && out != out.root_path()) {
    out = out.parent_path();
  }
  return out;
}

bool
is_within(const fs::path& path, const fs::path& root)
{
  auto p = path.begin();
  for (auto r = root.begin(); r != root.end(); ++r, ++p) {
    if (r->empty()) {
      continue;
    }
    if (p == path.end() || *p != *r) {
      return false;
    }
  }
  return true;
}

std::string
relative_to(const fs::path& path, const fs::path& root)
{
  return path.lexically_relative(root).generic_string();
}

bool
is_safe_relative_path(std::string_view path)
{
  if (path.empty() || path.front() == '/' || path.back() == '/') {
    return false;
  }
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string_view::npos) {
      end = path.size();
    }
    std::string_view part = path.substr(start, end - start);
    if (part.empty() || part == "." || part == ".." ||
        part.find('\0') != std::string_view::npos) {
      return false;
    }
    start = end + 1;
  }
  return true;
}

} // namespace mlake::util
