#pragma once

// Pieces shared by add, status and checkout.

#include <mlake/index/index.hpp>
#include <mlake/lake/lake.hpp>
#include <mlake/store/tree.hpp>
#include <mlake/store/walk.hpp>
#include <mlake/util/fs.hpp>
#include <mlake/util/json.hpp>
#include <mlake/util/progress.hpp>

#include <functional>
#include <string>
#include <vector>

namespace mlake::lake {

namespace fs = std::filesystem;

class Lake;

// A path the user named, checked to lie inside the project and outside
// `.mlake`.
struct ProjectPath
{
  fs::path abs;
  std::string rel; // project-relative, '/'-separated
};
ProjectPath resolve_project_path(const Lake& lake,
                                 const fs::path& cwd,
                                 const std::string& text);

struct FileToHash
{
  std::string key; // relative to the tracked path; "" for a tracked file
  util::FileStat st;
  std::string hash;
  std::uint64_t size = 0; // the size hashed (the stat's, from the cache)
  bool from_cache = false;
};

// The files of one tracked path (a file or a folder) as they are now.
struct RootFiles
{
  std::string rel; // the tracked path, project-relative
  fs::path abs;
  bool is_dir = false;
  std::vector<FileToHash> files; // sorted by key
  // The content (file) or tree (folder) hash, when the stat cache vouches
  // for every file and knew what they formed; "" otherwise.
  std::string whole;

  fs::path
  path_of(const FileToHash& file) const
  {
    return file.key.empty() ? abs : abs / file.key;
  }
};

// Look at the tracked path `root.abs` (a folder when `root.is_dir`) and
// take every hash the snapshot (read by `load_snapshot`, on another thread
// while the walk runs) still vouches for: same path, same inode,
// size, mtime and ctime. `usable` may refuse a cached hash (add wants the
// object to be in the store too). Symbolic links are followed when they
// stay within `boundary`.
void scan_root(RootFiles& root,
               const fs::path& boundary,
               const std::function<index::StatSnapshot()>& load_snapshot,
               const std::function<bool(std::string_view)>& usable);

struct HashedSize
{
  std::string hash;
  std::uint64_t size;
};

// Hash, on every core, the files the stat cache could not answer for.
void hash_missing(std::vector<RootFiles>& roots,
                  const std::function<HashedSize(const fs::path&)>& hash_fn,
                  util::Progress& progress,
                  std::string_view what);

// The tree a scanned folder forms, and its hash; for a file, its hash.
store::Tree tree_of(const RootFiles& root);
std::string whole_hash_of(const RootFiles& root);

// Remember the stat of the root's files. A file whose mtime is not older
// than `clock_before_stat` is left out (git's "racily clean" rule: it could
// change again within the same clock tick without its stat changing), and
// then `whole` is not recorded either.
void store_snapshot(index::Index& index,
                    const RootFiles& root,
                    const std::string& whole,
                    std::int64_t clock_before_stat);

// Add `/path` lines for the tracked paths (and `/.mlake/`) to the
// project's .gitignore when the project is in a git work tree.
void ensure_gitignored(const fs::path& root,
                       const std::vector<std::string>& rels);

} // namespace mlake::lake
