#include "workspace_util.hpp"

#include <mlake/lake/lake.hpp>
#include <mlake/util/error.hpp>
#include <mlake/util/parallel.hpp>

#include <sys/utsname.h>

#include <set>
#include <sstream>

namespace mlake::lake {

ProjectPath
resolve_project_path(const Lake& lake,
                     const fs::path& cwd,
                     const std::string& text)
{
  if (text.empty()) {
    throw Error(Exit::usage, "an empty path was given");
  }
  ProjectPath out;
  out.abs = util::absolute_normal(cwd / text);
  if (!util::is_within(out.abs, lake.root())) {
    throw Error(Exit::usage,
                quote(text) + " is outside the project " +
                    quote(lake.root().string()),
                "move or copy it into the project first, or use 'mlake "
                "ingest'");
  }
  if (out.abs == lake.root()) {
    throw Error(Exit::usage,
                "cannot track the project root itself",
                "add the files and folders in it");
  }
  if (util::is_within(out.abs, lake.dir())) {
    throw Error(Exit::usage, quote(text) + " is inside the .mlake folder");
  }
  out.rel = util::relative_to(out.abs, lake.root());
  return out;
}

bool
stat_matches(const index::StatEntry& entry, const util::FileStat& st)
{
  return entry.ino == st.ino && entry.size == st.size &&
         entry.mtime_ns == st.mtime_ns && entry.ctime_ns == st.ctime_ns;
}

void
hash_files(std::vector<FileToHash>& files,
           const StatCache& cache,
           const std::function<bool(const std::string&)>& usable,
           const std::function<HashedSize(const FileToHash&)>& hash_fn,
           util::Progress& progress)
{
  std::vector<std::size_t> to_read;
  for (std::size_t i = 0; i < files.size(); ++i) {
    auto& file = files[i];
    auto it = cache.find(file.key);
    if (it != cache.end() && stat_matches(it->second, file.st) &&
        usable(it->second.hash)) {
      file.hash = it->second.hash;
      file.size = file.st.size;
      file.from_cache = true;
    } else {
      to_read.push_back(i);
    }
  }
  std::uint64_t bytes = 0;
  for (auto i : to_read) {
    bytes += files[i].st.size;
  }
  util::ProgressPhase phase(progress, "hashing", to_read.size(), bytes);
  util::parallel_for(to_read.size(), util::default_jobs(), [&](std::size_t k) {
    auto& file = files[to_read[k]];
    HashedSize result = hash_fn(file);
    file.hash = std::move(result.hash);
    file.size = result.size;
    progress.advance(1, 0);
  });
}

std::vector<std::pair<std::string, index::StatEntry>>
fresh_stat_entries(const std::vector<FileToHash>& files,
                   std::int64_t clock_before_stat)
{
  std::vector<std::pair<std::string, index::StatEntry>> out;
  for (const auto& file : files) {
    // git's "racily clean" rule: a file whose mtime is not older than the
    // moment we looked could change again within the same clock tick
    // without its stat changing, so its hash must not be trusted later.
    if (file.from_cache || file.hash.empty() ||
        file.st.mtime_ns >= clock_before_stat || file.size != file.st.size) {
      continue;
    }
    out.push_back({file.key,
                   {file.st.ino,
                    file.st.size,
                    file.st.mtime_ns,
                    file.st.ctime_ns,
                    file.hash}});
  }
  return out;
}

namespace {

bool
inside_git_work_tree(const fs::path& root)
{
  for (fs::path dir = root;; dir = dir.parent_path()) {
    if (util::lstat_path(dir / ".git")) {
      return true;
    }
    if (dir == dir.root_path() || !dir.has_parent_path()) {
      return false;
    }
  }
}

std::string
gitignore_pattern(const std::string& rel)
{
  std::string out = "/";
  for (char c : rel) {
    if (c == '*' || c == '?' || c == '[' || c == '\\' || c == '!' || c == '#') {
      out.push_back('\\');
    }
    out.push_back(c);
  }
  return out;
}

} // namespace

void
ensure_gitignored(const fs::path& root, const std::vector<std::string>& rels)
{
  if (!inside_git_work_tree(root)) {
    return;
  }
  fs::path path = root / ".gitignore";
  std::string text = util::read_file_if_exists(path).value_or("");
  std::set<std::string> present;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    present.insert(line);
  }
  std::string added;
  auto want = [&](const std::string& pattern) {
    if (!present.count(pattern)) {
      present.insert(pattern);
      added += pattern + "\n";
    }
  };
  want("/.mlake/");
  for (const auto& rel : rels) {
    want(gitignore_pattern(rel));
  }
  if (added.empty()) {
    return;
  }
  if (!text.empty() && text.back() != '\n') {
    text.push_back('\n');
  }
  if (text.find("# mlake") == std::string::npos) {
    text += "# mlake: data tracked in the lake (see mlake.lock)\n";
  }
  util::write_file_atomic(path, text + added, util::AtomicFile::Sync::file);
}

json
basic_env()
{
  json env = {{"mlake", MLAKE_VERSION}};
  struct utsname un;
  if (::uname(&un) == 0) {
    env["os"] = std::string(un.sysname) + " " + un.release;
    env["arch"] = un.machine;
  }
  return env;
}

} // namespace mlake::lake
