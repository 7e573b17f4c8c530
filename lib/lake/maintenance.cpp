#include <mlake/lake/absent.hpp>
#include <mlake/lake/erasure.hpp>
#include <mlake/lake/lake.hpp>
#include <mlake/lake/lock_file.hpp>
#include <mlake/lake/maintenance.hpp>
#include <mlake/store/tree.hpp>
#include <mlake/util/error.hpp>
#include <mlake/util/hash.hpp>
#include <mlake/util/interrupt.hpp>
#include <mlake/util/parallel.hpp>

#include <algorithm>
#include <mutex>
#include <unordered_map>
#include <unordered_set>

namespace mlake::lake {

namespace {

struct NodeScan
{
  std::vector<std::string> ids;                           // sound nodes
  std::unordered_set<std::string> referenced;             // hashes nodes name
  std::vector<std::pair<std::string, std::string>> trees; // hash, node id
  std::vector<Fault> faults;
};

// Read every node; collect what they reference and what is wrong with them.
NodeScan
scan_nodes(Lake& lake)
{
  NodeScan scan;
  std::unordered_map<std::string, json> nodes;
  auto ids = lake.nodes().list([&](const fs::path& stray) {
    scan.faults.push_back({"node",
                           stray.filename().string(),
                           "unexpected file in the nodes folder"});
  });
  std::unordered_set<std::string> present(ids.begin(), ids.end());
  for (const auto& id : ids) {
    auto bytes = lake.nodes().read_bytes(id);
    if (!bytes) {
      continue;
    }
    json node = json::parse(*bytes, nullptr, false);
    if (node.is_discarded()) {
      scan.faults.push_back({"node", id, "not valid JSON"});
      continue;
    }
    auto problem = store::node_shape_problem(node);
    // What even a damaged node names is kept: it may be what is needed to
    // repair it.
    if (!problem) {
      for (const auto& key : {"inputs", "outputs"}) {
        for (const auto& item : node[key]) {
          if (item["type"] == "dir" && item.value("stored", true)) {
            scan.trees.emplace_back(item["hash"].get<std::string>(), id);
          }
        }
      }
    }
    for (const auto& hash : store::referenced_hashes(node)) {
      scan.referenced.insert(hash);
    }
    if (util::sha256_hex(*bytes) != id) {
      scan.faults.push_back(
          {"node", id, "content does not match its id (the node was altered)"});
      continue;
    }
    if (problem) {
      scan.faults.push_back({"node", id, "malformed: " + *problem});
      continue;
    }
    for (const auto& parent : node["parents"]) {
      if (!present.count(parent.get<std::string>())) {
        scan.faults.push_back({"parent",
                               id,
                               "names parent " + parent.get<std::string>() +
                                   ", which is missing (a node was removed)"});
      }
    }
    scan.ids.push_back(id);
  }
  return scan;
}

// Every object in the store, and the temporary files that interrupted
// writes left (in tmp/, and dot-files among the objects); anything else
// that does not belong there is a fault.
void
list_objects(Lake& lake,
             std::vector<std::string>& objects,
             std::vector<fs::path>& leftovers,
             std::vector<Fault>* faults)
{
  lake.objects().for_each(
      [&](const std::string& hash) { objects.push_back(hash); },
      [&](const fs::path& stray) {
        if (stray.filename().string().starts_with(".")) {
          leftovers.push_back(stray);
        } else if (faults) {
          faults->push_back({"object",
                             stray.string(),
                             "unexpected file in the objects folder"});
        }
      });
  std::error_code ec;
  for (fs::directory_iterator it(lake.dir() / "tmp", ec), end; !ec && it != end;
       it.increment(ec)) {
    leftovers.push_back(it->path());
  }
}

} // namespace

FsckReport
fsck(Lake& lake, util::Progress& progress)
{
  FsckReport report;
  NodeScan scan = scan_nodes(lake);
  report.nodes = scan.ids.size();
  report.faults = std::move(scan.faults);

  // Trees: each must parse and every blob in it must be referenced.
  std::unordered_set<std::string> seen_trees;
  for (const auto& [hash, node] : scan.trees) {
    if (!seen_trees.insert(hash).second) {
      continue;
    }
    auto bytes = lake.objects().read(hash);
    if (!bytes) {
      continue; // reported below as a missing object
    }
    try {
      for (const auto& entry : store::parse_tree(*bytes, hash).entries) {
        scan.referenced.insert(entry.hash);
      }
    } catch (const Error& e) {
      report.faults.push_back({"tree", hash, e.what()});
    }
  }

  std::vector<std::string> objects;
  std::vector<fs::path> leftovers;
  list_objects(lake, objects, leftovers, &report.faults);
  report.temporary = leftovers.size();
  std::uint64_t total_bytes = 0;
  for (const auto& hash : objects) {
    if (auto st = util::lstat_path(lake.objects().path_of(hash))) {
      total_bytes += st->size;
    }
  }
  std::mutex mutex;
  {
    util::ProgressPhase phase(
        progress, "checking", objects.size(), total_bytes);
    util::parallel_for(
        objects.size(), util::default_jobs(), [&](std::size_t i) {
          const auto& hash = objects[i];
          auto ok = lake.objects().verify(hash);
          auto st = util::lstat_path(lake.objects().path_of(hash));
          progress.advance(1, st ? st->size : 0);
          if (ok && !*ok) {
            std::lock_guard<std::mutex> lock(mutex);
            report.faults.push_back(
                {"object",
                 hash,
                 "content does not match its hash (corrupted)"});
          }
        });
  }
  report.objects = objects.size();
  report.bytes = total_bytes;

  std::unordered_set<std::string> have(objects.begin(), objects.end());
  const auto absent = load_absent(lake);
  // Content a purge erased is gone as recorded; still here, it is what an
  // interrupted purge left, which gc removes.
  const Erasure erasure = load_erasure(lake);
  for (const auto& hash : erasure.content) {
    if (scan.referenced.erase(hash)) {
      ++(have.count(hash) ? report.purged_stored : report.purged);
    }
  }
  std::vector<std::string> missing;
  for (const auto& hash : scan.referenced) {
    if (have.count(hash)) {
      continue;
    }
    if (absent.count(hash)) {
      ++report.not_downloaded;
    } else {
      missing.push_back(hash);
    }
  }
  std::sort(missing.begin(), missing.end());
  for (const auto& hash : missing) {
    report.faults.push_back({"reference", hash, "named by a node but missing"});
  }
  for (const auto& hash : objects) {
    if (!scan.referenced.count(hash) && !erasure.content.count(hash)) {
      ++report.unreferenced;
    }
  }

  // The index must be a projection of exactly the sound nodes.
  auto& idx = lake.index();
  auto indexed = idx.all_node_ids();
  std::unordered_set<std::string> sound(scan.ids.begin(), scan.ids.end());
  for (const auto& id : indexed) {
    if (!lake.nodes().contains(id)) {
      report.faults.push_back(
          {"node",
           id,
           "missing from .mlake/nodes (it was recorded, then removed)"});
    } else if (!sound.count(id)) {
      report.faults.push_back({"index", id, "indexed, but not a sound node"});
    }
  }
  if (indexed.size() < scan.ids.size()) {
    report.faults.push_back({"index",
                             "index.db",
                             std::to_string(scan.ids.size() - indexed.size()) +
                                 " node(s) on disk are not indexed"});
  }
  // mlake.lock is what a checkout restores: all of it must be here.
  for (const auto& [path, entry] : LockFile::load(lake.root()).entries) {
    if (!entry.node.empty() && !lake.nodes().contains(entry.node)) {
      report.faults.push_back({"lock",
                               path,
                               "mlake.lock names node " + entry.node +
                                   ", which is not in the lake"});
    }
    if (!have.count(entry.hash) && !absent.count(entry.hash) &&
        !erasure.content.count(entry.hash)) {
      report.faults.push_back({"lock",
                               path,
                               "mlake.lock names content " + entry.hash +
                                   ", which is not in the lake"});
    }
  }
  report.heads = idx.heads();
  std::sort(report.faults.begin(), report.faults.end(), [](auto& a, auto& b) {
    return std::tie(a.kind, a.target) < std::tie(b.kind, b.target);
  });
  return report;
}

GcReport
gc(Lake& lake, bool dry_run, util::Progress& progress)
{
  lake.lock("mlake gc");
  GcReport report;
  report.dry_run = dry_run;
  NodeScan scan = scan_nodes(lake);
  // Collecting garbage needs a sound history: a missing or altered node
  // may be the only one that named some content. The index remembers
  // nodes that were removed since (a removed head is named by no node).
  for (const auto& id : lake.index().all_node_ids()) {
    if (!lake.nodes().contains(id)) {
      scan.faults.push_back({"node", id, "missing from .mlake/nodes"});
    }
  }
  if (!scan.faults.empty()) {
    const Fault& f = scan.faults.front();
    throw Error(Exit::integrity,
                f.kind + " " + f.target + ": " + f.message,
                "run 'mlake fsck'; gc does not run on a damaged lake");
  }
  // What mlake.lock names is kept too: it is what checkout restores.
  for (const auto& [path, entry] : LockFile::load(lake.root()).entries) {
    scan.referenced.insert(entry.hash);
    if (entry.type == "dir") {
      scan.trees.emplace_back(entry.hash, "mlake.lock");
    }
  }
  // Except content a purge erased: it goes, wherever it is still named.
  const Erasure erasure = load_erasure(lake);
  // What a tree names is only known by reading it: with a tree missing or
  // damaged, collecting could delete data that is still needed.
  const auto absent = load_absent(lake);
  for (const auto& [hash, node] : scan.trees) {
    auto bytes = lake.objects().read(hash);
    if (!bytes && (node == "mlake.lock" || absent.count(hash))) {
      continue; // never stored here: nothing of it to keep
    }
    if (!bytes) {
      throw Error(Exit::integrity,
                  "tree " + hash + " named by node " + node + " is missing",
                  "run 'mlake fsck'; gc does not run on a damaged lake");
    }
    if (util::sha256_hex(*bytes) != hash) {
      throw Error(Exit::integrity,
                  "tree " + hash + " is corrupted",
                  "run 'mlake fsck'; gc does not run on a damaged lake");
    }
    try {
      for (const auto& entry : store::parse_tree(*bytes, hash).entries) {
        scan.referenced.insert(entry.hash);
      }
    } catch (const Error& e) {
      throw Error(Exit::integrity,
                  e.what(),
                  "run 'mlake fsck'; gc does not run on a damaged lake");
    }
  }
  std::vector<std::string> all;
  std::vector<fs::path> leftovers;
  list_objects(lake, all, leftovers, nullptr);
  std::vector<std::string> objects;
  for (auto& hash : all) {
    if (!scan.referenced.count(hash) || erasure.content.count(hash)) {
      objects.push_back(std::move(hash));
    }
  }
  std::sort(objects.begin(), objects.end());
  util::ProgressPhase phase(progress, "collecting", objects.size(), 0);
  for (const auto& hash : objects) {
    util::throw_if_interrupted();
    auto st = util::lstat_path(lake.objects().path_of(hash));
    report.bytes += st ? st->size : 0;
    if (!dry_run) {
      lake.objects().remove(hash);
    }
    report.removed.push_back(hash);
    progress.advance(1, 0);
  }
  // Holding the lock, no writer is at work: every temporary file is a
  // leftover of an interrupted one.
  for (const auto& path : leftovers) {
    ++report.temporary;
    if (!dry_run) {
      std::error_code ec;
      fs::remove_all(path, ec);
    }
  }
  return report;
}

} // namespace mlake::lake
