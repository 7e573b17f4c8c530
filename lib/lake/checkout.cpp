#include <mlake/lake/erasure.hpp>
#include <mlake/lake/lake.hpp>
#include <mlake/lake/lock_file.hpp>
#include <mlake/lake/refs.hpp>
#include <mlake/lake/workspace.hpp>
#include <mlake/store/materialize.hpp>
#include <mlake/store/tree.hpp>
#include <mlake/util/error.hpp>
#include <mlake/util/interrupt.hpp>
#include <mlake/util/parallel.hpp>

#include <map>
#include <set>
#include <unordered_set>

#include "workspace_util.hpp"

namespace mlake::lake {

namespace {

struct Want
{
  std::string path; // relative to the target folder
  LockEntry entry;
  bool from_version = false; // named by the user, not taken from the lock
  int version = 0;
};

struct Write
{
  fs::path dest;
  std::string hash;
  bool exec = false;
  std::uint64_t size = 0;
};

// Content that is not here because a purge erased it cannot come back:
// say which purge, when, by whom and why.
void
throw_if_purged(Lake& lake, const std::vector<Want>& wants)
{
  const Erasure erasure = load_purges(lake);
  for (const auto& w : wants) {
    if (const auto* row = erasure.purge_of(w.entry.artifact, w.entry.node)) {
      throw Error(Exit::not_found,
                  "the content of " + quote(w.path) + " was erased by " +
                      row->user_name + " on " + row->time.substr(0, 10) +
                      " (purge " + row->node.substr(0, 12) +
                      "): " + row->message,
                  "a purged version cannot be checked out; 'mlake show " +
                      w.entry.artifact + "' lists the versions");
    }
  }
}

std::vector<Want>
wanted(Lake& lake, const CheckoutOptions& options, const LockFile& lock)
{
  std::vector<Want> out;
  if (options.refs.empty()) {
    for (const auto& [path, entry] : lock.entries) {
      out.push_back({path, entry});
    }
    return out;
  }
  std::map<std::string, std::string> by_path;
  for (const auto& ref : options.refs) {
    auto v = resolve_version(lake, ref, options.cwd);
    if (!v.stored) {
      throw Error(Exit::not_found,
                  quote(ref) + " was ingested by reference: its content is "
                               "not in the lake",
                  "ingest it again with --mode copy to keep a copy");
    }
    auto row = lake.index().artifact(v.artifact);
    Want w;
    w.path = v.path;
    w.entry.artifact = v.artifact;
    w.entry.kind = row ? row->field("kind", "other") : "other";
    w.entry.type = v.type;
    w.entry.size = v.size;
    w.entry.files = v.files;
    w.entry.exec = v.exec;
    w.entry.hash = v.hash;
    w.entry.node = v.node;
    w.from_version = true;
    w.version = v.ordinal;
    auto [it, inserted] = by_path.emplace(w.path, ref);
    if (!inserted) {
      throw Error(Exit::usage,
                  quote(it->second) + " and " + quote(ref) +
                      " both check out to " + quote(w.path));
    }
    out.push_back(std::move(w));
  }
  return out;
}

// Whether content found in the workspace is safe in the lake, so that the
// file holding it may be replaced: it is what mlake.lock records for that
// path, or it belongs to some version of the artifact being checked out
// (after a `git checkout`, the lock names one version while the workspace
// still holds another). Versions are read only when a file needs it.
class KnownContent
{
public:
  KnownContent(Lake& lake,
               const LockFile& lock,
               std::string artifact,
               const std::string& path)
      : m_lake(lake), m_artifact(std::move(artifact))
  {
    auto it = lock.entries.find(path);
    if (it != lock.entries.end()) {
      add_version(it->second.type, it->second.hash);
    }
  }

  bool
  holds(const std::string& hash)
  {
    // Whatever the records say, only content in the store can come back.
    if (!m_lake.objects().contains(hash)) {
      return false;
    }
    if (m_hashes.count(hash)) {
      return true;
    }
    if (!m_versions_read) {
      m_versions_read = true;
      for (const auto& v : m_lake.index().versions(m_artifact)) {
        add_version(v.type, v.hash);
      }
    }
    return m_hashes.count(hash) > 0;
  }

private:
  void
  add_version(const std::string& type, const std::string& hash)
  {
    if (type == "file") {
      m_hashes.insert(hash);
    } else if (auto bytes = m_lake.objects().read(hash)) {
      for (auto& e : store::parse_tree(*bytes, hash).entries) {
        m_hashes.insert(std::move(e.hash));
      }
    }
  }

