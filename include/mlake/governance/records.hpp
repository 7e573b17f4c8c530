#pragma once

// Governance records: approvals, promotions and monitoring observations.
// Each is a node that names the version it acts on as its one input, so
// that lineage, audit and taint see it downstream of that version; current
// state (the version an alias points at, whether a version is approved) is
// a projection of those nodes, never updated in place.

#include <mlake/index/index.hpp>
#include <mlake/util/json.hpp>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace mlake::lake {
class Lake;
}

namespace mlake::governance {

namespace fs = std::filesystem;

struct ApproveOptions
{
  std::string ref; // NAME@VER
  fs::path cwd;
  std::string message;
  bool revoke = false;
};

// Record the current user's approval of a version, or (revoke) withdraw
// every approval the version has so far. Throws Error(Exit::usage) when
// the user's approval is already in force, or there is none to revoke.
// Returns {"node", "artifact", "version": {...}, "decision", "approved"}.
json approve(lake::Lake& lake, const ApproveOptions& options);

// Whether the version recorded by `version_node` is approved now: approved
// by someone after its latest revocation. `approvers` gets their names.
bool is_approved(const std::vector<index::ApprovalRow>& approvals,
                 const std::string& version_node,
                 std::vector<std::string>* approvers = nullptr);

// Throws Error(Exit::usage) unless `alias` can name an alias: a letter,
// then letters, digits, '-', '_' or '.'; not "latest".
void check_alias(const std::string& alias);

struct PromoteOptions
{
  std::string ref; // NAME@VER
  std::string alias;
  fs::path cwd;
  std::string message;
  bool force = false;
};

// Point `alias` at a version. Returns {"node", "artifact", "alias",
// "version": {...}, "previous": {...} or null}.
json promote(lake::Lake& lake, const PromoteOptions& options);

struct MetricLogOptions
{
  std::string ref; // NAME, NAME@VER or NAME@ALIAS
  fs::path cwd;
  std::vector<std::string> values; // KEY=NUMBER
  std::optional<std::string> time; // RFC 3339; now when not given
  std::optional<std::string> source;
  std::optional<std::string> message;
};

// Record observations of a deployed version (a metric node).
json log_metrics(lake::Lake& lake, const MetricLogOptions& options);

struct MonitorOptions
{
  std::string ref; // NAME (its production alias, else latest) or NAME@VER
  fs::path cwd;
  std::optional<std::string> metric;
  // A change for the worse beyond this fraction of the evaluated value
  // flags the metric.
  double threshold = 0.05;
};

// The observed metrics of a version over time against the values it was
// evaluated with. Returns {"artifact", "version": {...}, "threshold",
// "metrics": [{"key", "direction", "baseline": {...} or null,
// "observations": [{"time", "value", "source", "node"}], "latest",
// "change", "degraded"}], "degraded": bool}.
json monitor(lake::Lake& lake, const MonitorOptions& options);

struct PurgeOptions
{
  std::string ref; // NAME@VER
  fs::path cwd;
  std::string reason;
  // Erase it on this remote too ("" for none): the purge node is pushed
  // first, then the content deleted.
  std::string remote;
  // Also erase content other versions share with it (they become
  // "affected"); without it, such a purge is refused.
  bool force = false;
  bool dry_run = false;
};

// Erase a version's content (right to erasure): record a purge node naming
// it, then remove its objects and the unchanged copies in the workspace;
// with `remote`, on the remote too. The lineage stays; what was made from
// it is tainted. A version purged already is erased again (a purge that was
// interrupted, or one to carry to a remote), without a new node.
// Returns {"node" (null for a dry run or a purge made before), "artifact",
// "version": {...}, "reason", "dry_run", "already_purged", "content":
// {"objects", "bytes"}, "affected": [{"ref", "node", "shared"}], "erased":
// {"objects", "bytes", "workspace": [...]}, "tainted": [{"ref", "node",
// "kind"}], "remote": {"name", "location", "deleted", "nodes_sent"} or
// null}.
json purge(lake::Lake& lake, const PurgeOptions& options);

// A number the index kept as REAL, as JSON: a whole number goes back as an
// integer, as the node recorded it.
json number_json(double value);

// Whether a lower value of the metric `key` is better (loss, error,
// latency, ...), judged by its name.
bool lower_is_better(const std::string& key);

} // namespace mlake::governance
