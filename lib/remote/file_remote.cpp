#include <mlake/remote/remote.hpp>
#include <mlake/util/error.hpp>
#include <mlake/util/fs.hpp>
#include <mlake/util/hash.hpp>
#include <mlake/util/hashing_writer.hpp>
#include <mlake/util/interrupt.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <memory>
#include <vector>

namespace mlake::remote {

namespace {

using util::UniqueFd;

// Above this size an object is copied through util::HashingWriter.
constexpr std::uint64_t large_object = 1 << 20;

// What goes wrong on the remote's side (a folder it cannot write, a disk
// that fails to sync) is the remote's failure: exit 12, not 2.
template <typename F>
auto
on_remote(const fs::path& root, F&& fn)
{
  try {
    return fn();
  } catch (const Error& e) {
    if (e.code() != Exit::usage) {
      throw;
    }
    throw Error(Exit::remote,
                "remote " + quote(root.string()) + ": " + e.what(),
                e.hint());
  }
}

// A lake shared through a folder: a network or shared disk. Objects are
// copied under a temporary name in the remote's own tmp/ and linked into
// place, so that a reader (or a crash) never sees part of one.
class FileRemote final : public Remote
{
public:
  explicit FileRemote(fs::path root)
      : m_root(std::move(root)), m_tmp(m_root / "tmp")
  {}

  std::string
  location() const override
  {
    return m_root.string();
  }

  void
  check(bool for_push) override
  {
    std::error_code ec;
    auto st = fs::status(m_root, ec);
    if (!fs::exists(st)) {
      if (!for_push) {
        throw Error(Exit::remote,
                    "remote folder " + quote(m_root.string()) +
                        " does not exist",
                    "check the URL with 'mlake remote list'");
      }
      if (!fs::is_directory(m_root.parent_path(), ec)) {
        throw Error(Exit::remote,
                    "cannot make remote folder " + quote(m_root.string()) +
                        ": its parent folder does not exist");
      }
    } else if (!fs::is_directory(st)) {
      throw Error(Exit::remote,
                  "remote " + quote(m_root.string()) + " is not a folder");
    } else if (!fs::is_directory(m_root / "nodes", ec) && !only_layout()) {
      throw Error(Exit::remote,
                  "folder " + quote(m_root.string()) +
                      " is not an mlake remote (it is not empty and has no "
                      "nodes/ folder)",
                  "give an empty or new folder");
    } else if (!for_push && !fs::is_directory(m_root / "nodes", ec)) {
      throw Error(Exit::remote,
                  "folder " + quote(m_root.string()) +
                      " is not an mlake remote (no nodes/ folder): nothing "
                      "was pushed to it");
    }
    if (for_push) {
      for (const fs::path& dir :
           {m_root, m_root / "objects", m_root / "nodes", m_tmp}) {
        if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
          throw Error(Exit::remote,
                      "cannot make " + quote(dir.string()) + ": " +
                          util::errno_text(errno));
        }
      }
    }
  }

  bool
  exists(const std::string& key) override
  {
    return ::access(path_of(key).c_str(), F_OK) == 0;
  }

  void
  get(const std::string& key, const Sink& sink) override
  {
    fs::path path = path_of(key);
    UniqueFd in(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!in) {
      if (errno == ENOENT) {
        throw Error(Exit::not_found,
                    "remote " + quote(location()) + " has no " + key);
      }
      throw io_error("cannot read", path, errno);
    }
    ::posix_fadvise(in.get(), 0, 0, POSIX_FADV_SEQUENTIAL);
    struct stat st = {};
    ::fstat(in.get(), &st);
    const std::size_t capacity = static_cast<std::size_t>(
        std::clamp<off_t>(st.st_size + 1, 4096, static_cast<off_t>(1 << 20)));
    std::unique_ptr<char[]> buffer(new char[capacity]);
    for (;;) {
      ssize_t n = ::read(in.get(), buffer.get(), capacity);
      if (n < 0 && errno == EINTR) {
        continue;
      }
      if (n < 0) {
        throw io_error("cannot read", path, errno);
      }
      if (n == 0) {
        break;
      }
      sink(std::string_view(buffer.get(), static_cast<std::size_t>(n)));
    }
  }

  void
  put_file(const std::string& key,
           const fs::path& source,
           std::uint64_t size,
           std::string_view expected_sha256,
           util::Progress& progress) override
  {
    fs::path target = path_of(key);
    if (::access(target.c_str(), F_OK) == 0) {
      progress.advance(0, size);
      return;
    }
    UniqueFd in(::open(source.c_str(), O_RDONLY | O_CLOEXEC));
    if (!in) {
      throw read_error(source);
    }
    auto out_ptr = on_remote(m_root, [&] {
      return std::make_unique<util::AtomicFile>(m_tmp, "object", 0444);
    });
    util::AtomicFile& out = *out_ptr;
    // Read and hashed once, on its way: damage on this side is never
    // passed on.
    std::string actual =
        size > large_object ? copy_large(in.get(), source, out, progress)
                            : copy_small(in.get(), source, size, out, progress);
    if (!expected_sha256.empty() && actual != expected_sha256) {
      throw damaged_object(expected_sha256, actual);
    }
    util::throw_if_interrupted();
    publish(out, target);
  }

