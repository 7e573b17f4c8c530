#include <mlake/lake/erasure.hpp>
#include <mlake/lake/lake.hpp>
#include <mlake/lake/lock_file.hpp>
#include <mlake/store/object_store.hpp>
#include <mlake/store/tree.hpp>
#include <mlake/util/fs.hpp>

#include <unistd.h>

#include <algorithm>
#include <set>
#include <unordered_map>

namespace mlake::lake {

namespace {

// Whether the workspace file at `path` is a copy of the object `hash`: a
// link to it (link: symlink), or a file with its content. A file changed
// since checkout is the user's, not the lake's.
bool
holds_copy(const fs::path& path, const std::string& hash)
{
  auto st = util::lstat_path(path);
  if (!st) {
    return false;
  }
  if (st->is_symlink()) {
    std::error_code ec;
    fs::path target = fs::read_symlink(path, ec);
    return !ec && target.filename() == hash.substr(2);
  }
  return st->is_regular() && store::hash_file(path) == hash;
}

// Remove the folders below `dir`, and `dir`, that hold nothing any more.
void
remove_empty_folders(const fs::path& dir)
{
  std::error_code ec;
  std::vector<fs::path> folders;
  for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end;
       it.increment(ec)) {
    if (it->is_directory(ec) && !it->is_symlink(ec)) {
      folders.push_back(it->path());
    }
  }
  // Deepest first; rmdir leaves a folder that still holds something.
  std::sort(folders.rbegin(), folders.rend());
  for (const auto& folder : folders) {
    ::rmdir(folder.c_str());
  }
  ::rmdir(dir.c_str());
}

} // namespace

std::string
version_key(const std::string& artifact, const std::string& node)
{
  return artifact + "\n" + node;
}

bool
Erasure::purged(const std::string& artifact, const std::string& node) const
{
  return !versions.empty() && versions.count(version_key(artifact, node));
}

const index::PurgeRow*
Erasure::purge_of(const std::string& artifact, const std::string& node) const
{
  for (const auto& row : rows) {
    if (row.artifact == artifact && row.version_node == node) {
      return &row;
    }
  }
  return nullptr;
}

std::vector<std::string>
content_of(Lake& lake, const index::VersionRow& v)
{
  if (!v.stored) {
    return {};
  }
  if (v.type != "dir") {
    return {v.hash};
  }
  auto bytes = lake.objects().read(v.hash);
  if (!bytes) {
    return {};
  }
  std::vector<std::string> hashes;
  for (auto& entry : store::parse_tree(*bytes, "tree " + v.hash).entries) {
    hashes.push_back(std::move(entry.hash));
  }
  std::sort(hashes.begin(), hashes.end());
  hashes.erase(std::unique(hashes.begin(), hashes.end()), hashes.end());
  return hashes;
}

std::vector<Holder>
holders(Lake& lake,
        const std::unordered_set<std::string>& hashes,
        const std::unordered_set<std::string>& skip)
{
  std::vector<Holder> out;
  if (hashes.empty()) {
    return out;
  }
  auto& idx = lake.index();
  std::set<std::string> sorted(hashes.begin(), hashes.end());
  for (const auto& hash : sorted) {
    for (auto& v : idx.versions_with_hash(hash)) {
      if (v.type == "file" && v.stored &&
          !skip.count(version_key(v.artifact, v.node))) {
        out.push_back({std::move(v), {hash}});
      }
    }
  }
  // What a folder holds is only known from its tree; a tree shared by
  // several versions is read once.
  std::unordered_map<std::string, std::vector<std::string>> held_by_tree;
  for (auto& v : idx.stored_folder_versions()) {
    if (skip.count(version_key(v.artifact, v.node))) {
      continue;
    }
    auto it = held_by_tree.find(v.hash);
    if (it == held_by_tree.end()) {
      std::vector<std::string> held;
      for (auto& hash : content_of(lake, v)) {
        if (hashes.count(hash)) {
          held.push_back(std::move(hash));
        }
      }
      it = held_by_tree.emplace(v.hash, std::move(held)).first;
    }
    if (!it->second.empty()) {
      out.push_back({std::move(v), it->second});
    }
  }
  std::sort(out.begin(), out.end(), [](const Holder& a, const Holder& b) {
    return std::tie(a.version.artifact, a.version.ordinal) <
           std::tie(b.version.artifact, b.version.ordinal);
  });
  return out;
}

Erasure
load_purges(Lake& lake)
{
  Erasure erasure;
  erasure.rows = lake.index().purges();
  for (const auto& row : erasure.rows) {
    erasure.versions.insert(version_key(row.artifact, row.version_node));
  }
  return erasure;
}

