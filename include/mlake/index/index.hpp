#pragma once

#include <mlake/util/fs.hpp>
#include <mlake/util/json.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
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
  std::string command; // the argv as JSON, "" when the node ran nothing
  std::optional<int> exit_code;
  std::string git_commit; // of the code the node ran, "" when unknown
  bool git_dirty = false;
  std::string study, analysis, task, algorithm;
};

// One search result: an artifact or a node.
struct SearchHit
{
  std::string type;   // "artifact" or "node"
  std::string target; // the artifact's name or the node's id
  std::string kind;   // dataset, model, ... or train, evaluate, ...
  std::string time;   // of the node, or of the artifact's latest version
  double score = 0;   // bm25: lower is a better match
};

struct SearchQuery
{
  // An FTS5 expression over names, descriptions and the rest; "" for none.
  std::string match;
  std::optional<std::string> kind, tag, owner, study;
  std::vector<std::pair<std::string, std::string>> params; // key, value
  struct Metric
  {
    std::string key, op; // op: <, <=, =, >=, >, !=
    double value = 0;
  };
  std::vector<Metric> metrics;
  int limit = 50;
};

struct StudyRow
{
  std::string name;
  int analyses = 0;
  int tasks = 0;
  int runs = 0;
  std::string latest; // time of the newest node
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
  std::string source; // for inputs: the node that recorded this version
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
  bool exec = false;       // for files
  bool stored = true;      // false: recorded by reference, not in the lake
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

// An alias pointed at a version by a promote node.
struct PromotionRow
{
  std::string node;
  std::string artifact;
  std::string alias;
  std::string version_node; // the node that recorded the version
  std::string hash;
  std::string time;
  std::string user_name;
  std::string message;
  bool forced = false; // made against the policy, with --force
};

// An approval of a version, or its withdrawal ("approve" or "revoke").
struct ApprovalRow
{
  std::string node;
  std::string artifact;
  std::string version_node;
  std::string hash;
  std::string decision;
  std::string time;
  std::string user_name;
  std::string user_email;
  std::string message;
};

// A version a purge node erased ("purged"), or whose content went with it
// because the two shared it ("affected").
struct PurgeRow
{
  std::string node; // the purge node
  std::string artifact;
  std::string version_node;
  std::string hash;
  std::string role;
  std::string time;
  std::string user_name;
  std::string user_email;
  std::string message; // the reason
};

// One number a node recorded: a run's metric, or an observation of a
// deployed version (a metric node: `time` is when it was observed).
struct MetricRow
{
  std::string node;
  std::string kind; // of the node
  std::string key;
  double value = 0;
  std::string time;
  std::string source;
};

// What the stat cache knows of one file below a tracked path: its stat
// when it was last hashed, and the hash. Views point into the snapshot
// (or, for put_stat_snapshot, into the caller's strings).
struct StatEntry
{
  std::string_view path; // relative to the tracked path; "" for a file
  std::uint64_t ino = 0;
  std::uint64_t size = 0;
  std::int64_t mtime_ns = 0;
  std::int64_t ctime_ns = 0;
  std::string_view hash;
};

// The stat cache of one tracked path: an entry per file, sorted by path,
// stored as one record so that a status of 100,000 unchanged files reads
// one row; and `whole_hash`, the content or tree hash those files formed
// when every one of them could be trusted ("" otherwise).
class StatSnapshot
{
public:
  StatSnapshot() = default;
  StatSnapshot(StatSnapshot&&) = default;
  StatSnapshot& operator=(StatSnapshot&&) = default;

  const std::vector<StatEntry>&
  entries() const noexcept
  {
    return m_entries;
  }
  const std::string&
  whole_hash() const noexcept
  {
    return m_whole;
  }
  // The entry for `path`, or nullptr.
  const StatEntry* find(std::string_view path) const;

private:
  friend class Index;
  std::unique_ptr<char[]> m_blob; // the entries' paths and hashes live here
  std::vector<StatEntry> m_entries;
  std::string m_whole;
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
  // Bring up to date what depends on more than one node: the numbers of
  // the versions of `artifacts` (of every artifact when empty), in (time,
  // node) order, and the search documents of the artifacts the nodes
  // applied since touched. Call it after apply(): it is not kept up to date
  // one node at a time, so that a replay of 100,000 nodes settles once.
  void settle(const std::vector<std::string>& artifacts = {});

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
  // The metafeatures the node recorded for its version of `artifact`.
  std::optional<json> metafeatures(const std::string& artifact,
                                   const std::string& node);
  // A node's params and metrics as recorded (params as JSON text).
  std::vector<std::pair<std::string, std::string>>
  params(const std::string& id);
  std::vector<std::pair<std::string, double>> metrics(const std::string& id);

