#include <mlake/lake/absent.hpp>
#include <mlake/lake/erasure.hpp>
#include <mlake/lake/lock_file.hpp>
#include <mlake/lake/refs.hpp>
#include <mlake/lake/workspace.hpp>
#include <mlake/remote/sync.hpp>
#include <mlake/store/tree.hpp>
#include <mlake/util/error.hpp>
#include <mlake/util/fs.hpp>
#include <mlake/util/hash.hpp>
#include <mlake/util/interrupt.hpp>
#include <mlake/util/parallel.hpp>

#include <algorithm>
#include <map>
#include <mutex>
#include <set>
#include <unordered_map>
#include <unordered_set>

namespace mlake::remote {

namespace {

using HashSet = std::unordered_set<std::string>;

// Asking a remote about each object costs a request per object; listing
// costs one per thousand keys. Below this many objects, asking is cheaper.
constexpr std::size_t ask_each_below = 2000;

unsigned
jobs_or_default(unsigned jobs)
{
  return jobs ? jobs : default_transfer_jobs;
}

// Expand trees into the blobs they name, reading each tree from the local
// store; trees this lake does not hold are left as they are.
void
add_tree_blobs(const lake::Lake& lake,
               const std::vector<std::string>& trees,
               HashSet& hashes)
{
  for (const auto& tree : trees) {
    auto bytes = lake.objects().read(tree);
    if (!bytes) {
      continue;
    }
    for (const auto& entry : store::parse_tree(*bytes, tree).entries) {
      hashes.insert(entry.hash);
    }
  }
}

// The trees among a node's content: outputs and inputs that are folders.
void
collect_trees(const json& node, std::vector<std::string>& trees)
{
  for (const char* key : {"inputs", "outputs"}) {
    if (!node.contains(key) || !node[key].is_array()) {
      continue;
    }
    for (const auto& item : node[key]) {
      if (item.is_object() && item.value("type", "") == "dir" &&
          item.value("stored", true) && item.contains("hash") &&
          item["hash"].is_string()) {
        trees.push_back(item["hash"].get<std::string>());
      }
    }
  }
}

// Which of `hashes` the remote holds.
HashSet
remote_objects(Remote& remote,
               const std::vector<std::string>& hashes,
               unsigned jobs)
{
  HashSet present;
  if (hashes.size() < ask_each_below) {
    std::vector<char> there(hashes.size(), 0);
    util::parallel_for(hashes.size(), jobs, [&](std::size_t i) {
      there[i] = remote.exists(object_key(hashes[i])) ? 1 : 0;
    });
    for (std::size_t i = 0; i < hashes.size(); ++i) {
      if (there[i]) {
        present.insert(hashes[i]);
      }
    }
    return present;
  }
  remote.list("objects/", [&](const ListedKey& key) {
    if (auto hash = hash_of_object_key(key.key)) {
      present.insert(*hash);
    }
  });
  return present;
}

HashSet
remote_nodes(Remote& remote)
{
  HashSet ids;
  remote.list("nodes/", [&](const ListedKey& key) {
    if (auto id = id_of_node_key(key.key)) {
      ids.insert(*id);
    }
  });
  return ids;
}

std::vector<std::string>
parents_of(const json& node)
{
  std::vector<std::string> out;
  if (node.contains("parents") && node["parents"].is_array()) {
    for (const auto& parent : node["parents"]) {
      if (parent.is_string()) {
        out.push_back(parent.get<std::string>());
      }
    }
  }
  return out;
}

// Group nodes into generations: every node comes after the nodes of the
// set it names as parents. Nodes in one generation may go in parallel.
std::vector<std::vector<std::string>>
generations(const std::map<std::string, std::vector<std::string>>& parents)
{
  std::unordered_map<std::string, int> depth;
  std::vector<std::vector<std::string>> out;
  // Iterative depth-first: histories are long chains.
  for (const auto& [start, unused] : parents) {
    std::vector<std::string> stack{start};
    while (!stack.empty()) {
      const std::string id = stack.back();
      if (depth.count(id)) {
        stack.pop_back();
        continue;
      }
      int d = 0;
      bool ready = true;
      for (const auto& parent : parents.at(id)) {
        if (!parents.count(parent)) {
          continue; // not part of this transfer
        }
        auto it = depth.find(parent);
        if (it == depth.end()) {
          ready = false;
          stack.push_back(parent);
        } else {
          d = std::max(d, it->second + 1);
        }
      }
      if (ready) {
        depth[id] = d;
        if (out.size() <= static_cast<std::size_t>(d)) {
          out.resize(d + 1);
        }
        out[d].push_back(id);
        stack.pop_back();
      }
    }
  }
  return out;
}

Error
unknown_remote(const std::string& name)
{
  return Error(Exit::not_found,
               "no remote named " + quote(name),
               "'mlake remote list' shows the remotes; 'mlake remote add "
               "NAME URL' adds one");
}

// Download each of `hashes` into the lake, in parallel, re-hashing each
// on arrival. Returns the hashes the remote does not hold.
std::vector<std::string>
download(lake::Lake& lake,
         Remote& remote,
         const std::vector<std::string>& hashes,
         unsigned jobs,
         PullResult& result,
         HashSet& received,
         util::Progress& progress)
{
  std::mutex mutex;
  std::vector<std::string> missing;
  util::parallel_for(hashes.size(), jobs, [&](std::size_t i) {
    const std::string& hash = hashes[i];
    if (lake.objects().contains(hash)) {
      progress.advance(1, 0);
      return;
    }
    try {
      auto stored = lake.objects().receive(
          hash,
          "object " + hash + " from " + remote.location(),
          [&](const std::function<void(std::string_view)>& sink) {
            remote.get(object_key(hash), [&](std::string_view chunk) {
              sink(chunk);
              progress.advance(0, chunk.size());
            });
          });
      progress.advance(1, 0);
      std::lock_guard<std::mutex> lock(mutex);
      ++result.objects_received;
      result.bytes_received += stored.size;
      received.insert(hash);
    } catch (const Error& e) {
      if (e.code() != Exit::not_found) {
        throw;
      }
      progress.advance(1, 0);
      std::lock_guard<std::mutex> lock(mutex);
      missing.push_back(hash);
    }
  });
  return missing;
}

// A tree from the remote, checked before anything of it is stored: its
// bytes must hash to its name and every path in it must stay inside the
// folder it is checked out to. nullopt when the remote does not hold it.
std::optional<std::string>
fetch_tree(Remote& remote, const std::string& hash, const std::string& node)
{
  std::string bytes;
  try {
    remote.get(object_key(hash),
               [&](std::string_view chunk) { bytes.append(chunk); });
  } catch (const Error& e) {
    if (e.code() == Exit::not_found) {
      return std::nullopt;
    }
    throw;
  }
  auto refuse = [&](const std::string& why) {
    return Error(Exit::integrity,
                 "tree " + hash + (node.empty() ? "" : " of node " + node) +
                     " from " + remote.location() + " is refused: " + why,
                 "nothing of it was written; run 'mlake fsck' on the lake "
                 "that pushed it");
  };
  if (util::sha256_hex(bytes) != hash) {
    throw refuse("its content does not match its name");
  }
  try {
    store::parse_tree(bytes, hash);
  } catch (const Error& e) {
    throw refuse(e.what());
  }
  return bytes;
}

// Artifacts whose new versions the workspace has yet to follow: those a
// fetch (or an interrupted or refused pull) brought the history of. The
// next pull that has their content checks them out.
fs::path
pending_path(const lake::Lake& lake)
{
  return lake.dir() / "pull-pending";
}

std::set<std::string>
load_pending(const lake::Lake& lake)
{
  std::set<std::string> out;
  if (auto text = util::read_file_if_exists(pending_path(lake))) {
    std::size_t start = 0;
    while (start < text->size()) {
      auto end = text->find('\n', start);
      if (end == std::string::npos) {
        end = text->size();
      }
      if (end > start) {
        out.insert(text->substr(start, end - start));
      }
      start = end + 1;
    }
  }
  return out;
}

void
save_pending(const lake::Lake& lake, const std::set<std::string>& artifacts)
{
  if (artifacts.empty()) {
    std::error_code ignored;
    fs::remove(pending_path(lake), ignored);
    return;
  }
  std::string text;
  for (const auto& name : artifacts) {
    text += name + "\n";
  }
  util::write_file_atomic(pending_path(lake), text);
}

// Bring the workspace up to date, artifact by artifact, keeping local
// changes: an artifact a received node wrote, or whose latest content just
// arrived, is checked out at its latest version; one named by the user,
// at the version named.
// Returns the touched artifacts whose content is not here yet.
std::set<std::string>
update_workspace(lake::Lake& lake,
                 const lake::Erasure& erasure,
                 const std::set<std::string>& touched,
                 const std::map<std::string, std::string>& named,
                 const HashSet& received,
                 PullResult& result)
{
  auto lock = lake::LockFile::load(lake.root());
  std::set<std::string> waiting;
  std::vector<index::ArtifactRow> artifacts =
      lake.index().artifacts(std::nullopt);
  for (const auto& artifact : artifacts) {
    if (!artifact.latest) {
      continue;
    }
    const index::VersionRow& latest = *artifact.latest;
    auto ref = named.find(artifact.name);
    if (ref != named.end()) {
      lake::CheckoutOptions options;
      options.refs = {ref->second};
      options.cwd = lake.root();
      try {
        lake::checkout(lake, options);
        result.updated.push_back(latest.path);
      } catch (const Error& e) {
        if (e.code() == Exit::check_failed) {
          result.kept.push_back(latest.path);
        } else if (e.code() != Exit::not_found) {
          throw;
        }
        // not_found: the remote lacks its content, which the pull reports.
      }
      continue;
    }
    if (!latest.stored || latest.path.empty() ||
        erasure.purged(latest.artifact, latest.node)) {
      continue;
    }
    if (!touched.count(artifact.name) && !received.count(latest.hash)) {
      continue; // nothing new: a version checked out on purpose stays
    }
    auto entry = lock.entries.find(latest.path);
    if (entry != lock.entries.end() && entry->second.hash == latest.hash) {
      continue;
    }
    // Only what is here can be checked out: a version fetched as history
    // only stays where it is until it is pulled.
    if (!lake.objects().contains(latest.hash)) {
      waiting.insert(artifact.name);
      continue;
    }
    if (latest.type == "dir") {
      auto tree = store::parse_tree(*lake.objects().read(latest.hash),
                                    "tree " + latest.hash);
      bool complete = std::all_of(
          tree.entries.begin(), tree.entries.end(), [&](const auto& e) {
            return lake.objects().contains(e.hash);
          });
      if (!complete) {
        waiting.insert(artifact.name);
        continue;
      }
    }
    lake::CheckoutOptions options;
    options.refs = {artifact.name};
    options.cwd = lake.root();
    try {
      lake::checkout(lake, options);
      result.updated.push_back(latest.path);
    } catch (const Error& e) {
      if (e.code() != Exit::check_failed) {
        throw;
      }
      result.kept.push_back(latest.path);
    }
  }
  return waiting;
}

} // namespace

SelectedRemote
select_remote(const lake::Lake& lake, const std::string& name)
{
  const lake::Config& config = lake.config();
  const lake::RemoteConfig* chosen = nullptr;
  if (!name.empty()) {
    chosen = config.find_remote(name);
    if (!chosen) {
      throw unknown_remote(name);
    }
  } else if (!config.default_remote.empty()) {
    chosen = config.find_remote(config.default_remote);
  } else if (config.remotes.size() == 1) {
    chosen = &config.remotes.front();
  } else if (config.remotes.empty()) {
    throw Error(Exit::usage,
                "this lake has no remote",
                "add one: mlake remote add origin URL");
  } else {
    throw Error(Exit::usage,
                "this lake has several remotes and no default one",
                "name the remote, or choose a default: mlake remote add "
                "--default, or default_remote in .mlake/config.yaml");
  }
  if (!chosen) {
    throw unknown_remote(config.default_remote);
  }
  SelectedRemote out;
  out.config = *chosen;
  out.remote = open_remote(*chosen, lake.root());
  return out;
}

PushResult
push(lake::Lake& lake, const PushOptions& options, util::Progress& progress)
{
  const unsigned jobs = jobs_or_default(options.jobs);
  SelectedRemote selected = select_remote(lake, options.remote);
  Remote& remote = *selected.remote;
  PushResult result;
  result.remote = selected.config.name;
  result.location = remote.location();

  // What to send: every node with its trees (the history), and the
  // content of the versions named (or of all the history).
  std::map<std::string, std::vector<std::string>> local_parents;
  HashSet wanted;
  std::vector<std::string> trees; // whose blobs to send
  for (const auto& id : lake.nodes().list()) {
    auto node = lake.nodes().read(id);
    if (!node) {
      continue;
    }
    local_parents[id] = parents_of(*node);
    std::vector<std::string> node_trees;
    collect_trees(*node, node_trees);
    wanted.insert(node_trees.begin(), node_trees.end());
    if (options.refs.empty() && !options.history_only) {
      for (auto& hash : store::referenced_hashes(*node)) {
        wanted.insert(std::move(hash));
      }
      trees.insert(trees.end(), node_trees.begin(), node_trees.end());
    }
  }
  const lake::Erasure purges = lake::load_purges(lake);
  for (const auto& ref : options.refs) {
    index::VersionRow version = lake::resolve_version(lake, ref, options.cwd);
    if (purges.purged(version.artifact, version.node)) {
      throw Error(Exit::not_found,
                  quote(ref) + " was purged: its content was erased",
                  "run 'mlake show " + ref + "' to see the purge");
    }
    if (!version.stored) {
      throw Error(Exit::usage,
                  quote(ref) + " was ingested by reference: the lake does not "
                               "hold its content, so there is nothing to push");
    }
    wanted.insert(version.hash);
    if (version.type == "dir") {
      trees.push_back(version.hash);
    }
  }
  add_tree_blobs(lake, trees, wanted);
  // Erased content is never sent again, whatever still names it.
  for (const auto& hash : load_erasure(lake).content) {
    wanted.erase(hash);
  }

  remote.check(true);
  // A purge made elsewhere and not pulled yet erased content this lake may
  // still hold: sending it would undo the erasure.
  HashSet remote_ids = remote_nodes(remote);
  for (const auto& id : remote_ids) {
    if (local_parents.count(id)) {
      continue;
    }
    std::string bytes;
    remote.get(node_key(id),
               [&](std::string_view chunk) { bytes.append(chunk); });
    json node = json::parse(bytes, nullptr, false);
    if (util::sha256_hex(bytes) == id && node.is_object() &&
        node.value("kind", std::string()) == "purge") {
      throw Error(Exit::check_failed,
                  remote.location() +
                      " holds a purge this lake has not "
                      "pulled (node " +
                      id.substr(0, 12) + ": " +
                      node.value("message", std::string()) +
                      "); nothing was pushed",
                  "run 'mlake pull' first: it erases here what the purge "
                  "erased; then push");
    }
  }
  std::vector<std::string> here;
  for (const auto& hash : wanted) {
    if (lake.objects().contains(hash)) {
      here.push_back(hash);
    }
  }
  std::sort(here.begin(), here.end());
  const std::size_t not_here = wanted.size() - here.size();
  HashSet there = remote_objects(remote, here, jobs);
  std::vector<std::string> to_send;
  std::uint64_t total_bytes = 0;
  std::vector<std::uint64_t> sizes;
  for (const auto& hash : here) {
    if (there.count(hash)) {
      ++result.objects_present;
      continue;
    }
    auto st = util::lstat_path(lake.objects().path_of(hash));
    to_send.push_back(hash);
    sizes.push_back(st ? st->size : 0);
    total_bytes += sizes.back();
  }
  if (not_here) {
    // Content fetched as history only may be on the remote already.
    std::vector<std::string> elsewhere;
    for (const auto& hash : wanted) {
      if (!lake.objects().contains(hash)) {
        elsewhere.push_back(hash);
      }
    }
    for (const auto& hash : elsewhere) {
      if (!remote.exists(object_key(hash))) {
        ++result.objects_unavailable;
      }
    }
  }

  {
    util::ProgressPhase phase(progress, "pushing", to_send.size(), total_bytes);
    std::mutex mutex;
    util::parallel_for(to_send.size(), jobs, [&](std::size_t i) {
      remote.put_file(object_key(to_send[i]),
                      lake.objects().path_of(to_send[i]),
                      sizes[i],
                      to_send[i],
                      progress);
      progress.advance(1, 0);
      std::lock_guard<std::mutex> lock(mutex);
      ++result.objects_sent;
      result.bytes_sent += sizes[i];
    });
  }

  remote.flush();

  // Nodes last, parents before children.
  std::map<std::string, std::vector<std::string>> new_parents;
  for (auto& [id, parents] : local_parents) {
    if (!remote_ids.count(id)) {
      new_parents[id] = parents;
    }
  }
  util::ProgressPhase phase(progress, "pushing history", new_parents.size(), 0);
  for (const auto& generation : generations(new_parents)) {
    util::parallel_for(generation.size(), jobs, [&](std::size_t i) {
      auto bytes = lake.nodes().read_bytes(generation[i]);
      if (!bytes || util::sha256_hex(*bytes) != generation[i]) {
        throw Error(Exit::integrity,
                    "node " + generation[i] +
                        " is damaged; nothing more "
                        "was pushed",
                    "run 'mlake fsck'");
      }
      remote.put_bytes(node_key(generation[i]), *bytes);
      progress.advance(1, 0);
    });
    result.nodes_sent += generation.size();
  }
  remote.flush();
  return result;
}

PullResult
pull(lake::Lake& lake, const PullOptions& options, util::Progress& progress)
{
  const unsigned jobs = jobs_or_default(options.jobs);
  SelectedRemote selected = select_remote(lake, options.remote);
  Remote& remote = *selected.remote;
  PullResult result;
  result.remote = selected.config.name;
  result.location = remote.location();
  remote.check(false);
  lake.lock(options.metadata_only ? "mlake fetch" : "mlake pull");

  // 1. The remote's new nodes, each checked before any is written.
  std::vector<std::string> incoming;
  for (const auto& id : remote_nodes(remote)) {
    if (!lake.nodes().contains(id)) {
      incoming.push_back(id);
    }
  }
  std::sort(incoming.begin(), incoming.end());
  std::vector<std::string> bytes(incoming.size());
  {
    util::ProgressPhase phase(progress, "fetching history", incoming.size(), 0);
    util::parallel_for(incoming.size(), jobs, [&](std::size_t i) {
      remote.get(node_key(incoming[i]),
                 [&](std::string_view chunk) { bytes[i].append(chunk); });
      progress.advance(1, 0);
    });
  }
  std::map<std::string, json> nodes;
  for (std::size_t i = 0; i < incoming.size(); ++i) {
    const std::string& id = incoming[i];
    std::string problem;
    json node;
    if (util::sha256_hex(bytes[i]) != id) {
      problem = "its content does not match its id";
    } else {
      node = json::parse(bytes[i], nullptr, false);
      if (node.is_discarded() || !node.is_object()) {
        problem = "it is not a JSON object";
      } else if (auto shape = store::node_shape_problem(node)) {
        problem = *shape;
      }
    }
    if (!problem.empty()) {
      throw Error(Exit::integrity,
                  "node " + id + " from " + remote.location() +
                      " is refused: " + problem,
                  "nothing was written; run 'mlake fsck' on the lake that "
                  "pushed it");
    }
    nodes.emplace(id, std::move(node));
  }
  // A node whose parents are neither here nor arriving waits for the next
  // pull (another clone is pushing, parents first).
  for (bool dropped = true; dropped;) {
    dropped = false;
    for (auto it = nodes.begin(); it != nodes.end();) {
      bool complete = true;
      for (const auto& parent : parents_of(it->second)) {
        if (!nodes.count(parent) && !lake.nodes().contains(parent)) {
          complete = false;
        }
      }
      if (complete) {
        ++it;
      } else {
        it = nodes.erase(it);
        ++result.nodes_deferred;
        dropped = true;
      }
    }
  }

  // 2. Their trees: the manifests of folders, part of the history (a fetch
  // takes them too), each checked, and stored before the nodes that name
  // them.
  std::map<std::string, std::string> new_trees; // hash -> node
  for (const auto& [id, node] : nodes) {
    std::vector<std::string> trees;
    collect_trees(node, trees);
    for (const auto& tree : trees) {
      if (!lake.objects().contains(tree)) {
        new_trees.emplace(tree, id);
      }
    }
  }
  std::vector<std::pair<std::string, std::string>> tree_list(new_trees.begin(),
                                                             new_trees.end());
  std::vector<std::optional<std::string>> tree_bytes(tree_list.size());
  {
    util::ProgressPhase phase(
        progress, "fetching folder lists", tree_list.size(), 0);
    util::parallel_for(tree_list.size(), jobs, [&](std::size_t i) {
      tree_bytes[i] =
          fetch_tree(remote, tree_list[i].first, tree_list[i].second);
      progress.advance(1, 0);
    });
  }
  for (const auto& bytes_of_tree : tree_bytes) {
    if (bytes_of_tree) {
      lake.objects().put_bytes(*bytes_of_tree);
      ++result.objects_received;
      result.bytes_received += bytes_of_tree->size();
    }
  }
  if (lake.objects().take_unsynced() > 0) {
    util::sync_filesystem(lake.dir());
  }

  // 3. Note the content they name that is not here, then write them:
  // fsck then tells content not downloaded yet from content lost.
  std::vector<std::string> absent;
  for (const auto& [id, node] : nodes) {
    for (const auto& hash : store::referenced_hashes(node)) {
      if (!lake.objects().contains(hash)) {
        absent.push_back(hash);
      }
    }
  }
  for (const auto& bytes_of_tree : tree_bytes) {
    if (!bytes_of_tree) {
      continue;
    }
    for (const auto& entry : store::parse_tree(*bytes_of_tree, "").entries) {
      if (!lake.objects().contains(entry.hash)) {
        absent.push_back(entry.hash);
      }
    }
  }
  lake::add_absent(lake, absent);
  std::map<std::string, std::vector<std::string>> parents;
  for (const auto& [id, node] : nodes) {
    parents[id] = parents_of(node);
  }
  std::vector<std::pair<std::string, std::string>> ordered;
  for (const auto& generation : generations(parents)) {
    for (const auto& id : generation) {
      auto at = std::lower_bound(incoming.begin(), incoming.end(), id);
      ordered.emplace_back(
          id,
          std::move(bytes[static_cast<std::size_t>(at - incoming.begin())]));
    }
  }
  // Noted before the nodes are written, so that the pull after a fetch, or
  // after this one is interrupted at any point, finishes the job.
  std::set<std::string> touched = load_pending(lake);
  const std::size_t pending_before = touched.size();
  for (const auto& [id, node] : nodes) {
    for (const auto& output : node["outputs"]) {
      touched.insert(output["artifact"].get<std::string>());
    }
  }
  if (touched.size() != pending_before) {
    save_pending(lake, touched);
  }
  lake.receive_nodes(ordered);
  result.nodes_received = ordered.size();
  bytes.clear();
  auto& idx = lake.index(); // projects the new nodes

  // A purge that arrived erases here what it erased where it was made.
  const lake::Erasure erasure = lake::load_erasure(lake);
  if (!erasure.content.empty()) {
    lake::Erased erased = lake::erase_content(lake, erasure);
    result.objects_erased = erased.objects;
    result.erased_workspace = std::move(erased.workspace);
  }

  if (options.metadata_only) {
    return result;
  }

  // 4. The content asked for: trees first, to learn the blobs they name.
  HashSet wanted;
  std::map<std::string, std::string> named; // artifact -> NAME@VER
  if (options.refs.empty()) {
    for (const auto& hash : lake::load_absent(lake)) {
      if (!erasure.content.count(hash)) {
        wanted.insert(hash);
      }
    }
  } else {
    for (const auto& ref : options.refs) {
      auto version = lake::resolve_version(lake, ref, options.cwd);
      if (!version.stored) {
        throw Error(Exit::usage,
                    quote(ref) + " was ingested by reference: its content "
                                 "lives at its source, not on a remote");
      }
      if (erasure.purged(version.artifact, version.node)) {
        throw Error(Exit::not_found,
                    quote(ref) + " was purged: its content was erased",
                    "run 'mlake show " + ref + "' to see the purge");
      }
      wanted.insert(version.hash);
      named[version.artifact] =
          version.artifact + "@" + std::to_string(version.ordinal);
    }
  }
  std::vector<std::string> trees;
  std::vector<std::string> blobs;
  for (const auto& hash : wanted) {
    bool is_tree = false;
    for (const auto& version : idx.versions_with_hash(hash)) {
      is_tree = is_tree || version.type == "dir";
    }
    (is_tree ? trees : blobs).push_back(hash);
  }
  std::sort(trees.begin(), trees.end());
  HashSet received;
  for (const auto& tree : trees) {
    if (lake.objects().contains(tree)) {
      continue;
    }
    util::throw_if_interrupted();
    if (auto bytes_of_tree = fetch_tree(remote, tree, "")) {
      lake.objects().put_bytes(*bytes_of_tree);
      received.insert(tree);
      ++result.objects_received;
      result.bytes_received += bytes_of_tree->size();
    } else {
      result.missing_on_remote.push_back(tree);
    }
  }
  HashSet tree_blobs;
  add_tree_blobs(lake, trees, tree_blobs);
  for (const auto& hash : tree_blobs) {
    if (!lake.objects().contains(hash) && !wanted.count(hash) &&
        !erasure.content.count(hash)) {
      blobs.push_back(hash);
    }
  }
  std::sort(blobs.begin(), blobs.end());
  // The blobs of new trees join the list of content not here yet, until
  // they arrive.
  std::vector<std::string> new_absent;
  for (const auto& hash : tree_blobs) {
    if (!lake.objects().contains(hash) && !erasure.content.count(hash)) {
      new_absent.push_back(hash);
    }
  }
  lake::add_absent(lake, new_absent);
  {
    util::ProgressPhase phase(progress, "pulling", blobs.size(), 0);
    auto missing =
        download(lake, remote, blobs, jobs, result, received, progress);
    result.missing_on_remote.insert(
        result.missing_on_remote.end(), missing.begin(), missing.end());
  }
  if (result.objects_received) {
    util::sync_filesystem(lake.dir());
  }
  lake::trim_absent(lake);
  std::sort(result.missing_on_remote.begin(), result.missing_on_remote.end());

  if (options.update_workspace) {
    save_pending(
        lake,
        update_workspace(lake, erasure, touched, named, received, result));
  }
  return result;
}

std::string
clone_dir_name(const std::string& url)
{
  std::string text = url;
  while (!text.empty() && text.back() == '/') {
    text.pop_back();
  }
  auto slash = text.find_last_of('/');
  std::string name = slash == std::string::npos ? text : text.substr(slash + 1);
  if (name.empty() || name == "." || name == "..") {
    throw Error(Exit::usage,
                "cannot tell a folder name from " + quote(url),
                "give the folder: mlake clone URL DIR");
  }
  return name;
}

CloneResult
clone(const CloneOptions& options, util::Progress& progress)
{
  fs::path root = util::absolute_normal(options.dir);
  std::error_code ec;
  const bool existed = fs::exists(root, ec);
  if (existed && !(fs::is_directory(root, ec) && fs::is_empty(root, ec))) {
    throw Error(Exit::usage,
                quote(root.string()) + " exists and is not an empty folder",
                "clone into a new folder");
  }
  // Check the remote before making anything.
  lake::RemoteConfig config = options.remote;
  config.url = normalize_url(config.url, fs::current_path());
  open_remote(config, fs::current_path())->check(false);

  struct Undo
  {
    fs::path root;
    bool existed;
    bool done = false;
    ~Undo()
    {
      if (done) {
        return;
      }
      std::error_code ignored;
      if (existed) {
        for (const auto& entry : fs::directory_iterator(root, ignored)) {
          fs::remove_all(entry.path(), ignored);
        }
      } else {
        fs::remove_all(root, ignored);
      }
    }
  } undo{root, existed};

  CloneResult result;
  result.root = root;
  {
    lake::Lake created = lake::Lake::init(root);
  }
  lake::Lake lake = lake::Lake::open(root);
  lake.lock("mlake clone");
  lake::Config lake_config = lake.config();
  lake_config.remotes.push_back(config);
  lake_config.default_remote = config.name;
  lake.set_config(std::move(lake_config));
  PullOptions pull_options;
  pull_options.remote = config.name;
  pull_options.metadata_only = options.metadata_only;
  pull_options.jobs = options.jobs;
  pull_options.cwd = root;
  result.pull = pull(lake, pull_options, progress);
  undo.done = true;
  return result;
}

} // namespace mlake::remote
