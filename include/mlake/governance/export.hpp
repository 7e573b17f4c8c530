#pragma once

// Export of lineage in standard formats, for tools outside mlake: W3C
// PROV-JSON for provenance stores and OpenLineage run events for
// Marquez, DataHub and other lineage servers.

#include <mlake/util/json.hpp>

#include <filesystem>
#include <string>

namespace mlake::lake {
class Lake;
}

namespace mlake::governance {

namespace fs = std::filesystem;

enum class ExportFormat
{
  prov_json,   // https://www.w3.org/Submission/prov-json/
  openlineage, // https://openlineage.io/spec/ (2-0-2), one RunEvent a node
};

// The format named `name` ("prov-json" or "openlineage"); throws
// Error(Exit::usage) for any other name.
ExportFormat parse_export_format(const std::string& name);

struct ExportOptions
{
  ExportFormat format = ExportFormat::prov_json;
  // OpenLineage: the namespace of jobs and datasets; empty means
  // "mlake://" followed by the name of the project folder.
  std::string ol_namespace;
  // OpenLineage: one compact event per line (JSON Lines) instead of one
  // JSON array.
  bool lines = false;
  // OpenLineage: a START event (at the node's start time) before each
  // node's COMPLETE or FAIL event, as the spec asks of live emitters.
  bool start_events = false;
};

// The producer URI OpenLineage events and their facets name: mlake and
// its version.
std::string export_producer();

// The OpenLineage run id of node `node_id`: a name-based UUID (version 5,
// RFC 4122) of "mlake:node/<node id>" in the URL namespace, so that the
// same node always gets the same run id.
std::string run_uuid(const std::string& node_id);

// The whole upstream lineage of `ref` (NAME[@VER], a path, or a node id;
// what `mlake lineage --up` shows without a depth limit) as a document of
// `options.format`, ending with a newline. The output depends only on the
// lake's nodes and the options: exporting the same lake twice gives the
// same bytes. Throws Error(Exit::not_found) when `ref` names nothing.
std::string export_lineage(lake::Lake& lake,
                           const std::string& ref,
                           const fs::path& cwd,
                           const ExportOptions& options);

} // namespace mlake::governance
