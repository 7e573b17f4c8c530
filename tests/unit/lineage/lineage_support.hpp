#pragma once

// Helpers shared by the lineage tests: recorded runs of shell commands in a
// LakeFixture.

#include <mlake/lake/workspace.hpp>
#include <mlake/lineage/run.hpp>

#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

#include "test_support.hpp"

namespace mlake::test {

// Options for running `sh -c script` in the project root.
inline lineage::RunOptions
sh_run(const LakeFixture& f,
       const std::string& script,
       std::vector<std::string> inputs,
       std::vector<std::string> outputs,
       const std::string& message)
{
  lineage::RunOptions options;
  options.command = {"sh", "-c", script};
  options.inputs = std::move(inputs);
  options.outputs = std::move(outputs);
  options.message = message;
  options.cwd = f.root;
  return options;
}

// `mlake add PATHS -m MESSAGE` in the project root.
inline lake::AddResult
add_paths(LakeFixture& f,
          std::vector<std::string> paths,
          const std::string& message)
{
  lake::AddOptions options;
  options.paths = std::move(paths);
  options.cwd = f.root;
  options.message = message;
  return lake::add(f.lake, options);
}

// How many files there are under `.mlake/nodes`, counted on disk.
inline std::size_t
node_files(const LakeFixture& f)
{
  std::size_t n = 0;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(f.lake.dir() / "nodes", ec), end;
       !ec && it != end;
       it.increment(ec)) {
    if (it->is_regular_file()) {
      ++n;
    }
  }
  return n;
}

} // namespace mlake::test