  void
  put_bytes(const std::string& key, std::string_view bytes) override
  {
    fs::path target = path_of(key);
    if (::access(target.c_str(), F_OK) == 0) {
      return;
    }
    auto out_ptr = on_remote(m_root, [&] {
      return std::make_unique<util::AtomicFile>(m_tmp, "node", 0444);
    });
    util::AtomicFile& out = *out_ptr;
    on_remote(m_root, [&] { out.write(bytes); });
    publish(out, target);
  }

  void
  remove(const std::string& key) override
  {
    fs::path target = path_of(key);
    if (::unlink(target.c_str()) != 0 && errno != ENOENT) {
      throw Error(Exit::remote,
                  "remote " + quote(m_root.string()) + ": cannot delete " +
                      key + ": " + util::errno_text(errno));
    }
  }

  void
  flush() override
  {
    on_remote(m_root, [&] { util::sync_filesystem(m_root); });
  }

  void
  list(const std::string& prefix,
       const std::function<void(const ListedKey&)>& fn) override
  {
    fs::path dir = m_root / prefix;
    std::error_code ec;
    fs::recursive_directory_iterator it(dir, ec), end;
    if (ec) {
      if (ec == std::errc::no_such_file_or_directory) {
        return;
      }
      throw Error(Exit::remote,
                  "cannot list " + quote(dir.string()) + ": " + ec.message());
    }
    for (; it != end; it.increment(ec)) {
      if (ec) {
        throw Error(Exit::remote,
                    "cannot list " + quote(dir.string()) + ": " + ec.message());
      }
      std::error_code size_ec;
      if (!it->is_regular_file(size_ec)) {
        continue;
      }
      std::uint64_t size = it->file_size(size_ec);
      fn({prefix + util::relative_to(it->path(), dir), size});
    }
  }

private:
  // Sized to the object: most are small, and a zeroed megabyte each would
  // cost more than the copy.
  std::string
  copy_small(int in,
             const fs::path& source,
             std::uint64_t size,
             util::AtomicFile& out,
             util::Progress& progress)
  {
    util::Sha256 hasher;
    const std::size_t capacity = static_cast<std::size_t>(
        std::clamp<std::uint64_t>(size + 1, 4096, large_object));
    std::unique_ptr<char[]> buffer(new char[capacity]);
    for (;;) {
      ssize_t n = ::read(in, buffer.get(), capacity);
      if (n < 0 && errno == EINTR) {
        continue;
      }
      if (n < 0) {
        throw read_error(source);
      }
      if (n == 0) {
        break;
      }
      const std::string_view chunk(buffer.get(), static_cast<std::size_t>(n));
      hasher.update(chunk);
      on_remote(m_root, [&] { out.write(chunk); });
      progress.advance(0, static_cast<std::uint64_t>(n));
    }
    return hasher.hex_digest();
  }

  // Hashing overlaps writing, and the writes bypass the page cache.
  std::string
  copy_large(int in,
             const fs::path& source,
             util::AtomicFile& out,
             util::Progress& progress)
  {
    ::posix_fadvise(in, 0, 0, POSIX_FADV_SEQUENTIAL);
    util::HashingWriter writer(out.fd(), out.tmp_path(), true);
    for (;;) {
      util::throw_if_interrupted();
      std::span<char> room = writer.room();
      ssize_t n = ::read(in, room.data(), room.size());
      if (n < 0 && errno == EINTR) {
        continue;
      }
      if (n < 0) {
        throw read_error(source);
      }
      on_remote(m_root, [&] { writer.commit(static_cast<std::size_t>(n)); });
      if (n == 0) {
        break;
      }
      progress.advance(0, static_cast<std::uint64_t>(n));
    }
    return writer.finish();
  }

  static Error
  read_error(const fs::path& source)
  {
    return Error(Exit::usage,
                 "cannot read " + quote(source.string()) + ": " +
                     util::errno_text(errno));
  }

  // Whether the folder holds nothing but (part of) the remote layout: a
  // push that started at the same time as this one may be making it.
  bool
  only_layout() const
  {
    std::error_code ec;
    for (fs::directory_iterator it(m_root, ec), end; !ec && it != end;
         it.increment(ec)) {
      const auto name = it->path().filename().string();
      if (name != "objects" && name != "nodes" && name != "tmp") {
        return false;
      }
    }
    return !ec;
  }

  fs::path
  path_of(const std::string& key) const
  {
    // Keys are made by mlake, never taken from the remote as they are;
    // this guards the folder all the same.
    if (!util::is_safe_relative_path(key)) {
      throw std::logic_error("unsafe remote key " + key);
    }
    return m_root / key;
  }

  Error
  io_error(const std::string& what, const fs::path& path, int err) const
  {
    return Error(Exit::remote,
                 what + " " + quote(path.string()) + ": " +
                     util::errno_text(err));
  }

  // Give the copy its final name: link it into place (another clone may
  // have put the same content there first: same name, same bytes). It
  // becomes durable with the next flush.
  void
  publish(util::AtomicFile& out, const fs::path& target)
  {
    fs::path dir = target.parent_path();
    if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
      throw io_error("cannot make", dir, errno);
    }
    if (::link(out.tmp_path().c_str(), target.c_str()) != 0 &&
        errno != EEXIST) {
      throw io_error("cannot write", target, errno);
    }
    out.discard();
  }

  fs::path m_root;
  fs::path m_tmp;
};

} // namespace

std::unique_ptr<Remote>
open_file_remote(const fs::path& root)
{
  return std::make_unique<FileRemote>(root);
}

} // namespace mlake::remote
