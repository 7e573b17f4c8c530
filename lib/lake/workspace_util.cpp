#include "workspace_util.hpp"

#include <mlake/lake/lake.hpp>
#include <mlake/util/error.hpp>
#include <mlake/util/hash.hpp>
#include <mlake/util/parallel.hpp>

#include <sys/utsname.h>

#include <future>
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
                "move or copy it into the project first");
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

namespace {

bool
stat_matches(const index::StatEntry& entry, const util::FileStat& st)
{
  return entry.ino == st.ino && entry.size == st.size &&
         entry.mtime_ns == st.mtime_ns && entry.ctime_ns == st.ctime_ns;
}

} // namespace

void
scan_root(RootFiles& root,
          const fs::path& boundary,
          const std::function<index::StatSnapshot()>& load_snapshot,
          const std::function<bool(std::string_view)>& usable)
{
  root.files.clear();
  root.whole.clear();
  // Decoding the snapshot is work for the CPU, the walk mostly waits on
  // the kernel: do both at once.
  auto loading = std::async(std::launch::async, load_snapshot);
  if (root.is_dir) {
    for (auto& walked : store::walk_files(root.abs, boundary)) {
      root.files.push_back({std::move(walked.path), walked.st, {}, 0, false});
    }
  } else if (auto st = util::stat_path(root.abs)) {
    root.files.push_back({"", *st, {}, 0, false});
  }
  const index::StatSnapshot snapshot = loading.get();
  const auto& cached = snapshot.entries();
  bool all = root.files.size() == cached.size();
  for (std::size_t i = 0; i < root.files.size(); ++i) {
    auto& file = root.files[i];
    // Both lists are sorted, so the entry is usually at the same place.
    const index::StatEntry* entry =
        i < cached.size() && cached[i].path == file.key
            ? &cached[i]
            : snapshot.find(file.key);
    if (entry && stat_matches(*entry, file.st) && usable(entry->hash)) {
      file.hash = std::string(entry->hash);
      file.size = file.st.size;
      file.from_cache = true;
    } else {
      all = false;
    }
  }
  if (all && !snapshot.whole_hash().empty()) {
    root.whole = snapshot.whole_hash();
  }
}

void
hash_missing(std::vector<RootFiles>& roots,
             const std::function<HashedSize(const fs::path&)>& hash_fn,
             util::Progress& progress,
             std::string_view what)
{
  std::vector<std::pair<RootFiles*, FileToHash*>> todo;
  std::uint64_t bytes = 0;
  for (auto& root : roots) {
    for (auto& file : root.files) {
      if (!file.from_cache) {
        todo.emplace_back(&root, &file);
        bytes += file.st.size;
      }
    }
  }
  if (todo.empty()) {
    return;
  }
  util::ProgressPhase phase(progress, what, todo.size(), bytes);
  util::parallel_for(todo.size(), util::default_jobs(), [&](std::size_t i) {
    auto [root, file] = todo[i];
    HashedSize result = hash_fn(root->path_of(*file));
    file->hash = std::move(result.hash);
    file->size = result.size;
    progress.advance(1, 0);
  });
}

store::Tree
tree_of(const RootFiles& root)
{
  store::Tree tree;
  tree.entries.reserve(root.files.size());
  for (const auto& file : root.files) {
    tree.entries.push_back({file.key, file.size, file.st.is_exec(), file.hash});
  }
  return tree;
}

std::string
whole_hash_of(const RootFiles& root)
{
  if (!root.whole.empty()) {
    return root.whole;
  }
  if (!root.is_dir) {
    return root.files.empty() ? "" : root.files.front().hash;
  }
  return util::sha256_hex(store::serialize_tree(tree_of(root)));
}

void
store_snapshot(index::Index& index,
               const RootFiles& root,
               const std::string& whole,
               std::int64_t clock_before_stat)
{
  std::vector<index::StatEntry> entries;
  entries.reserve(root.files.size());
  bool complete = true;
  for (const auto& file : root.files) {
    if (file.hash.size() != 64 || file.size != file.st.size ||
        file.st.mtime_ns >= clock_before_stat) {
      complete = false;
      continue;
    }
    entries.push_back({file.key,
                       file.st.ino,
                       file.st.size,
                       file.st.mtime_ns,
                       file.st.ctime_ns,
                       file.hash});
  }
  index.put_stat_snapshot(root.rel, entries, complete ? whole : "");
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
