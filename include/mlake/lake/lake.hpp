#pragma once

#include <mlake/index/index.hpp>
#include <mlake/lake/config.hpp>
#include <mlake/store/node_store.hpp>
#include <mlake/store/object_store.hpp>
#include <mlake/util/file_lock.hpp>
#include <mlake/util/json.hpp>
#include <mlake/util/progress.hpp>

#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace mlake::lake {

namespace fs = std::filesystem;

// The current node format; written into every node as "format".
constexpr int node_format = 1;

// OS, architecture and mlake version, recorded in every node.
json basic_env();

// A project with its `.mlake` folder: the object and node stores, the
// index, the configuration and the writer lock.
class Lake
{
public:
  // Create `.mlake` in `dir` (created if needed). Throws Error(Exit::usage)
  // when `dir` is already a lake.
  static Lake init(const fs::path& dir);
  // Find the lake that contains `start` (looking upwards, as git does);
  // throws Error(Exit::not_a_lake) when there is none.
  static Lake open(const fs::path& start);

  Lake(Lake&&) noexcept;
  ~Lake();

  // The project root (the folder holding `.mlake` and `mlake.lock`).
  const fs::path&
  root() const noexcept
  {
    return m_root;
  }
  // The `.mlake` folder.
  const fs::path&
  dir() const noexcept
  {
    return m_dir;
  }
  const Config&
  config() const noexcept
  {
    return m_config;
  }
  const store::ObjectStore&
  objects() const noexcept
  {
    return m_objects;
  }
  const store::NodeStore&
  nodes() const noexcept
  {
    return m_nodes;
  }

  // The index, opened on first use and brought up to date with the nodes
  // on disk (which another process may have added).
  index::Index& index();

  // Take the writer lock for the rest of this object's life. Waits
  // MLAKE_LOCK_TIMEOUT seconds (default 5), then throws Error(Exit::locked)
  // naming the process that holds it. `what` names this process's work.
  void lock(const std::string& what);
  bool
  locked() const noexcept
  {
    return m_lock != nullptr;
  }
  // Let other writers in again (a run does, while its command works).
  void
  unlock() noexcept
  {
    m_lock.reset();
  }

  // Record a node: sync the objects written so far to disk, fill in
  // parents (the current heads), user, host and format, write the node
  // (the commit point), and project it into the index. Needs the lock.
  // Returns the node's id.
  std::string commit(json node);

  // Write nodes received from elsewhere (a pull), each checked as
  // NodeStore::write_verified does, in the order given (parents first),
  // and project them into the index. Needs the lock.
  void receive_nodes(
      const std::vector<std::pair<std::string, std::string>>& id_bytes);

  // Rebuild the index's projection from every node on disk.
  void reindex(util::Progress& progress = util::no_progress());

  Identity identity() const;

  // Replace the configuration and save it atomically. Needs the lock.
  void set_config(Config config);

private:
  Lake(fs::path root, Config config);
  void sync_index(index::Index& index);
  void reproject(index::Index& index, util::Progress& progress);
  // Project the node `id` from disk if it is sound; adds the artifacts it
  // wrote to `touched`.
  bool apply_from_disk(index::Index& index,
                       const std::string& id,
                       std::vector<std::string>* touched);
  std::string nodes_dir_stamp() const;

  fs::path m_root;
  fs::path m_dir;
  Config m_config;
  store::ObjectStore m_objects;
  store::NodeStore m_nodes;
  std::unique_ptr<util::FileLock> m_lock;
  std::unique_ptr<index::Index> m_index;
};

// The path of the `.mlake` folder in `root`.
fs::path lake_dir_of(const fs::path& root);

} // namespace mlake::lake
