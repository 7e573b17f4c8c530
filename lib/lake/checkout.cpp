#include <mlake/lake/lake.hpp>
#include <mlake/lake/lock_file.hpp>
#include <mlake/lake/refs.hpp>
#include <mlake/lake/workspace.hpp>
#include <mlake/store/materialize.hpp>
#include <mlake/store/tree.hpp>
#include <mlake/util/error.hpp>
#include <mlake/util/interrupt.hpp>
#include <mlake/util/parallel.hpp>

#include <unistd.h>

#include <map>
#include <set>

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
  std::string key;
  std::uint64_t size = 0;
};

struct Plan
{
  std::vector<Write> writes;
  std::vector<fs::path> removals;
  std::vector<std::string> conflicts;
  std::uint64_t unchanged = 0;
};

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
    auto row = lake.index().artifact(v.artifact);
    Want w{v.path,
           LockEntry{v.artifact,
                     row ? row->field("kind", "other") : "other",
                     v.type,
                     v.size,
                     v.files,
                     v.hash,
                     v.node},
           true,
           v.ordinal};
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

// Whether the content is safe in the lake, so a file holding it may be
// replaced without losing anything.
bool
content_in_lake(Lake& lake, const std::string& hash)
{
  return lake.objects().contains(hash) &&
         !lake.index().versions_with_hash(hash).empty();
}

} // namespace

