#pragma once

#include <mlake/util/fs.hpp>
#include <mlake/util/json.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace SQLite {
class Database;
class Statement;
} // namespace SQLite

namespace mlake::index {

namespace fs = std::filesystem;

struct NodeRow
{
  std::string id;
  std::string kind;
  std::string message;
  std::string user_name;
  std::string user_email;
  std::string host;
  std::string time_start; // RFC 3339, UTC, microseconds
  std::string time_end;
};

struct IoRow
{
  std::string node;
  std::string direction; // "in" or "out"
  std::string artifact;
  std::string hash;
  std::string role;
  std::string type; // "file" or "dir"
  std::uint64_t size = 0;
  std::string path;
};

// One version of an artifact: the content one node recorded for it.
struct VersionRow
{
  std::string artifact;
  int ordinal = 0; // 1-based, in (time, node id) order
  std::string node;
  std::string hash;
  std::string type;
  std::uint64_t size = 0;
  std::uint64_t files = 0; // for folders
  std::string path;
  std::string time;
  std::string node_kind;
  std::string user_name;
  std::string user_email;
  std::string message;
};

// An artifact's current metadata: a projection of the nodes that set it,
// last writer wins per field in (time, node id) order.
struct ArtifactRow
{
  std::string name;
  std::string created;
  std::string created_node;
  std::unordered_map<std::string, std::string> fields; // kind, owner, ...
  std::vector<std::string> tags;
  int version_count = 0;
  std::optional<VersionRow> latest;

  std::string field(const std::string& key,
                    const std::string& fallback = "") const;
};

// One metadata change recorded by a node.
struct AnnotationRow
{
  std::string node;
  std::string artifact;
  std::string field;
  std::string value;
  std::string time;
  std::string user_name;
  std::string message;
};

// What the stat cache knows of a workspace file: its stat when it was last
// hashed, and the hash.
struct StatEntry
{
  std::uint64_t ino = 0;
  std::uint64_t size = 0;
  std::int64_t mtime_ns = 0;
  std::int64_t ctime_ns = 0;
  std::string hash;
};

// The SQLite index at `.mlake/index.db`: a projection of the node set (and
// the trees it names), rebuildable at any time, plus the local stat cache.
// Throws Error(Exit::integrity) with a hint to reindex when SQLite fails.
class Index
{
public:
  // Open or create the database and bring its schema up to date.
  explicit Index(const fs::path& db_path);
  ~Index();
  Index(const Index&) = delete;
  Index& operator=(const Index&) = delete;

  // True when a migration changed what the projection holds, so the caller
  // must replay every node (reproject).
  bool
  needs_reprojection() const noexcept
  {
    return m_needs_reprojection;
  }

  // Run `fn` in one transaction: all of it is applied or none.
  void transaction(const std::function<void()>& fn);

  // Project one node into the tables. Applying a node twice is harmless.
  void apply(const std::string& id, const json& node);
  // Empty the projection (not the stat cache) before a full replay.
  void clear_projection();

  std::optional<std::string> meta(const std::string& key);
  void set_meta(const std::string& key, const std::string& value);

  // --- nodes
  bool has_node(const std::string& id);
  std::vector<std::string> all_node_ids();
  std::int64_t node_count();
  // Nodes that no other node names as a parent.
  std::vector<std::string> heads();
  std::optional<NodeRow> node(const std::string& id);
  // Ids that start with `prefix` (at most `limit`).
  std::vector<std::string> nodes_with_prefix(const std::string& prefix,
                                             int limit = 2);
  // Newest first; only nodes that touched `artifact` when given.
  std::vector<NodeRow> log(const std::optional<std::string>& artifact,
                           int limit);
  std::vector<IoRow> node_io(const std::string& id);
  std::vector<std::string> parents(const std::string& id);
  std::vector<std::string> children(const std::string& id);

  // --- artifacts and versions
  std::optional<ArtifactRow> artifact(const std::string& name);
  std::vector<ArtifactRow> artifacts(const std::optional<std::string>& kind);
  // The artifact whose latest version lives at `path`.
  std::optional<std::string> artifact_at_path(const std::string& path);
  std::vector<VersionRow> versions(const std::string& artifact);
  std::vector<AnnotationRow> annotations(const std::string& artifact);
  // Every version (of any artifact) whose content is `hash`.
  std::vector<VersionRow> versions_with_hash(const std::string& hash);

  // --- stat cache (paths are project-relative)
  std::unordered_map<std::string, StatEntry>
  stat_entries(const std::string& under);
  void put_stat_entries(
      const std::vector<std::pair<std::string, StatEntry>>& entries);
  void remove_stat_entries(const std::string& under);

private:
  void migrate();
  std::vector<VersionRow> query_versions(const std::string& where,
                                         const std::string& key);
  void fill_artifact(ArtifactRow& row);
  SQLite::Statement& stmt(const char* sql);

  struct Statements;
  std::unique_ptr<SQLite::Database> m_db;
  std::unique_ptr<Statements> m_statements;
  fs::path m_path;
  bool m_needs_reprojection = false;
};

} // namespace mlake::index
