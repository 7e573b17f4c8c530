#include <mlake/store/object_store.hpp>
#include <mlake/util/error.hpp>
#include <mlake/util/hash.hpp>
#include <mlake/util/hashing_writer.hpp>
#include <mlake/util/interrupt.hpp>

#include <dirent.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <memory>
#include <vector>

namespace mlake::store {

using util::AtomicFile;
using util::UniqueFd;

namespace {

// Files up to this size are read into memory whole: the store is asked
// whether it has the content before anything is written.
constexpr std::size_t small_file_limit = 4 << 20;
constexpr std::size_t chunk_size = 8 << 20;
// Received content up to this size is held in memory until its end, then
// stored like a small file; beyond it, it is streamed to disk.
constexpr std::size_t received_in_memory = 1 << 20;

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
    // The file just added is in the page cache already; its copy in the
    // store is rarely read back soon.
    util::HashingWriter writer(object.fd(), m_objects, true);
    for (;;) {
      util::throw_if_interrupted();
      std::span<char> room = writer.room();
      ssize_t n = read_some(in.get(), room.data(), room.size(), source);
      writer.commit(static_cast<std::size_t>(n));
      if (n == 0) {
        break;
      }
      progress.advance(0, static_cast<std::uint64_t>(n));
    }
    out.hash = writer.finish();
    out.size = writer.size();
  }
  if (contains(out.hash)) {
    return out; // the copy is dropped with `object`
  }
  // Most of it is on its way to disk already (HashingWriter starts write-back
  // as it goes); a sync of this one file is cheaper than the batch sync of the
  // whole filesystem, which would also flush whatever else is dirty there.
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
  thread_local std::string head;
  head.clear();
  std::optional<util::HashingWriter> writer;
  produce([&](std::string_view chunk) {
    if (!writer) {
      if (head.size() + chunk.size() <= received_in_memory) {
        head.append(chunk);
        return;
      }
      // Around the page cache, although what arrives is usually checked
      // out next: on the machines measured, writing it back from the cache
      // took longer than reading it again from disk.
      writer.emplace(object.fd(), m_objects, true);
      writer->write(head);
    }
    writer->write(chunk);
  });
  std::string actual = writer ? writer->finish() : util::sha256_hex(head);
  if (actual != expected) {
    throw Error(Exit::integrity,
                what + " arrived damaged: its content hashes to " + actual +
                    ", not " + std::string(expected),
                "nothing of it was stored; run the transfer again, and "
                "'mlake fsck' on the lake it came from");
  }
  if (writer) {
    out.size = writer->size();
    object.sync();
    object.publish(out.hash, true);
  } else {
    out.size = head.size();
    object.write(head);
    object.publish(out.hash);
  }
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
