#include <mlake/store/walk.hpp>
#include <mlake/util/error.hpp>

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

namespace mlake::store {

namespace {

struct Walker
{
  const fs::path& top;
  const fs::path& boundary;
  std::vector<WalkedFile>& out;

  void
  walk(int dir_fd, const std::string& prefix)
  {
    DIR* dir = ::fdopendir(dir_fd);
    if (!dir) {
      int err = errno;
      ::close(dir_fd);
      throw Error(Exit::usage,
                  "cannot read folder " + quote((top / prefix).string()) +
                      ": " + util::errno_text(err));
    }
    struct Closer
    {
      DIR* d;
      ~Closer()
      {
        ::closedir(d);
      }
    } closer{dir};

    while (struct dirent* entry = ::readdir(dir)) {
      const char* name = entry->d_name;
      if (std::strcmp(name, ".") == 0 || std::strcmp(name, "..") == 0) {
        continue;
      }
      std::string rel = prefix.empty() ? name : prefix + "/" + name;
      auto st = util::lstat_at(::dirfd(dir), name, top / rel);
      if (!st) {
        continue; // removed while we looked
      }
      if (st->is_dir()) {
        if (std::strcmp(name, ".git") == 0 ||
            std::strcmp(name, ".mlake") == 0) {
          continue;
        }
        int sub = ::openat(::dirfd(dir),
                           name,
                           O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (sub < 0) {
          throw Error(Exit::usage,
                      "cannot open folder " + quote((top / rel).string()) +
                          ": " + util::errno_text(errno));
        }
        walk(sub, rel);
      } else if (st->is_regular()) {
        out.push_back({rel, *st});
      } else if (st->is_symlink()) {
        out.push_back({rel, follow(rel)});
      } else {
        throw Error(Exit::usage,
                    quote((top / rel).string()) +
                        " is not a regular file, folder or symbolic link",
                    "remove it or move it out of the tracked folder");
      }
    }
  }

  util::FileStat
  follow(const std::string& rel)
  {
    fs::path link = top / rel;
    std::error_code ec;
    fs::path target = fs::canonical(link, ec);
    if (ec) {
      throw Error(Exit::usage,
                  "symbolic link " + quote(link.string()) +
                      " points nowhere: " + ec.message());
    }
    if (!util::is_within(target, boundary)) {
      throw Error(Exit::usage,
                  "symbolic link " + quote(link.string()) +
                      " leads outside the project, to " +
                      quote(target.string()),
                  "copy the file into the project, or track it with 'mlake "
                  "ingest' instead");
    }
    auto st = util::stat_path(target);
    if (!st || !st->is_regular()) {
      throw Error(Exit::usage,
                  "symbolic link " + quote(link.string()) +
                      " does not lead to a regular file");
    }
    return *st;
  }
};

} // namespace

std::vector<WalkedFile>
walk_files(const fs::path& dir, const fs::path& boundary)
{
  std::vector<WalkedFile> out;
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    throw Error(errno == ENOENT ? Exit::not_found : Exit::usage,
                "cannot open folder " + quote(dir.string()) + ": " +
                    util::errno_text(errno));
  }
  Walker{dir, boundary, out}.walk(fd, "");
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return a.path < b.path;
  });
  return out;
}

} // namespace mlake::store
