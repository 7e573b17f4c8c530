#pragma once

// The policy a team writes in .mlake/policy.yaml, and the audit that checks
// the whole upstream lineage of a version against it. The audit also
// checks that the record itself is intact: every node it walks must still
// hash to its id, and every object it names to its name.

#include <mlake/util/json.hpp>

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace mlake::lake {
class Lake;
}

namespace mlake::governance {

namespace fs = std::filesystem;

// The rules, each off unless the file names it:
//   required_metadata: {KIND: [owner, description, security, tags], ...}
//   approved_inputs: true     every input of a train run is approved
//   max_security: {ALIAS: LEVEL}  nothing above LEVEL upstream of ALIAS
//   clean_code: true          runs ran committed code of a clean git tree
//   model_scan: true          no model file whose scan flagged or failed
//   no_purged_data: true      nothing upstream was erased by a purge
struct Policy
{
  fs::path path;
  std::string sha256; // of the file, recorded by the nodes it judged
  std::map<std::string, std::vector<std::string>> required_metadata;
  bool approved_inputs = false;
  std::map<std::string, std::string> max_security;
  bool clean_code = false;
  bool model_scan = false;
  bool no_purged_data = false;
};

// Read a policy file. Throws Error(Exit::usage) naming the file and the
// line for a malformed file, an unknown rule, kind, field or level, and
// Error(Exit::not_found) when it does not exist.
Policy load_policy(const fs::path& path);

// The lake's policy: .mlake/policy.yaml, when there is one.
std::optional<Policy> lake_policy(const lake::Lake& lake);

struct AuditOptions
{
  std::string ref; // an artifact (its latest version), NAME@VER, or a node
  fs::path cwd;
  std::optional<fs::path> policy; // default: the lake's
  // Aliases to judge the version as if it stood behind them (promote
  // checks the alias it is about to set); those pointing at it count too.
  std::vector<std::string> aliases;
};

// Walk the whole upstream lineage of `ref` and check it. Returns {"ref",
// "policy": {"path", "sha256"} or null, "aliases", "checked": {"nodes",
// "versions", "objects"}, "tainted": [{"ref", "purge", "time", "user",
// "reason"}] (the purged versions upstream, the audited one included),
// "violations": [{"rule", "message", "artifact"?, "version"?, "node"?}],
// "ok"}. Violations are results, not errors:
// throws only for a bad reference or policy.
json audit(lake::Lake& lake, const AuditOptions& options);

} // namespace mlake::governance
