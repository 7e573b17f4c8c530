#include <mlake/store/materialize.hpp>
#include <mlake/util/error.hpp>

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace mlake::store {

using util::AtomicFile;
using util::UniqueFd;

std::optional<LinkMode>
parse_link_mode(std::string_view text)
{
  if (text == "copy" || text == "reflink") {
    return LinkMode::copy;
  }
  if (text == "hardlink") {
    return LinkMode::hardlink;
  }
  if (text == "symlink") {
    return LinkMode::symlink;
  }
  return std::nullopt;
}

std::string
to_string(LinkMode mode)
{
  switch (mode) {
  case LinkMode::copy:
    return "copy";
  case LinkMode::hardlink:
    return "hardlink";
  case LinkMode::symlink:
    return "symlink";
  }
  return "copy";
}

unsigned
workspace_file_mode(bool exec)
{
  // umask() can only be read by setting it; do that once, before any
  // worker thread creates files.
  static const mode_t mask = [] {
    mode_t m = ::umask(022);
    ::umask(m);
    return m;
  }();
  return (exec ? 0777u : 0666u) & ~static_cast<unsigned>(mask);
}

namespace {

bool
try_link(const fs::path& object, const fs::path& dest, bool symbolic)
{
  fs::path tmp = util::temp_name(dest.parent_path(), dest.filename().string());
  int rc = symbolic ? ::symlink(object.c_str(), tmp.c_str())
                    : ::link(object.c_str(), tmp.c_str());
  if (rc != 0) {
    return false;
  }
  if (::rename(tmp.c_str(), dest.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    throw Error(Exit::usage,
                "cannot write " + quote(dest.string()) + ": " +
                    util::errno_text(err));
  }
  return true;
}

} // namespace

void
materialize(const ObjectStore& store,
            std::string_view hash,
            const fs::path& dest,
            LinkMode mode,
            bool exec)
{
  fs::path object = store.path_of(hash);
  if (mode != LinkMode::copy && !store.contains(hash)) {
    throw Error(Exit::not_found,
                "object " + std::string(hash) + " is not in the lake");
  }
  // A link shares the object's mode, which has no exec bit: an executable
  // file is copied instead.
  if (mode == LinkMode::hardlink && !exec && try_link(object, dest, false)) {
    return;
  }
  if (mode == LinkMode::symlink && !exec) {
    // Relative inside the project, so that the project can be moved or
    // copied whole; absolute when checked out elsewhere.
    fs::path target = util::absolute_normal(object);
    fs::path where = util::absolute_normal(dest);
    fs::path project =
        target.parent_path().parent_path().parent_path().parent_path();
    if (util::is_within(where, project)) {
      target = target.lexically_relative(where.parent_path());
    }
    if (try_link(target, dest, true)) {
      return;
    }
  }
  UniqueFd in(::open(object.c_str(), O_RDONLY | O_CLOEXEC));
  if (!in) {
    if (errno == ENOENT) {
      throw Error(Exit::not_found,
                  "object " + std::string(hash) + " is not in the lake",
                  "it was never stored in this lake or was removed; run 'mlake "
                  "fsck' to check the lake");
    }
    throw Error(Exit::usage,
                "cannot read object " + std::string(hash) + ": " +
                    util::errno_text(errno));
  }
  AtomicFile file(
      dest.parent_path(), dest.filename().string(), workspace_file_mode(exec));
  util::copy_contents(in.get(), file.fd(), object, dest);
  file.commit(dest, AtomicFile::Sync::none);
}

} // namespace mlake::store