CheckoutResult
checkout(Lake& lake, const CheckoutOptions& options, util::Progress& progress)
{
  lake.lock("mlake checkout");
  auto& idx = lake.index();
  LockFile lock = LockFile::load(lake.root());
  const bool in_workspace = !options.to;
  CheckoutResult result;
  result.target = in_workspace
                      ? lake.root()
                      : util::absolute_normal(options.cwd / *options.to);
  const fs::path& target = result.target;
  if (!in_workspace) {
    std::error_code ec;
    fs::create_directories(target, ec);
    if (ec) {
      throw Error(Exit::usage,
                  "cannot create " + quote(target.string()) + ": " +
                      ec.message());
    }
  }
  const fs::path real_target = fs::canonical(target);
  std::vector<Want> wants = wanted(lake, options, lock);

  // Pass 1: what is there now. Trees are read and validated here, before
  // anything is written.
  std::vector<store::Tree> trees(wants.size());
  std::vector<FileToHash> existing;
  std::vector<std::pair<std::size_t, std::size_t>> existing_of(wants.size());
  std::vector<std::optional<util::FileStat>> top_stat(wants.size());
  std::vector<std::string> missing_objects;
  for (std::size_t i = 0; i < wants.size(); ++i) {
    const Want& w = wants[i];
    if (!util::is_safe_relative_path(w.path)) {
      throw Error(Exit::integrity,
                  "refusing to write unsafe path " + quote(w.path));
    }
    fs::path dest = target / w.path;
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
                      quote(p.string()) +
                          " is a symbolic link leading out of " +
                          quote(target.string()),
                      "remove the link, or check out elsewhere with --to");
        }
      }
    }
    if (w.entry.type == "dir") {
      auto bytes = lake.objects().read(w.entry.hash);
      if (!bytes) {
        missing_objects.push_back(w.path);
        continue;
      }
      trees[i] = store::parse_tree(*bytes, "of " + quote(w.path));
    }
    top_stat[i] = util::lstat_path(dest);
    std::size_t first = existing.size();
    if (top_stat[i]) {
      if (w.entry.type == "dir" && top_stat[i]->is_dir()) {
        for (auto& walked : store::walk_files(dest, real_target)) {
          existing.emplace_back(
              dest / walked.path, w.path + "/" + walked.path, walked.st);
        }
      } else if (w.entry.type == "file" && !top_stat[i]->is_dir()) {
        auto st = util::stat_path(dest);
        if (st && st->is_regular()) {
          existing.emplace_back(dest, w.path, *st);
        }
      }
    }
    existing_of[i] = {first, existing.size()};
  }

  StatCache cache;
  if (in_workspace) {
    cache = idx.stat_entries("");
  }
  hash_files(
      existing,
      cache,
      [](const std::string&) { return true; },
      [](const FileToHash& file) {
        return HashedSize{store::hash_file(file.abs), file.st.size};
      },
      progress);

  // Pass 2: decide what to write and what to remove.
  Plan plan;
  auto replaceable = [&](const FileToHash& file) {
    return content_in_lake(lake, file.hash);
  };
  for (std::size_t i = 0; i < wants.size(); ++i) {
    const Want& w = wants[i];
    fs::path dest = target / w.path;
    const auto& st = top_stat[i];
    auto [first, last] = existing_of[i];
    if (w.entry.type == "file") {
      if (!lake.objects().contains(w.entry.hash)) {
        missing_objects.push_back(w.path);
        continue;
      }
      Write write{dest, w.entry.hash, false, w.path, w.entry.size};
      if (!st) {
        plan.writes.push_back(write);
      } else if (first == last) {
        // A folder or something else stands where the file goes.
        plan.conflicts.push_back(w.path);
        plan.removals.push_back(dest);
        plan.writes.push_back(write);
      } else if (existing[first].hash == w.entry.hash) {
        ++plan.unchanged;
      } else {
        if (!replaceable(existing[first])) {
          plan.conflicts.push_back(w.path);
        }
        plan.writes.push_back(write);
      }
      continue;
    }
    if (st && !st->is_dir()) {
      if (!st->is_regular() || !content_in_lake(lake, store::hash_file(dest))) {
        plan.conflicts.push_back(w.path);
      }
      plan.removals.push_back(dest);
    }
    std::map<std::string_view, const FileToHash*> present;
    for (std::size_t k = first; k < last; ++k) {
      present.emplace(
          std::string_view(existing[k].key).substr(w.path.size() + 1),
          &existing[k]);
    }
    for (const auto& e : trees[i].entries) {
      if (!lake.objects().contains(e.hash)) {
        missing_objects.push_back(w.path + "/" + e.path);
        continue;
      }
      Write write{dest / e.path, e.hash, e.exec, w.path + "/" + e.path, e.size};
      auto it = present.find(e.path);
      if (it == present.end()) {
        plan.writes.push_back(write);
        continue;
      }
      const FileToHash& file = *it->second;
      present.erase(it);
      if (file.hash == e.hash && file.st.is_exec() == e.exec) {
        ++plan.unchanged;
        continue;
      }
      if (file.hash != e.hash && !replaceable(file)) {
        plan.conflicts.push_back(file.key);
      }
      plan.writes.push_back(write);
    }
    for (const auto& [rel, file] : present) {
      if (!replaceable(*file)) {
        plan.conflicts.push_back(file->key);
      }
      plan.removals.push_back(file->abs);
    }
  }

  if (!missing_objects.empty()) {
    std::string list;
    for (std::size_t i = 0; i < missing_objects.size() && i < 5; ++i) {
      list += (i ? ", " : "") + quote(missing_objects[i]);
    }
    if (missing_objects.size() > 5) {
      list += " and " + std::to_string(missing_objects.size() - 5) + " more";
    }
    throw Error(Exit::not_found,
                "the lake does not hold the content of " + list,
                "run 'mlake pull' to fetch it from a remote");
  }
  if (!plan.conflicts.empty() && !options.force) {
    std::string list;
    for (std::size_t i = 0; i < plan.conflicts.size() && i < 5; ++i) {
      list += (i ? ", " : "") + quote(plan.conflicts[i]);
    }
    if (plan.conflicts.size() > 5) {
      list += " and " + std::to_string(plan.conflicts.size() - 5) + " more";
    }
    throw Error(Exit::check_failed,
                "checkout would overwrite changes not in the lake: " + list,
                "record them first with 'mlake add', or discard them with "
                "--force");
  }
  util::throw_if_interrupted();

  // Execute: make room, then write in parallel.
  for (const auto& path : plan.removals) {
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
  for (const auto& write : plan.writes) {
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
    util::ProgressPhase phase(
        progress, "checking out", plan.writes.size(), bytes);
    const auto mode = lake.config().link;
    util::parallel_for(
        plan.writes.size(), util::default_jobs(), [&](std::size_t i) {
          const auto& write = plan.writes[i];
          store::materialize(
              lake.objects(), write.hash, write.dest, mode, write.exec);
          progress.advance(1, write.size);
        });
  }
  result.files_written = plan.writes.size();
  result.files_unchanged = plan.unchanged;
  for (const auto& w : wants) {
    result.paths.push_back({w.path, w.entry.artifact, w.entry.hash, w.version});
  }
  if (!in_workspace) {
    return result;
  }

  // The files just written are known: remember their stat, except those
  // written in the current clock tick (see fresh_stat_entries).
  const std::int64_t clock_after_write = util::file_clock_now_ns();
  std::vector<FileToHash> written;
  for (const auto& write : plan.writes) {
    if (auto st = util::stat_path(write.dest)) {
      written.emplace_back(write.dest, write.key, *st);
      written.back().hash = write.hash;
      written.back().size = st->size;
    }
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
  idx.transaction([&] {
    idx.put_stat_entries(fresh_stat_entries(written, clock_after_write));
  });
  return result;
}

} // namespace mlake::lake
