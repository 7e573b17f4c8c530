#include <mlake/store/walk.hpp>
#include <mlake/util/error.hpp>
#include <mlake/util/parallel.hpp>

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

namespace mlake::store {

namespace {

// One folder met on the walk: the names in it, in the order their full
// paths sort (a folder sorts as its name followed by '/', as in git's
// trees), so that visiting them in order yields paths sorted bytewise.
struct Folder
{
  std::string rel; // relative to the walked root, "" for the root
  struct Item
  {
    std::string name;
    bool is_dir;
    std::size_t folder = 0; // index of the sub-folder when is_dir
    util::FileStat st;      // filled in by the second pass for files
  };
  std::vector<Item> items;
};

// Whether `a` comes before `b` when a folder's name is read with a '/'
// after it; names hold no '/', so the first difference decides.
bool
sorts_before(const Folder::Item& a, const Folder::Item& b)
{
  std::string_view x = a.name;
  std::string_view y = b.name;
  const std::size_t n = std::min(x.size(), y.size());
  if (int c = x.substr(0, n).compare(y.substr(0, n)); c != 0) {
    return c < 0;
  }
  auto next = [n](std::string_view s, bool is_dir) {
    return n < s.size() ? int(static_cast<unsigned char>(s[n]))
                        : (is_dir ? int('/') : -1);
  };
  return next(x, a.is_dir) < next(y, b.is_dir);
}

struct Walker
{
  const fs::path& top;
  const fs::path& boundary;
  std::vector<Folder> folders;

  std::string
  join(const std::string& prefix, const char* name) const
  {
    return prefix.empty() ? std::string(name) : prefix + "/" + name;
  }

  // First pass, one thread: read every folder, learning what is a folder
  // from readdir's d_type where the filesystem gives it.
  void
  read_folder(int dir_fd, std::size_t index)
  {
    DIR* dir = ::fdopendir(dir_fd);
    if (!dir) {
      int err = errno;
      ::close(dir_fd);
      throw Error(Exit::usage,
                  "cannot read folder " +
                      quote((top / folders[index].rel).string()) + ": " +
                      util::errno_text(err));
    }
    struct Closer
    {
      DIR* d;
      ~Closer()
      {
        ::closedir(d);
      }
    } closer{dir};

    std::vector<Folder::Item> items;
    while (struct dirent* entry = ::readdir(dir)) {
      const char* name = entry->d_name;
      if (std::strcmp(name, ".") == 0 || std::strcmp(name, "..") == 0) {
        continue;
      }
      bool is_dir = entry->d_type == DT_DIR;
      if (entry->d_type == DT_UNKNOWN) {
        auto st = util::lstat_at(::dirfd(dir), name, top / folders[index].rel);
        if (!st) {
          continue;
        }
        is_dir = st->is_dir();
      }
      if (is_dir && (std::strcmp(name, ".git") == 0 ||
                     std::strcmp(name, ".mlake") == 0)) {
        continue;
      }
      items.push_back({name, is_dir, 0, {}});
    }
    std::sort(items.begin(), items.end(), sorts_before);
    const std::string rel = folders[index].rel;
    for (auto& item : items) {
      if (!item.is_dir) {
        continue;
      }
      std::string sub_rel = join(rel, item.name.c_str());
      int sub = ::openat(::dirfd(dir),
                         item.name.c_str(),
                         O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (sub < 0) {
        throw Error(Exit::usage,
                    "cannot open folder " + quote((top / sub_rel).string()) +
                        ": " + util::errno_text(errno));
      }
      item.folder = folders.size();
      folders.push_back({sub_rel, {}});
      read_folder(sub, item.folder);
    }
    folders[index].items = std::move(items);
  }

  // Second pass, on every core: stat the files of one folder.
  void
  stat_folder(Folder& folder)
  {
    fs::path dir_path = folder.rel.empty() ? top : top / folder.rel;
    util::UniqueFd fd(
        ::open(dir_path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd) {
      throw Error(Exit::usage,
                  "cannot open folder " + quote(dir_path.string()) + ": " +
                      util::errno_text(errno));
    }
    for (auto& item : folder.items) {
      if (item.is_dir) {
        continue;
      }
      auto st = util::lstat_at(fd.get(), item.name.c_str(), dir_path);
      if (!st) {
        item.st.mode = 0; // removed while we looked: dropped below
      } else if (st->is_regular()) {
        item.st = *st;
      } else if (st->is_symlink()) {
        item.st = follow(join(folder.rel, item.name.c_str()));
      } else if (st->is_dir()) {
        item.st.mode = 0; // became a folder since the first pass
      } else {
        throw Error(Exit::usage,
                    quote((dir_path / item.name).string()) +
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
                  "copy the file into the project instead");
    }
    auto st = util::stat_path(target);
    if (!st || !st->is_regular()) {
      throw Error(Exit::usage,
                  "symbolic link " + quote(link.string()) +
                      " does not lead to a regular file");
    }
    return *st;
  }

  void
  emit(std::size_t index, std::vector<WalkedFile>& out) const
  {
    const Folder& folder = folders[index];
    for (const auto& item : folder.items) {
      if (item.is_dir) {
        emit(item.folder, out);
      } else if (item.st.mode != 0) {
        out.push_back({join(folder.rel, item.name.c_str()), item.st});
      }
    }
  }
};

} // namespace

std::vector<WalkedFile>
walk_files(const fs::path& dir, const fs::path& boundary)
{
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    throw Error(errno == ENOENT ? Exit::not_found : Exit::usage,
                "cannot open folder " + quote(dir.string()) + ": " +
                    util::errno_text(errno));
  }
  Walker walker{dir, boundary, {}};
  walker.folders.push_back({"", {}});
  walker.read_folder(fd, 0);
  util::parallel_for(
      walker.folders.size(), util::default_jobs(), [&](std::size_t i) {
        walker.stat_folder(walker.folders[i]);
      });
  std::vector<WalkedFile> out;
  walker.emit(0, out);
  return out;
}

} // namespace mlake::store