  Lake& m_lake;
  std::string m_artifact;
  std::unordered_set<std::string> m_hashes;
  bool m_versions_read = false;
};

void
check_parents(const fs::path& dest,
              const fs::path& target,
              const fs::path& real_target)
{
  // Every folder on the way must be a real folder inside the target, so
  // that nothing is written elsewhere through a symbolic link.
  for (fs::path p = dest.parent_path();
       p != target && util::is_within(p, target);
       p = p.parent_path()) {
    auto st = util::lstat_path(p);
    if (st && st->is_symlink()) {
      std::error_code ec;
      fs::path real = fs::canonical(p, ec);
      if (ec || !util::is_within(real, real_target)) {
        throw Error(Exit::usage,
                    quote(p.string()) + " is a symbolic link leading out of " +
                        quote(target.string()),
                    "remove the link, or check out elsewhere with --to");
      }
    }
  }
}

std::string
list_some(const std::vector<std::string>& items)
{
  std::string list;
  for (std::size_t i = 0; i < items.size() && i < 5; ++i) {
    list += (i ? ", " : "") + quote(items[i]);
  }
  if (items.size() > 5) {
    list += " and " + std::to_string(items.size() - 5) + " more";
  }
  return list;
}

} // namespace

CheckoutResult
checkout(Lake& lake, const CheckoutOptions& options, util::Progress& progress)
{
  lake.lock("mlake checkout");
  auto& idx = lake.index();
  const auto& objects = lake.objects();
  LockFile lock = LockFile::load(lake.root());
  CheckoutResult result;
  result.target = options.to ? util::absolute_normal(options.cwd / *options.to)
                             : lake.root();
  // --to the project itself (by any path) is the workspace: mlake.lock
  // follows.
  std::error_code ec;
  if (fs::weakly_canonical(result.target, ec) == fs::canonical(lake.root())) {
    result.target = lake.root();
  }
  const bool in_workspace = result.target == lake.root();
  const fs::path& target = result.target;
  if (!in_workspace) {
    fs::create_directories(target, ec);
    if (ec) {
      throw Error(Exit::usage,
                  "cannot create " + quote(target.string()) + ": " +
                      ec.message());
    }
  }
  const fs::path real_target = fs::canonical(target);
  std::vector<Want> wants = wanted(lake, options, lock);

  // Pass 1: read and check every tree, and look at what is there now.
  const std::int64_t clock_before_stat = util::file_clock_now_ns();
  std::vector<store::Tree> trees(wants.size());
  std::vector<RootFiles> scans(wants.size());
  std::vector<std::string> missing;
  for (std::size_t i = 0; i < wants.size(); ++i) {
    const Want& w = wants[i];
    if (!util::is_safe_relative_path(w.path)) {
      throw Error(Exit::integrity,
                  "refusing to write unsafe path " + quote(w.path));
    }
    RootFiles& scan = scans[i];
    scan.rel = w.path;
    scan.abs = target / w.path;
    scan.is_dir = w.entry.type == "dir";
    check_parents(scan.abs, target, real_target);
    if (scan.is_dir) {
      auto bytes = objects.read(w.entry.hash);
      if (!bytes) {
        missing.push_back(w.path);
        continue;
      }
      trees[i] = store::parse_tree(*bytes, "of " + quote(w.path));
    } else {
      trees[i].entries.push_back(
          {"", w.entry.size, w.entry.exec, w.entry.hash});
    }
    for (const auto& e : trees[i].entries) {
      if (!objects.contains(e.hash)) {
        missing.push_back(e.path.empty() ? w.path : w.path + "/" + e.path);
      }
    }
    auto st = util::lstat_path(scan.abs);
    if (st && scan.is_dir == st->is_dir()) {
      scan_root(
          scan,
          real_target,
          [&] {
            return in_workspace ? idx.stat_snapshot(w.path)
                                : index::StatSnapshot{};
          },
          [](std::string_view) { return true; });
    }
  }
  if (!missing.empty()) {
    throw_if_purged(lake, wants);
    throw Error(Exit::not_found,
                "the lake does not hold the content of " + list_some(missing),
                "'mlake pull' downloads content fetched from a remote as "
                "history only; 'mlake fsck' tells content lost from content "
                "not downloaded");
  }
  hash_missing(
      scans,
      [](const fs::path& path) {
        auto st = util::stat_path(path);
        return HashedSize{store::hash_file(path), st ? st->size : 0};
      },
      progress,
      "checking");

  // Pass 2: decide what to write and what to remove. A file whose content
  // is neither what we are about to write nor what mlake.lock records holds
  // changes the lake does not have: those are never lost without --force.
  std::vector<Write> writes;
  std::vector<fs::path> removals;
  std::vector<std::string> conflicts;
  std::uint64_t unchanged = 0;
  for (std::size_t i = 0; i < wants.size(); ++i) {
    const Want& w = wants[i];
    RootFiles& scan = scans[i];
    KnownContent known(lake, lock, w.entry.artifact, w.path);
    auto safe = [&](const FileToHash& file) { return known.holds(file.hash); };
    auto st = util::lstat_path(scan.abs);
    if (st && scan.is_dir != st->is_dir()) {
      // A file where a folder goes, or the other way round.
      bool is_safe_file = !st->is_dir() && st->is_regular() &&
                          known.holds(store::hash_file(scan.abs));
      if (!is_safe_file) {
        conflicts.push_back(w.path);
      }
      removals.push_back(scan.abs);
    }
    std::map<std::string_view, FileToHash*> present;
    for (auto& file : scan.files) {
      present.emplace(file.key, &file);
    }
    for (const auto& e : trees[i].entries) {
      fs::path dest = e.path.empty() ? scan.abs : scan.abs / e.path;
      Write write{dest, e.hash, e.exec, e.size};
      auto it = present.find(e.path);
      if (it == present.end()) {
        writes.push_back(write);
        continue;
      }
      const FileToHash& file = *it->second;
      present.erase(it);
      if (file.hash == e.hash && file.st.is_exec() == e.exec) {
        ++unchanged;
        continue;
      }
      if (file.hash != e.hash && !safe(file)) {
        conflicts.push_back(e.path.empty() ? w.path : w.path + "/" + e.path);
      }
      writes.push_back(write);
    }
    for (const auto& [key, file] : present) {
      if (!safe(*file)) {
        conflicts.push_back(w.path + "/" + file->key);
      }
      removals.push_back(scan.path_of(*file));
    }
  }
  if (!conflicts.empty() && !options.force) {
    throw Error(Exit::check_failed,
                "checkout would overwrite changes not in the lake: " +
                    list_some(conflicts),
                "record them first with 'mlake add', or discard them with "
                "--force");
  }
  util::throw_if_interrupted();

  // Execute: make room, then write on every core.
  for (const auto& path : removals) {
    std::error_code ec;
    fs::remove_all(path, ec);
    if (ec) {
      throw Error(Exit::usage,
                  "cannot remove " + quote(path.string()) + ": " +
                      ec.message());
    }
    ++result.files_removed;
  }
  std::set<fs::path> dirs;
  std::uint64_t bytes = 0;
  for (const auto& write : writes) {
    dirs.insert(write.dest.parent_path());
    bytes += write.size;
  }
  for (const auto& dir : dirs) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) {
      throw Error(Exit::usage,
                  "cannot create " + quote(dir.string()) + ": " + ec.message());
    }
  }
  {
    util::ProgressPhase phase(progress, "checking out", writes.size(), bytes);
    const auto mode = lake.config().link;
    util::parallel_for(writes.size(), util::default_jobs(), [&](std::size_t i) {
      const auto& write = writes[i];
      store::materialize(objects, write.hash, write.dest, mode, write.exec);
      progress.advance(1, write.size);
    });
  }
  result.files_written = writes.size();
  result.files_unchanged = unchanged;
  for (const auto& w : wants) {
    result.paths.push_back({w.path, w.entry.artifact, w.entry.hash, w.version});
  }
  if (!in_workspace) {
    return result;
  }

  LockFile updated = lock;
  for (const auto& w : wants) {
    if (!w.from_version) {
      continue;
    }
    std::erase_if(updated.entries, [&](const auto& entry) {
      return entry.second.artifact == w.entry.artifact && entry.first != w.path;
    });
    updated.entries[w.path] = w.entry;
  }
  if (updated.entries != lock.entries) {
    updated.save(lake.root());
  }
  // The workspace now holds exactly the wanted content: remember the stat
  // of every file, so the next status reads none of them.
  idx.transaction([&] {
    for (std::size_t i = 0; i < wants.size(); ++i) {
      RootFiles now;
      now.rel = scans[i].rel;
      now.abs = scans[i].abs;
      now.is_dir = scans[i].is_dir;
      for (const auto& e : trees[i].entries) {
        fs::path dest = e.path.empty() ? now.abs : now.abs / e.path;
        if (auto st = util::stat_path(dest)) {
          now.files.push_back({e.path, *st, e.hash, e.size, false});
        }
      }
      store_snapshot(idx, now, wants[i].entry.hash, clock_before_stat);
    }
  });
  return result;
}

} // namespace mlake::lake
