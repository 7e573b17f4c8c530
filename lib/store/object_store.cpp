#include <mlake/store/object_store.hpp>
#include <mlake/util/error.hpp>
#include <mlake/util/hash.hpp>
#include <mlake/util/interrupt.hpp>

#include <dirent.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace mlake::store {

using util::AtomicFile;
using util::UniqueFd;

namespace {

// Files up to this size are read into memory whole: the store is asked
// whether it has the content before anything is written.
constexpr std::size_t small_file_limit = 4 << 20;
constexpr std::size_t chunk_size = 8 << 20;
constexpr std::size_t pipeline_depth = 4;
// Start write-back of a large object every so often, so that the batch
// sync at the end has little left to do.
constexpr std::size_t writeback_interval = 64 << 20;
// O_DIRECT wants buffers, offsets and lengths aligned to the device's
// logical block size; 4 KiB covers every common one.
constexpr std::size_t direct_alignment = 4096;

ssize_t
read_some(int fd, char* buffer, std::size_t size, const fs::path& path)
{
  std::size_t total = 0;
  while (total < size) {
    ssize_t n = ::read(fd, buffer + total, size - total);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      throw Error(Exit::usage,
                  "cannot read " + quote(path.string()) + ": " +
                      util::errno_text(errno));
    }
    if (n == 0) {
      break;
    }
    total += static_cast<std::size_t>(n);
  }
  return static_cast<ssize_t>(total);
}

// Hashes chunks on its own thread while the caller writes them, so that
// hashing and copying a large file overlap.
class PipelinedHasher
{
public:
  PipelinedHasher()
  {
    for (std::size_t i = 0; i < pipeline_depth; ++i) {
      // Aligned for O_DIRECT writes.
      m_buffers.emplace_back(
          static_cast<char*>(std::aligned_alloc(direct_alignment, chunk_size)));
      if (!m_buffers.back()) {
        throw std::bad_alloc();
      }
      m_free.push_back(m_buffers.back().get());
    }
    m_thread = std::thread([this] { run(); });
  }

  ~PipelinedHasher()
  {
    {
      std::lock_guard<std::mutex> lock(m_mutex);
      m_stop = true;
    }
    m_cv.notify_all();
    m_thread.join();
  }

  char*
  acquire()
  {
    std::unique_lock<std::mutex> lock(m_mutex);
    m_cv.wait(lock, [this] { return !m_free.empty(); });
    char* buffer = m_free.front();
    m_free.pop_front();
    return buffer;
  }

  // Hash `size` bytes of `buffer`; the buffer returns to the free list when
  // done, and the caller may keep reading it until it calls acquire() again.
  void
  submit(char* buffer, std::size_t size)
  {
    {
      std::lock_guard<std::mutex> lock(m_mutex);
      m_work.emplace_back(buffer, size);
    }
    m_cv.notify_all();
  }

  std::string
  finish()
  {
    std::unique_lock<std::mutex> lock(m_mutex);
    m_cv.wait(lock, [this] { return m_free.size() == pipeline_depth; });
    return m_sha.hex_digest();
  }

private:
  void
  run()
  {
    for (;;) {
      std::pair<char*, std::size_t> item;
      {
        std::unique_lock<std::mutex> lock(m_mutex);
        m_cv.wait(lock, [this] { return m_stop || !m_work.empty(); });
        if (m_work.empty()) {
          return;
        }
        item = m_work.front();
        m_work.pop_front();
      }
      m_sha.update(item.first, item.second);
      {
        std::lock_guard<std::mutex> lock(m_mutex);
        m_free.push_back(item.first);
      }
      m_cv.notify_all();
    }
  }

  util::Sha256 m_sha;
  struct Free
  {
    void
    operator()(char* p) const
    {
      std::free(p);
    }
  };
  std::vector<std::unique_ptr<char, Free>> m_buffers;
  std::deque<char*> m_free;
  std::deque<std::pair<char*, std::size_t>> m_work;
  std::mutex m_mutex;
  std::condition_variable m_cv;
  bool m_stop = false;
  std::thread m_thread;
};