Erasure
load_erasure(Lake& lake)
{
  Erasure erasure = load_purges(lake);
  if (erasure.empty()) {
    return erasure;
  }
  for (auto& hash : lake.index().purged_objects()) {
    erasure.content.insert(std::move(hash));
  }
  for (const auto& holder : holders(lake, erasure.content, erasure.versions)) {
    for (const auto& hash : holder.hashes) {
      erasure.content.erase(hash);
    }
  }
  return erasure;
}

Erased
erase_content(Lake& lake, const Erasure& erasure)
{
  Erased erased;
  if (erasure.content.empty()) {
    return erased;
  }
  // The workspace first, while a symbolic link still leads to its object.
  LockFile lock = LockFile::load(lake.root());
  std::vector<std::string> gone; // entries for purged versions, now absent
  for (const auto& [path, entry] : lock.entries) {
    std::vector<std::pair<std::string, std::string>> copies; // rel, hash
    if (entry.type == "dir") {
      auto bytes = lake.objects().read(entry.hash);
      if (!bytes) {
        continue;
      }
      for (const auto& e :
           store::parse_tree(*bytes, "tree " + entry.hash).entries) {
        if (erasure.content.count(e.hash)) {
          copies.emplace_back(path + "/" + e.path, e.hash);
        }
      }
    } else if (erasure.content.count(entry.hash)) {
      copies.emplace_back(path, entry.hash);
    }
    for (const auto& [rel, hash] : copies) {
      const fs::path file = lake.root() / rel;
      if (holds_copy(file, hash) && ::unlink(file.c_str()) == 0) {
        erased.workspace.push_back(rel);
      }
    }
    if (!erasure.purged(entry.artifact, entry.node)) {
      continue;
    }
    if (entry.type == "dir") {
      remove_empty_folders(lake.root() / path);
    }
    if (!util::lstat_path(lake.root() / path)) {
      gone.push_back(path);
    }
  }
  // A purged version can never be checked out again: mlake.lock stops
  // naming it once nothing of it is left in the workspace.
  if (!gone.empty()) {
    for (const auto& path : gone) {
      lock.entries.erase(path);
      lake.index().remove_stat_snapshot(path);
    }
    lock.save(lake.root());
  }
  std::vector<std::string> hashes(erasure.content.begin(),
                                  erasure.content.end());
  std::sort(hashes.begin(), hashes.end());
  for (const auto& hash : hashes) {
    if (auto size = lake.objects().remove(hash)) {
      ++erased.objects;
      erased.bytes += *size;
    }
  }
  if (erased.objects) {
    util::sync_filesystem(lake.dir());
  }
  std::sort(erased.workspace.begin(), erased.workspace.end());
  return erased;
}

std::vector<index::PurgeRow>
taint_of(index::Index& index,
         const Erasure& erasure,
         const std::string& artifact,
         const std::string& node)
{
  std::vector<index::PurgeRow> out;
  if (erasure.empty()) {
    return out;
  }
  std::set<std::pair<std::string, std::string>> culprits;
  if (!artifact.empty() && erasure.purged(artifact, node)) {
    culprits.emplace(artifact, node);
  } else {
    for (const auto& io : index.lineage({node}, true, -1, std::nullopt).io) {
      if (io.direction == "in" && !io.source.empty() &&
          erasure.purged(io.artifact, io.source)) {
        culprits.emplace(io.artifact, io.source);
      }
    }
  }
  for (const auto& row : erasure.rows) {
    if (culprits.count({row.artifact, row.version_node})) {
      out.push_back(row);
    }
  }
  return out;
}

json
taint_json(Lake& lake,
           const Erasure& erasure,
           const std::string& artifact,
           const std::string& node)
{
  json out = {{"purged", false}, {"tainted", false}, {"by", json::array()}};
  auto& idx = lake.index();
  for (const auto& row : taint_of(idx, erasure, artifact, node)) {
    std::string ref = row.artifact;
    for (const auto& v : idx.versions(row.artifact)) {
      if (v.node == row.version_node) {
        ref += "@" + std::to_string(v.ordinal);
      }
    }
    const bool itself = row.artifact == artifact && row.version_node == node;
    out[itself ? "purged" : "tainted"] = true;
    out["by"].push_back({{"ref", ref},
                         {"artifact", row.artifact},
                         {"node", row.version_node},
                         {"role", row.role},
                         {"purge", row.node},
                         {"time", row.time},
                         {"user", row.user_name},
                         {"reason", row.message}});
  }
  return out;
}

} // namespace mlake::lake
