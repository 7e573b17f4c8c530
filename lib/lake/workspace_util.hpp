#pragma once

// Pieces shared by add, status and checkout.

#include <mlake/index/index.hpp>
#include <mlake/store/walk.hpp>
#include <mlake/util/fs.hpp>
#include <mlake/util/json.hpp>
#include <mlake/util/progress.hpp>

#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

namespace mlake::lake {

namespace fs = std::filesystem;

class Lake;

using StatCache = std::unordered_map<std::string, index::StatEntry>;

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

// Whether the stat cache's entry still describes the file.
bool stat_matches(const index::StatEntry& entry, const util::FileStat& st);

// A file whose hash is wanted: from the stat cache when it still matches,
// else computed by `hash_fn` (which may also store the file).
struct FileToHash
{
  FileToHash(fs::path abs_path, std::string cache_key, util::FileStat stat)
      : abs(std::move(abs_path)), key(std::move(cache_key)), st(stat)
  {}

  fs::path abs;
  std::string key; // project-relative path: the stat cache key
  util::FileStat st;
  std::string hash;
  std::uint64_t size = 0; // the size actually read (or the stat size)
  bool from_cache = false;
};

struct HashedSize
{
  std::string hash;
  std::uint64_t size;
};

void hash_files(std::vector<FileToHash>& files,
                const StatCache& cache,
                const std::function<bool(const std::string&)>& usable,
                const std::function<HashedSize(const FileToHash&)>& hash_fn,
                util::Progress& progress);

// Stat cache rows for the files hashed by reading, except those modified
// too recently (at or after `clock_before_stat`) to be trusted later.
std::vector<std::pair<std::string, index::StatEntry>>
fresh_stat_entries(const std::vector<FileToHash>& files,
                   std::int64_t clock_before_stat);

// Add `/path` lines for the tracked paths (and `/.mlake/`) to the
// project's .gitignore when the project is in a git work tree.
void ensure_gitignored(const fs::path& root,
                       const std::vector<std::string>& rels);

// OS, architecture and mlake version, recorded in every node.
json basic_env();

} // namespace mlake::lake