bool
try_reflink(int source_fd, int dest_fd)
{
  return ::ioctl(dest_fd, FICLONE, source_fd) == 0;
}

// Hash what is left to read of `fd`.
std::string
hash_stream(int fd,
            const fs::path& path,
            util::Progress& progress,
            std::uint64_t* size = nullptr)
{
  util::Sha256 sha;
  thread_local std::unique_ptr<char[]> buffer(new char[chunk_size]);
  for (;;) {
    util::throw_if_interrupted();
    ssize_t n = read_some(fd, buffer.get(), chunk_size, path);
    if (n == 0) {
      break;
    }
    sha.update(buffer.get(), static_cast<std::size_t>(n));
    if (size) {
      *size += static_cast<std::uint64_t>(n);
    }
    progress.advance(0, static_cast<std::uint64_t>(n));
  }
  return sha.hex_digest();
}

bool
proc_fd_usable()
{
  static const bool usable = ::access("/proc/self/fd", X_OK) == 0;
  return usable;
}

} // namespace

// Content on its way into the store. Where the filesystem has O_TMPFILE it
// is an unnamed file that gets its one name by linkat(2): nothing is left
// behind if the process dies, and the directory changes once per object.
// Elsewhere it is a named temporary in tmp/ that is renamed into place.
class ObjectStore::NewObject
{
public:
  explicit NewObject(const ObjectStore& store) : m_store(store)
  {
    if (proc_fd_usable()) {
      m_fd.reset(::open(
          store.m_objects.c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, 0444));
    }
    if (!m_fd) {
      m_named.emplace(store.m_tmp, "object", 0444);
    }
  }

  int
  fd() const
  {
    return m_named ? m_named->fd() : m_fd.get();
  }

  void
  write(std::string_view data)
  {
    util::write_all(fd(), data.data(), data.size(), m_store.m_objects);
  }

  // Give the content its name. Another copy already under that name is
  // left alone: same name, same bytes. A `durable` object has been synced:
  // its name is synced too; otherwise it is counted for the batch sync.
  void
  publish(const std::string& hash, bool durable = false)
  {
    fs::path target = m_store.path_of(hash);
    bool made_folder = link_into_place(target);
    if (durable) {
      util::fsync_dir(target.parent_path());
      if (made_folder) {
        util::fsync_dir(m_store.m_objects);
      }
    } else {
      ++*m_store.m_unsynced;
    }
  }

  // Turn O_DIRECT on or off; returns whether it is now on.
  bool
  set_direct(bool on)
  {
    int flags = ::fcntl(fd(), F_GETFL);
    if (flags < 0) {
      return false;
    }
    flags = on ? (flags | O_DIRECT) : (flags & ~O_DIRECT);
    return ::fcntl(fd(), F_SETFL, flags) == 0 && on;
  }

  void
  sync()
  {
    if (::fdatasync(fd()) != 0) {
      throw Error(Exit::usage,
                  "cannot sync an object to disk: " + util::errno_text(errno));
    }
  }

private:
  // Returns whether the fan-out folder had to be made.
  bool
  link_into_place(const fs::path& target)
  {
    bool made_folder = false;
    if (m_named) {
      if (::mkdir(target.parent_path().c_str(), 0755) == 0) {
        made_folder = true;
      } else if (errno != EEXIST) {
        throw Error(Exit::usage,
                    "cannot create " + quote(target.parent_path().string()) +
                        ": " + util::errno_text(errno));
      }
      m_named->commit(target, AtomicFile::Sync::none);
      return made_folder;
    }
    std::string proc = "/proc/self/fd/" + std::to_string(m_fd.get());
    for (int attempt = 0; attempt < 2; ++attempt) {
      if (::linkat(AT_FDCWD,
                   proc.c_str(),
                   AT_FDCWD,
                   target.c_str(),
                   AT_SYMLINK_FOLLOW) == 0 ||
          errno == EEXIST) {
        return made_folder;
      }
      // The first object in a fan-out folder makes the folder.
      if (errno != ENOENT) {
        break;
      }
      if (::mkdir(target.parent_path().c_str(), 0755) == 0) {
        made_folder = true;
      } else if (errno != EEXIST) {
        break;
      }
    }
    throw Error(Exit::usage,
                "cannot write object " + quote(target.string()) + ": " +
                    util::errno_text(errno));
  }

