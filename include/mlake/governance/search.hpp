#pragma once

#include <mlake/util/json.hpp>

#include <optional>
#include <string>
#include <vector>

namespace mlake::lake {
class Lake;
}

namespace mlake::governance {

struct SearchOptions
{
  // Words to find (all of them, each also as a prefix: "diab" finds
  // "diabetes"); none lists what the filters let through, newest first.
  std::optional<std::string> text;
  std::optional<std::string> kind; // dataset, model, ... or train, ...
  std::optional<std::string> tag;
  std::optional<std::string> owner;
  std::optional<std::string> study;
  std::vector<std::string> params;  // KEY=VALUE
  std::vector<std::string> metrics; // KEY>=NUMBER, KEY<0.2, ...
  int limit = 20;
};

// Ranked full-text search over artifacts and nodes: names, descriptions,
// messages, tags, owners, users, studies, params and metric names.
// Returns {"query", "results": [{"type": "artifact", "name", "kind",
// "description", "owner", "security", "tags", "versions", "latest", "score"}
// or {"type": "node", "id", "kind", "message", "study", "analysis", "task",
// "user", "time", "outputs", "score"}]}, best first. Throws
// Error(Exit::usage) for a malformed filter.
json search(lake::Lake& lake, const SearchOptions& options);

} // namespace mlake::governance
