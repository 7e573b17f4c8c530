#include <mlake/lake/lake.hpp>
#include <mlake/lake/lock_file.hpp>
#include <mlake/lake/workspace.hpp>
#include <mlake/store/object_store.hpp>
#include <mlake/store/tree.hpp>
#include <mlake/util/error.hpp>
#include <mlake/util/file_lock.hpp>

#include <algorithm>
#include <set>

#include "workspace_util.hpp"

namespace mlake::lake {

namespace {

void
diff_tree(const RootFiles& now,
          const store::Tree& recorded,
          const std::string& artifact,
          std::vector<StatusChange>& out)
{
  auto file = now.files.begin();
  auto entry = recorded.entries.begin();
  // Both lists are sorted by path: walk them side by side.
  while (file != now.files.end() || entry != recorded.entries.end()) {
    int order;
    if (file == now.files.end()) {
      order = 1;
    } else if (entry == recorded.entries.end()) {
      order = -1;
    } else {
      order = file->key.compare(entry->path);
    }
    if (order < 0) {
      out.push_back({now.rel + "/" + file->key, artifact, "new"});
      ++file;
    } else if (order > 0) {
      out.push_back({now.rel + "/" + entry->path, artifact, "deleted"});
      ++entry;
    } else {
      if (file->hash != entry->hash || file->st.is_exec() != entry->exec) {
        out.push_back({now.rel + "/" + file->key, artifact, "modified"});
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

  auto& idx = lake.index();
  const std::int64_t clock_before_stat = util::file_clock_now_ns();
  const fs::path real_root = fs::canonical(lake.root());
  StatusResult result;
  std::vector<RootFiles> scans;
  std::vector<const LockEntry*> entries;
  for (const auto& [path, entry] : lock.entries) {
    if (!paths.empty() && !chosen.count(path)) {
      continue;
    }
    ++result.tracked;
    RootFiles scan;
    scan.rel = path;
    scan.abs = lake.root() / path;
    scan.is_dir = entry.type == "dir";
    auto st = util::stat_path(scan.abs);
    if (!st) {
      result.changes.push_back({path, entry.artifact, "deleted"});
      continue;
    }
    if (scan.is_dir != st->is_dir() || (!scan.is_dir && !st->is_regular())) {
      result.changes.push_back({path, entry.artifact, "modified"});
      continue;
    }
    scan_root(
        scan,
        real_root,
        [&] { return idx.stat_snapshot(path); },
        [](std::string_view) { return true; });
    scans.push_back(std::move(scan));
    entries.push_back(&entry);
  }

  hash_missing(
      scans,
      [](const fs::path& path) {
        auto hash = store::hash_file(path);
        auto st = util::stat_path(path);
        return HashedSize{hash, st ? st->size : 0};
      },
      progress,
      "checking");

  std::vector<std::size_t> rehashed;
  std::vector<std::string> wholes(scans.size());
  for (std::size_t k = 0; k < scans.size(); ++k) {
    const RootFiles& scan = scans[k];
    const LockEntry& entry = *entries[k];
    const std::string& now = wholes[k] = whole_hash_of(scan);
    if (scan.whole.empty()) {
      rehashed.push_back(k);
    }
    if (!scan.is_dir) {
      if (now != entry.hash || scan.files.front().st.is_exec() != entry.exec) {
        result.changes.push_back({scan.rel, entry.artifact, "modified"});
      }
      continue;
    }
    if (now == entry.hash) {
      continue;
    }
    auto bytes = lake.objects().read(entry.hash);
    if (!bytes) {
      // Without the recorded tree we cannot say which files changed.
      result.changes.push_back({scan.rel, entry.artifact, "modified"});
      continue;
    }
    diff_tree(scan,
              store::parse_tree(*bytes, entry.hash),
              entry.artifact,
              result.changes);
  }
  std::erase_if(result.changes, [&](const StatusChange& c) {
    return !matches_filter(c.path, filters);
  });
  std::sort(result.changes.begin(),
            result.changes.end(),
            [](const auto& a, const auto& b) { return a.path < b.path; });

  // Remember what was hashed, so the next status need not read it again;
  // skip it when a writer is busy rather than wait.
  if (!rehashed.empty()) {
    if (auto held =
            util::FileLock::try_lock(lake.dir() / "lock", "mlake status")) {
      idx.transaction([&] {
        for (auto k : rehashed) {
          store_snapshot(idx, scans[k], wholes[k], clock_before_stat);
        }
      });
    }
  }
  return result;
}

} // namespace mlake::lake
