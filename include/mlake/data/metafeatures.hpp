#pragma once

#include <mlake/util/json.hpp>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace mlake::data {

namespace fs = std::filesystem;

struct MetafeatureOptions
{
  // A column whose class balance is wanted (counts and shares per value).
  std::optional<std::string> target;
  // How many most frequent values to report for a text column.
  std::size_t top_values = 5;
  // How errors name the file: the path the user knows (a project-relative
  // path) rather than the object it is read from. Default: the path read.
  std::string name;
};

// DatasetMetafeatures of a CSV/TSV file, in one streaming pass with
// memory that does not grow with the file:
//   {"format": "csv"|"tsv", "delimiter": ",", "rows": N, "columns": M,
//    "header": true, "columns_info": [{"name", "type" (integer, number,
//    boolean, text, empty), "missing", "distinct" (exact, or estimated
//    beyond a bound: then "distinct_estimated": true), for numbers "min",
//    "max", "mean", "std", for text "top": [{"value", "count"}]}],
//    "target": {"column", "classes": [{"value", "count", "share"}]}}
// The first record is the header. Throws Error(Exit::usage) naming the
// file (as `options.name`) and the line when the file is not valid
// delimited text, and Error(Exit::usage) when `target` names no column.
json metafeatures(const fs::path& path, const MetafeatureOptions& options = {});

// Check, from its header alone, that the CSV/TSV file at `path` has the
// column `column`, as metafeatures() with a target would, so that a
// command can refuse a wrong --target before it writes anything. Throws
// Error(Exit::usage) naming the file as `name` (with the columns it has in
// the hint) when it has no such column or its header does not parse, and
// Error(Exit::not_found) when it cannot be opened.
void check_column(const fs::path& path,
                  const std::string& column,
                  const std::string& name);

} // namespace mlake::data
