#include <mlake/lake/lake.hpp>
#include <mlake/lake/lock_file.hpp>
#include <mlake/lake/workspace.hpp>
#include <mlake/store/object_store.hpp>
#include <mlake/store/tree.hpp>
#include <mlake/util/error.hpp>
#include <mlake/util/file_lock.hpp>
#include <mlake/util/hash.hpp>

#include <algorithm>
#include <set>

#include "workspace_util.hpp"

namespace mlake::lake {

namespace {

struct Tracked
{
  std::string path;
  const LockEntry* entry;
  std::optional<std::string> state; // set when decided without reading
  std::size_t first_file = 0;
  std::size_t file_count = 0;
};

void
diff_tree(const Tracked& t,
          const std::vector<FileToHash>& files,
          const store::Tree& recorded,
          std::vector<StatusChange>& out)
{
  const std::size_t prefix = t.path.size() + 1;
  auto file = files.begin() + static_cast<std::ptrdiff_t>(t.first_file);
  auto file_end = file + static_cast<std::ptrdiff_t>(t.file_count);
  auto entry = recorded.entries.begin();
  // Both lists are sorted by path: walk them side by side.
  while (file != file_end || entry != recorded.entries.end()) {
    int order;
    if (file == file_end) {
      order = 1;
    } else if (entry == recorded.entries.end()) {
      order = -1;
    } else {
      order = file->key.compare(prefix, std::string::npos, entry->path);
    }
    if (order < 0) {
      out.push_back({file->key, t.path, "new"});
      ++file;
    } else if (order > 0) {
      out.push_back({t.path + "/" + entry->path, t.path, "deleted"});
      ++entry;
    } else {
      if (file->hash != entry->hash || file->st.is_exec() != entry->exec) {
        out.push_back({file->key, t.path, "modified"});
      }
      ++file;
      ++entry;
    }
  }
}

bool
matches_filter(const std::string& path, const std::vector<std::string>& filters)
{
  if (filters.empty()) {
    return true;
  }
  for (const auto& f : filters) {
    if (path == f || path.starts_with(f + "/") || f.starts_with(path + "/")) {
      return true;
    }
  }
  return false;
}

} // namespace

StatusResult
status(Lake& lake,
       const std::vector<std::string>& paths,
       const fs::path& cwd,
       util::Progress& progress)
{
  LockFile lock = LockFile::load(lake.root());
  std::vector<std::string> filters;
  std::set<std::string> chosen;
  for (const auto& text : paths) {
    std::string rel = resolve_project_path(lake, cwd, text).rel;
    filters.push_back(rel);
    if (auto covering = lock.covering(rel)) {
      chosen.insert(covering->first);
      continue;
    }
    bool any = false;
    for (auto it = lock.entries.lower_bound(rel + "/");
         it != lock.entries.end() && it->first.starts_with(rel + "/");
         ++it) {
      chosen.insert(it->first);
      any = true;
    }
    if (!any) {
      throw Error(Exit::not_found,
                  quote(text) + " is not tracked",
                  "run 'mlake add " + text + "' to track it");
    }
  }

  const std::int64_t clock_before_stat = util::file_clock_now_ns();
  const fs::path real_root = fs::canonical(lake.root());
  std::vector<Tracked> tracked;
  std::vector<FileToHash> files;
  for (const auto& [path, entry] : lock.entries) {
    if (!paths.empty() && !chosen.count(path)) {
      continue;
    }
    Tracked t{path, &entry, std::nullopt};
    fs::path abs = lake.root() / path;
    auto st = util::stat_path(abs);
    t.first_file = files.size();
    if (!st) {
      t.state = "deleted";
    } else if (entry.type == "dir") {
      if (!st->is_dir()) {
        t.state = "modified";
      } else {
        for (auto& walked : store::walk_files(abs, real_root)) {
          files.emplace_back(
              abs / walked.path, path + "/" + walked.path, walked.st);
        }
      }
    } else if (!st->is_regular()) {
      t.state = "modified";
    } else {
      files.emplace_back(abs, path, *st);
    }
    t.file_count = files.size() - t.first_file;
    tracked.push_back(t);
  }

  StatCache cache = lake.index().stat_entries("");
  hash_files(
      files,
      cache,
      [](const std::string&) { return true; },
      [](const FileToHash& file) {
        return HashedSize{store::hash_file(file.abs), file.st.size};
      },
      progress);

  StatusResult result;
  result.tracked = tracked.size();
  for (const auto& t : tracked) {
    if (t.state) {
      result.changes.push_back({t.path, t.path, *t.state});
      continue;
    }
    if (t.entry->type == "file") {
      if (files[t.first_file].hash != t.entry->hash) {
        result.changes.push_back({t.path, t.path, "modified"});
      }
      continue;
    }
    store::Tree now;
    now.entries.reserve(t.file_count);
    const std::size_t prefix = t.path.size() + 1;
    for (std::size_t i = t.first_file; i < t.first_file + t.file_count; ++i) {
      now.entries.push_back({files[i].key.substr(prefix),
                             files[i].size,
                             files[i].st.is_exec(),
                             files[i].hash});
    }
    if (util::sha256_hex(store::serialize_tree(now)) == t.entry->hash) {
      continue;
    }
    auto bytes = lake.objects().read(t.entry->hash);
    if (!bytes) {
      // Without the recorded tree we cannot say which files changed.
      result.changes.push_back({t.path, t.path, "modified"});
      continue;
    }
    diff_tree(
        t, files, store::parse_tree(*bytes, t.entry->hash), result.changes);
  }
  std::erase_if(result.changes, [&](const StatusChange& c) {
    return !matches_filter(c.path, filters);
  });
  std::sort(result.changes.begin(),
            result.changes.end(),
            [](const auto& a, const auto& b) { return a.path < b.path; });

  // Remember what was hashed, so the next status need not read it again;
  // skip it when a writer is busy rather than wait.
  auto fresh = fresh_stat_entries(files, clock_before_stat);
  if (!fresh.empty()) {
    if (auto held =
            util::FileLock::try_lock(lake.dir() / "lock", "mlake status")) {
      auto& idx = lake.index();
      idx.transaction([&] { idx.put_stat_entries(fresh); });
    }
  }
  return result;
}

} // namespace mlake::lake
