#pragma once

#include <mlake/lake/workspace.hpp>
#include <mlake/util/progress.hpp>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace mlake::lake {
class Lake;
}

namespace mlake::lineage {

namespace fs = std::filesystem;

struct SplitOptions
{
  std::string data; // a CSV/TSV version: NAME[@VER] or a path
  double train = 0;
  std::optional<double> val;
  double test = 0;
  std::uint64_t seed = 0;
  std::optional<std::string> stratify; // a column
  std::optional<std::string> out_dir;  // default: beside the data
  std::string message;
  fs::path cwd;
};

struct SplitResult
{
  std::string node;
  std::vector<lake::AddedPath> outputs; // train, [val,] test
  std::vector<std::uint64_t> rows;      // rows in each, in that order
};

// Split a version of a CSV/TSV file into train, [validation,] and test
// files of exactly round(fraction x rows) rows each (the last takes what is
// left), chosen at random but the same for the same seed, within each
// class of `stratify` when given. The rows are copied byte for byte under
// the header. The data is read from the lake, not the workspace, so the
// split depends only on the version and the seed. Records a `split` node.
// Two streaming passes: memory does not grow with the file.
SplitResult split(lake::Lake& lake,
                  const SplitOptions& options,
                  util::Progress& progress = util::no_progress());

} // namespace mlake::lineage
