#pragma once

#include <mlake/lake/workspace.hpp>
#include <mlake/util/json.hpp>
#include <mlake/util/progress.hpp>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace mlake::lake {
class Lake;
}

namespace mlake::lineage {

namespace fs = std::filesystem;

struct IngestOptions
{
  std::string source;            // a path (anywhere) or an http(s):// URL
  std::optional<std::string> as; // artifact name and workspace path
  std::optional<std::string> source_type; // file, dir or url
  std::string mode = "copy";              // copy or reference
  std::optional<std::string> owner;
  std::optional<std::string> description;
  std::optional<std::string> security;
  std::vector<std::string> tags;
  std::optional<std::string> target; // CSV/TSV: class balance of COLUMN
  std::string message;
  fs::path cwd;
};

struct IngestResult
{
  std::optional<std::string> node; // nullopt: the content was unchanged
  lake::AddedPath path;
  json source;
  std::string mode;
};

// Bring raw data into the lake in its native format and record an `ingest`
// node that says where it came from (name, type, location or URL, its
// Last-Modified or modification time, owner, description) and how (mode,
// who, when, environment). In copy mode the content goes into the
// workspace at --as (default: the source's file name, in `cwd`) and into
// the lake; in reference mode only its hash and location are recorded.
// A URL is streamed to disk while it downloads. Throws Error(Exit::remote)
// for a download that fails, Error(Exit::not_found) for a missing path,
// and Error(Exit::usage) for a destination that holds changes not in the
// lake; on any error the lake is unchanged.
IngestResult ingest(lake::Lake& lake,
                    const IngestOptions& options,
                    util::Progress& progress = util::no_progress());

} // namespace mlake::lineage
