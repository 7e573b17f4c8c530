#pragma once

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

struct ReproduceOptions
{
  std::string ref; // a version (or artifact: its latest) or a run's node
  fs::path cwd;
  std::optional<fs::path> to; // keep the scratch workspace here
};

struct ReproducedOutput
{
  std::string artifact;
  std::string path;
  std::string recorded;   // the hash the run recorded
  std::string reproduced; // the hash now; "" when the output is missing
  bool same = false;
};

struct ReproduceResult
{
  std::string node;
  fs::path workspace;
  bool kept = false; // the workspace was kept (--to)
  int exit_code = 0;
  int recorded_exit_code = 0;
  std::vector<ReproducedOutput> outputs;
  // The command exited as it did then and every output came out the same.
  bool reproduced = false;
};

// Re-run the run that produced `ref`: check out the exact versions of its
// inputs and its code files into a scratch workspace (in `to`, which must
// be new or empty, or a temporary folder removed afterwards), run its
// command there with the same arguments, and compare each output's hash
// with the recorded one. Records nothing. Throws Error(Exit::usage) when
// `ref` was not produced by a command, and Error(Exit::not_found) when the
// lake lacks an input.
ReproduceResult reproduce(lake::Lake& lake,
                          const ReproduceOptions& options,
                          util::Progress& progress = util::no_progress());

} // namespace mlake::lineage
