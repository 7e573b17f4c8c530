#pragma once

#include <mlake/util/json.hpp>

#include <string>

namespace mlake::lake {
class Lake;
}

namespace mlake::lineage {

// Every study the runs named: [{"name", "analyses", "tasks", "runs",
// "latest"}].
json studies(lake::Lake& lake);

// One study: {"name", "analyses": [{"name", "tasks": [{"name", "runs":
// [{"id", "kind", "message", "time", "user", "algorithm", "exit_code",
// "params", "metrics", "outputs": [{"artifact", "version", "kind"}]}]}]}]}.
// Throws Error(Exit::not_found) for a study no run named.
json study(lake::Lake& lake, const std::string& name);

} // namespace mlake::lineage