  // --- studies (the study/analysis/task a run named)
  std::vector<StudyRow> studies();
  // The nodes of one study, by analysis, task and time.
  std::vector<NodeRow> study_nodes(const std::string& study);
  std::vector<std::string> parents(const std::string& id);
  std::vector<std::string> children(const std::string& id);

  // --- lineage
  struct LineageRows
  {
    std::vector<NodeRow> nodes; // the reachable nodes, `start` included
    std::vector<IoRow> io;      // every input and output of those nodes
    struct Code
    {
      std::string node, path, hash;
      std::uint64_t size = 0;
    };
    std::vector<Code> code; // the code files those nodes snapshotted
    // Version numbers of the versions those nodes read or wrote, keyed by
    // artifact + '\n' + the recording node.
    std::unordered_map<std::string, int> ordinals;
  };
  // The nodes reachable from `start` by following inputs to the nodes
  // that recorded them (`up`), or outputs to the nodes that read them (not
  // `up`), at most `depth` steps away (all when negative). With `artifact`,
  // the first step down follows only that artifact's version.
  LineageRows lineage(const std::vector<std::string>& start,
                      bool up,
                      int depth,
                      const std::optional<std::string>& artifact);

  // --- artifacts and versions
  std::optional<ArtifactRow> artifact(const std::string& name);
  std::vector<ArtifactRow> artifacts(const std::optional<std::string>& kind);
  // The artifact whose latest version lives at `path`.
  std::optional<std::string> artifact_at_path(const std::string& path);
  std::vector<VersionRow> versions(const std::string& artifact);
  std::vector<AnnotationRow> annotations(const std::string& artifact);
  // Every version (of any artifact) whose content is `hash`.
  std::vector<VersionRow> versions_with_hash(const std::string& hash);

  // --- search: best matches first, or newest first without `match`
  std::vector<SearchHit> search(const SearchQuery& query);

  // --- governance
  // Every promotion of `artifact`'s versions, oldest first.
  std::vector<PromotionRow> promotions(const std::string& artifact);
  // The node that recorded the version `alias` points at now.
  std::optional<std::string> alias_target(const std::string& artifact,
                                          const std::string& alias);
  // Every approval and revocation of `artifact`'s versions, oldest first.
  std::vector<ApprovalRow> approvals(const std::string& artifact);
  // Every version purge nodes erased, oldest purge first.
  std::vector<PurgeRow> purges();
  // The content purge nodes erased.
  std::vector<std::string> purged_objects();
  // Every version whose content is a folder the lake holds.
  std::vector<VersionRow> stored_folder_versions();
  // Observations of one version (metric nodes), in observed-time order.
  std::vector<MetricRow> observations(const std::string& artifact,
                                      const std::string& version_node);
  // The metrics one version was measured with before it was deployed:
  // those of the node that made it and of the nodes that read it
  // (evaluations), oldest first.
  std::vector<MetricRow> version_metrics(const std::string& artifact,
                                         const std::string& version_node);

  // --- stat cache, one snapshot per tracked path (project-relative)
  // An empty snapshot when nothing is cached for `root`.
  StatSnapshot stat_snapshot(const std::string& root);
  // Replace the snapshot of `root`; `entries` must be sorted by path.
  void put_stat_snapshot(const std::string& root,
                         const std::vector<StatEntry>& entries,
                         const std::string& whole_hash);
  void remove_stat_snapshot(const std::string& root);

private:
  void migrate();
  std::vector<VersionRow> query_versions(const std::string& where,
                                         const std::string& key);
  void fill_artifact(ArtifactRow& row);
  // Replace the search document of (type, target).
  void put_search_doc(const std::string& type,
                      const std::string& target,
                      const std::string& kind,
                      const std::string& time,
                      const std::string& name,
                      const std::string& description,
                      const std::string& body);
  void write_artifact_doc(const std::string& artifact);
  SQLite::Statement& stmt(const char* sql);

  struct Statements;
  std::unique_ptr<SQLite::Database> m_db;
  std::unique_ptr<Statements> m_statements;
  fs::path m_path;
  bool m_needs_reprojection = false;
  // Artifacts whose search documents settle() must rewrite.
  std::vector<std::string> m_unsettled_docs;
};

} // namespace mlake::index
