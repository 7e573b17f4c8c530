#pragma once

// The command line's shared pieces: global options, the command table, and
// what every command's run function gets.

#include <mlake/lake/lake.hpp>
#include <mlake/util/json.hpp>
#include <mlake/util/progress.hpp>

#include <CLI/CLI.hpp>

#include <filesystem>
#include <functional>
#include <optional>
#include <string>

namespace mlake::cli {

namespace fs = std::filesystem;

struct Globals
{
  std::string chdir;
  bool quiet = false;
  bool no_progress = false;
  bool json = false;
};

// What main prepares before a command runs.
enum class Needs
{
  nothing, // the command finds or makes its own lake (init)
  lake,    // open the lake around the working directory
};

struct Context
{
  Globals& globals;
  fs::path cwd; // after -C
  std::optional<lake::Lake> lake;
  util::Progress& progress;
};

// A command's run function returns the exit code.
using Runner = std::function<int(Context&)>;

struct Command
{
  const char* name;
  const char* summary;
  Runner (*setup)(CLI::App& app);
  Needs needs;
};

// Every command, in the order `mlake --help` lists them.
const std::vector<Command>& commands();

int run(int argc, char** argv);

// --- setup functions, one per file in cmd/
Runner setup_init(CLI::App& app);
Runner setup_add(CLI::App& app);
Runner setup_status(CLI::App& app);
Runner setup_checkout(CLI::App& app);
Runner setup_log(CLI::App& app);
Runner setup_show(CLI::App& app);
Runner setup_list(CLI::App& app);
Runner setup_annotate(CLI::App& app);
Runner setup_fsck(CLI::App& app);
Runner setup_gc(CLI::App& app);
Runner setup_reindex(CLI::App& app);
Runner setup_run(CLI::App& app);
Runner setup_lineage(CLI::App& app);
Runner setup_export(CLI::App& app);
Runner setup_hook(CLI::App& app);
Runner setup_reproduce(CLI::App& app);
Runner setup_study(CLI::App& app);
Runner setup_ingest(CLI::App& app);
Runner setup_split(CLI::App& app);
Runner setup_remote(CLI::App& app);
Runner setup_push(CLI::App& app);
Runner setup_pull(CLI::App& app);
Runner setup_approve(CLI::App& app);
Runner setup_revoke(CLI::App& app);
Runner setup_promote(CLI::App& app);
Runner setup_metric(CLI::App& app);
Runner setup_monitor(CLI::App& app);
Runner setup_search(CLI::App& app);
Runner setup_diff(CLI::App& app);
Runner setup_audit(CLI::App& app);
Runner setup_card(CLI::App& app);
Runner setup_purge(CLI::App& app);
Runner setup_fetch(CLI::App& app);
Runner setup_clone(CLI::App& app);

} // namespace mlake::cli