  const ObjectStore& m_store;
  UniqueFd m_fd;
  std::optional<AtomicFile> m_named;
};

ObjectStore::ObjectStore(const fs::path& lake_dir)
    : m_objects(lake_dir / "objects"), m_tmp(lake_dir / "tmp"),
      m_unsynced(std::make_unique<std::atomic<std::uint64_t>>(0))
{}

std::uint64_t
ObjectStore::take_unsynced() const
{
  return m_unsynced->exchange(0);
}

fs::path
ObjectStore::path_of(std::string_view hash) const
{
  std::string name(hash);
  return m_objects / name.substr(0, 2) / name.substr(2);
}

bool
ObjectStore::contains(std::string_view hash) const
{
  return ::access(path_of(hash).c_str(), F_OK) == 0;
}

StoredObject
ObjectStore::put_file(const fs::path& source, util::Progress& progress) const
{
  UniqueFd in(::open(source.c_str(), O_RDONLY | O_CLOEXEC));
  if (!in) {
    throw Error(errno == ENOENT ? Exit::not_found : Exit::usage,
                "cannot read " + quote(source.string()) + ": " +
                    util::errno_text(errno));
  }
  util::FileStat st = util::stat_fd(in.get(), source);
  if (!st.is_regular()) {
    throw Error(Exit::usage, quote(source.string()) + " is not a regular file");
  }

  StoredObject out;
  if (st.size <= small_file_limit) {
    thread_local std::vector<char> buffer;
    buffer.resize(small_file_limit + 1);
    ssize_t n = read_some(in.get(), buffer.data(), buffer.size(), source);
    if (static_cast<std::size_t>(n) <= small_file_limit) {
      std::string_view bytes(buffer.data(), static_cast<std::size_t>(n));
      out.hash = util::sha256_hex(bytes);
      out.size = bytes.size();
      if (!contains(out.hash)) {
        NewObject object(*this);
        object.write(bytes);
        object.publish(out.hash);
        out.added = true;
      }
      progress.advance(0, out.size);
      return out;
    }
    // The file grew while we looked at it; fall through and stream it.
    ::lseek(in.get(), 0, SEEK_SET);
  }

  ::posix_fadvise(in.get(), 0, 0, POSIX_FADV_SEQUENTIAL);
  NewObject object(*this);
  if (try_reflink(in.get(), object.fd())) {
    // The filesystem shares the blocks; reading is then the only copy.
    out.hash = hash_stream(in.get(), source, progress, &out.size);
  } else {
    PipelinedHasher hasher;
    std::uint64_t since_writeback = 0;
    // Large objects bypass the page cache: they are rarely read back soon,
    // and writing through the cache would first have to find a gigabyte of
    // free pages, then write them back. Where O_DIRECT is refused (tmpfs,
    // some network filesystems) the copy is buffered.
    bool direct = object.set_direct(true);
    for (;;) {
      util::throw_if_interrupted();
      char* buffer = hasher.acquire();
      ssize_t n = read_some(in.get(), buffer, chunk_size, source);
      if (n == 0) {
        hasher.submit(buffer, 0);
        break;
      }
      auto size = static_cast<std::size_t>(n);
      hasher.submit(buffer, size);
      if (direct && size % direct_alignment != 0) {
        direct = object.set_direct(false); // the tail is not aligned
      }
      object.write(std::string_view(buffer, size));
      out.size += size;
      since_writeback += size;
      if (!direct && since_writeback >= writeback_interval) {
        ::sync_file_range(object.fd(),
                          static_cast<off_t>(out.size - since_writeback),
                          static_cast<off_t>(since_writeback),
                          SYNC_FILE_RANGE_WRITE);
        since_writeback = 0;
      }
      progress.advance(0, size);
    }
    out.hash = hasher.finish();
  }
  if (contains(out.hash)) {
    return out; // the copy is dropped with `object`
  }
  // Most of it is on its way to disk already (see writeback_interval); a
  // sync of this one file is cheaper than the batch sync of the whole
  // filesystem, which would also flush whatever else is dirty there.
  object.sync();
  object.publish(out.hash, true);
  out.added = true;
  return out;
}

