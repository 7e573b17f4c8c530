#pragma once

#include <mlake/index/index.hpp>
#include <mlake/util/json.hpp>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace mlake::lake {

namespace fs = std::filesystem;

class Lake;

// The documents below are what `--json` prints; the text output is drawn
// from them. Their shape is part of mlake's interface: add fields, never
// rename or remove one.

// Nodes newest first (by end time, then id), each with its outputs and
// inputs as versions; only those touching `artifact` when given; at most
// `limit` (all when negative).
json log(Lake& lake,
         const std::optional<std::string>& artifact,
         const fs::path& cwd,
         int limit);

// An artifact, a version or a node, answering what, who, where, when, why
// and how. Throws Error(Exit::not_found) for an unknown reference.
json show(Lake& lake, const std::string& ref, const fs::path& cwd);

// Every artifact (of `kind`, when given) with its latest version.
json list(Lake& lake, const std::optional<std::string>& kind);

// The approvals of the version `version_node` recorded that are in force
// now: those after its latest revocation (a revocation withdraws every
// approval before it).
std::vector<const index::ApprovalRow*>
approvals_in_force(const std::vector<index::ApprovalRow>& approvals,
                   const std::string& version_node);

struct AnnotateOptions
{
  std::string artifact; // name or path
  fs::path cwd;
  std::string message;
  std::optional<std::string> description;
  std::optional<std::string> owner;
  std::optional<std::string> security;
  std::optional<std::string> kind;
  std::vector<std::string> tags;
  std::vector<std::string> untags;
};

// Record an `annotate` node that changes an artifact's metadata; returns a
// document naming the node and the changes. Throws Error(Exit::usage) when
// nothing would change.
json annotate(Lake& lake, const AnnotateOptions& options);

} // namespace mlake::lake
