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

struct RunOptions
{
  std::string kind = "process"; // process, train or evaluate
  std::vector<std::string> inputs;
  std::vector<std::string> outputs;
  std::vector<std::string> params; // KEY=VALUE
  std::optional<std::string> params_file;
  std::vector<std::string> metrics_files;
  std::vector<std::string> code;
  std::optional<std::string> algorithm;
  std::optional<std::string> study;
  std::optional<std::string> analysis;
  std::optional<std::string> task;
  std::string message;
  std::vector<std::string> command;
  fs::path cwd;
};

struct RunResult
{
  int exit_code = 0;                      // the command's; 128 + N for signal N
  std::optional<std::string> node;        // the run's node
  std::optional<std::string> inputs_node; // the add of changed inputs
  std::string run_id;
  std::vector<lake::AddedPath> outputs;
  json metrics = json::object();
};

// Run `options.command` as a recorded step: version changed or untracked
// inputs first (one add node), run the command with stdin, stdout and
// stderr passed through and MLAKE_RUN_ID / MLAKE_DIR in its environment,
// then version the outputs and record one node with what, who, where,
// when, why and how. A command that fails is recorded with its exit code
// and no outputs. Everything the user gave is checked before the command
// starts; an interrupted run records nothing and throws
// Error(Exit::interrupted). The writer lock is not held while the command
// runs.
RunResult run(lake::Lake& lake,
              const RunOptions& options,
              util::Progress& progress = util::no_progress());

} // namespace mlake::lineage