std::string
ObjectStore::put_bytes(std::string_view bytes) const
{
  std::string hash = util::sha256_hex(bytes);
  if (!contains(hash)) {
    NewObject object(*this);
    object.write(bytes);
    object.publish(hash);
  }
  return hash;
}

StoredObject
ObjectStore::receive(
    std::string_view expected,
    const std::string& what,
    const std::function<void(const std::function<void(std::string_view)>&)>&
        produce) const
{
  StoredObject out;
  out.hash = std::string(expected);
  NewObject object(*this);
  util::Sha256 hasher;
  produce([&](std::string_view chunk) {
    hasher.update(chunk);
    object.write(chunk);
    out.size += chunk.size();
  });
  std::string actual = hasher.hex_digest();
  if (actual != expected) {
    throw Error(Exit::integrity,
                what + " arrived damaged: its content hashes to " + actual +
                    ", not " + std::string(expected),
                "nothing of it was stored; run the transfer again, and "
                "'mlake fsck' on the lake it came from");
  }
  object.publish(out.hash);
  out.added = true;
  return out;
}

std::optional<std::string>
ObjectStore::read(std::string_view hash) const
{
  return util::read_file_if_exists(path_of(hash));
}

std::optional<bool>
ObjectStore::verify(std::string_view hash) const
{
  fs::path path = path_of(hash);
  UniqueFd in(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!in) {
    if (errno == ENOENT) {
      return std::nullopt;
    }
    throw Error(Exit::integrity,
                "cannot read object " + std::string(hash) + ": " +
                    util::errno_text(errno));
  }
  ::posix_fadvise(in.get(), 0, 0, POSIX_FADV_SEQUENTIAL);
  return hash_stream(in.get(), path, util::no_progress()) == hash;
}

void
ObjectStore::for_each(
    const std::function<void(const std::string&)>& fn,
    const std::function<void(const fs::path&)>& on_stray) const
{
  std::error_code ec;
  for (fs::directory_iterator fan(m_objects, ec), end; !ec && fan != end;
       fan.increment(ec)) {
    std::string prefix = fan->path().filename().string();
    if (!fan->is_directory() || prefix.size() != 2 || !util::is_hex(prefix)) {
      if (on_stray) {
        on_stray(fan->path());
      }
      continue;
    }
    for (fs::directory_iterator entry(fan->path(), ec); !ec && entry != end;
         entry.increment(ec)) {
      std::string name = prefix + entry->path().filename().string();
      if (util::is_sha256_hex(name)) {
        fn(name);
      } else if (on_stray) {
        on_stray(entry->path());
      }
    }
  }
  if (ec) {
    throw Error(Exit::integrity,
                "cannot list " + quote(m_objects.string()) + ": " +
                    ec.message());
  }
}

std::optional<std::uint64_t>
ObjectStore::remove(std::string_view hash) const
{
  fs::path path = path_of(hash);
  auto st = util::lstat_path(path);
  if (!st) {
    return std::nullopt;
  }
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    throw Error(Exit::usage,
                "cannot remove " + quote(path.string()) + ": " +
                    util::errno_text(errno));
  }
  return st->size;
}

std::string
hash_file(const fs::path& path)
{
  UniqueFd in(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!in) {
    throw Error(errno == ENOENT ? Exit::not_found : Exit::usage,
                "cannot read " + quote(path.string()) + ": " +
                    util::errno_text(errno));
  }
  ::posix_fadvise(in.get(), 0, 0, POSIX_FADV_SEQUENTIAL);
  return hash_stream(in.get(), path, util::no_progress());
}

} // namespace mlake::store
