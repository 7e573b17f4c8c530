#pragma once

#include <mlake/util/fs.hpp>
#include <mlake/util/json.hpp>

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mlake::store {

namespace fs = std::filesystem;

// The lineage nodes under `.mlake/nodes/<id>.json`, where id is the SHA-256
// of the node's canonical JSON bytes. Nodes are immutable; because each
// names its parents by id, together they form a Merkle DAG.
class NodeStore
{
public:
  explicit NodeStore(const fs::path& lake_dir);

  fs::path path_of(std::string_view id) const;
  bool contains(std::string_view id) const;

  // Write the node as canonical JSON and return its id. The node is durable
  // when this returns (fsync of file and directory): this is the commit
  // point of every change to the lake.
  std::string write(const json& node) const;
  // Write bytes received from elsewhere; they must hash to `id` and be a
  // valid node, else Error(Exit::integrity).
  void write_verified(std::string_view id, std::string_view bytes) const;

  // The stored bytes, or nullopt when there is no such node.
  std::optional<std::string> read_bytes(std::string_view id) const;
  // The node, parsed; nullopt when absent; Error(Exit::integrity) when the
  // file does not parse.
  std::optional<json> read(std::string_view id) const;

  // Every node id present, in no particular order. Files whose names are not
  // "<64 hex digits>.json" are reported to `on_stray` when given.
  std::vector<std::string>
  list(const std::function<void(const fs::path&)>& on_stray = {}) const;

  const fs::path&
  dir() const noexcept
  {
    return m_nodes;
  }

private:
  fs::path m_nodes;
  fs::path m_tmp;
};

// Check that `node` has the shape every mlake node has (kind, message,
// user, time, parents, inputs, outputs with safe paths and valid hashes).
// Returns a description of the first problem, or nullopt when valid.
std::optional<std::string> node_shape_problem(const json& node);

// The hashes a node refers to: its outputs' and inputs' content and its
// code snapshots, except content recorded by reference ("stored": false),
// which the lake does not hold. Trees are not expanded.
std::vector<std::string> referenced_hashes(const json& node);

} // namespace mlake::store
