#include "cli.hpp"

#include <mlake/util/error.hpp>
#include <mlake/util/interrupt.hpp>

#include <unistd.h>

#include <cctype>
#include <cstring>
#include <iostream>

#include "output.hpp"

namespace mlake::cli {

const std::vector<Command>&
commands()
{
  static const std::vector<Command> table = {
      {"init", "Create a lake in a folder", setup_init, Needs::nothing},
      {"ingest",
       "Bring raw data into the lake from a path or URL",
       setup_ingest,
       Needs::lake},
      {"add",
       "Record files and folders as new versions",
       setup_add,
       Needs::lake},
      {"status",
       "Show tracked paths that differ from mlake.lock",
       setup_status,
       Needs::lake},
      {"checkout",
       "Put tracked content back into the workspace",
       setup_checkout,
       Needs::lake},
      {"run",
       "Run a command and record its inputs, outputs and how",
       setup_run,
       Needs::lake},
      {"split",
       "Split a CSV/TSV version into train, validation and test sets",
       setup_split,
       Needs::lake},
      {"lineage",
       "Show what produced a version, or what was made from it",
       setup_lineage,
       Needs::lake},
      {"export",
       "Write the lineage of a version as PROV-JSON or OpenLineage events",
       setup_export,
       Needs::lake},
      {"reproduce",
       "Re-run the run that produced a version and compare its outputs",
       setup_reproduce,
       Needs::lake},
      {"study",
       "List studies, or show one with its runs, models and metrics",
       setup_study,
       Needs::lake},
      {"remote",
       "List, add or remove the remotes the lake is shared through",
       setup_remote,
       Needs::lake},
      {"push",
       "Upload the objects and nodes a remote lacks",
       setup_push,
       Needs::lake},
      {"pull",
       "Take a remote's new nodes and content, and update the workspace",
       setup_pull,
       Needs::lake},
      {"fetch",
       "Take a remote's new nodes and folder lists: history without data",
       setup_fetch,
       Needs::lake},
      {"clone", "Make a new lake from a remote", setup_clone, Needs::nothing},
      {"log", "Show lineage nodes, newest first", setup_log, Needs::lake},
      {"show",
       "Show an artifact, a version or a node",
       setup_show,
       Needs::lake},
      {"list", "List the artifacts", setup_list, Needs::lake},
      {"annotate",
       "Change an artifact's metadata",
       setup_annotate,
       Needs::lake},
      {"search",
       "Find artifacts and runs by words and filters",
       setup_search,
       Needs::lake},
      {"diff",
       "Compare two versions: content, metafeatures, how they were made",
       setup_diff,
       Needs::lake},
      {"approve", "Approve a version", setup_approve, Needs::lake},
      {"revoke",
       "Withdraw the approvals of a version",
       setup_revoke,
       Needs::lake},
      {"promote",
       "Point an alias (production, staging, ...) at a version",
       setup_promote,
       Needs::lake},
      {"metric",
       "Record observations of a deployed version",
       setup_metric,
       Needs::lake},
      {"monitor",
       "Compare observed metrics with the evaluated ones",
       setup_monitor,
       Needs::lake},
      {"audit",
       "Check a version's whole upstream lineage against the policy",
       setup_audit,
       Needs::lake},
      {"card",
       "Write a model card from a version's lineage",
       setup_card,
       Needs::lake},
      {"purge",
       "Erase a version's content, keeping its lineage (right to erasure)",
       setup_purge,
       Needs::lake},
      {"hook",
       "Install a git pre-commit hook that keeps git and the lake in step",
       setup_hook,
       Needs::lake},
      {"fsck",
       "Verify every object, node and reference",
       setup_fsck,
       Needs::lake},
      {"gc", "Remove objects no node refers to", setup_gc, Needs::lake},
      {"reindex",
       "Rebuild the index from the nodes",
       setup_reindex,
       Needs::lake},
  };
  return table;
}

namespace {

void
print_error(const std::string& message, const std::string& hint)
{
  std::cerr << "mlake: error: " << message << "\n";
  if (!hint.empty()) {
    std::cerr << "hint: " << hint << "\n";
  }
}

// The first word that is not an option (or the value of -C), when it is
// not a command: CLI11 would report it only as a missing subcommand.
std::optional<std::string>
unknown_command(int argc, char** argv)
{
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "-C") {
      ++i;
      continue;
    }
    if (arg.starts_with("-")) {
      continue;
    }
    for (const auto& command : commands()) {
      if (arg == command.name) {
        return std::nullopt;
      }
    }
    return arg;
  }
  return std::nullopt;
}

struct Entry
{
  CLI::App* app;
  const Command* command;
  Runner runner;
};

int
usage_error(const CLI::ParseError& e, const std::vector<Entry>& entries)
{
  // CLI11 uses 100 and up for usage errors; mlake's code for them is 2.
  std::string message = e.what();
  if (message.size() > 1 &&
      std::islower(static_cast<unsigned char>(message[1]))) {
    message[0] = static_cast<char>(std::tolower(message[0]));
  }
  std::string command;
  for (const auto& entry : entries) {
    if (entry.app->parsed()) {
      command = std::string(entry.command->name) + " ";
    }
  }
  print_error(message, "run 'mlake " + command + "--help' for usage");
  return int(Exit::usage);
}

} // namespace

int
run(int argc, char** argv)
{
  util::install_interrupt_handlers();
  CLI::App app{"mlake: version the data, code and models of an ML project, "
               "and the lineage that connects them",
               "mlake"};
  app.set_version_flag("--version", "mlake " MLAKE_VERSION);
  app.footer("Run 'mlake COMMAND --help' or 'man mlake-COMMAND' for more.");
  Globals globals;
  app.add_option("-C", globals.chdir, "Run as if mlake was started in DIR")
      ->type_name("DIR");
  app.add_flag("-q,--quiet",
               globals.quiet,
               "No messages or progress, only errors and the data asked for");
  app.add_flag(
      "--no-progress", globals.no_progress, "Never draw a progress bar");
  app.add_flag("--json", globals.json, "Print JSON for scripts");
  app.require_subcommand(1);

  std::vector<Entry> entries;
  for (const auto& command : commands()) {
    CLI::App* sub = app.add_subcommand(command.name, command.summary);
    sub->fallthrough();
    entries.push_back({sub, &command, command.setup(*sub)});
  }

  if (auto unknown = unknown_command(argc, argv)) {
    print_error("unknown command " + quote(*unknown),
                "run 'mlake --help' to list the commands");
    return int(Exit::usage);
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::RequiredError& e) {
    if (std::string(e.what()).find("subcommand") != std::string::npos) {
      // CLI11 reports an unknown option before the command this way too.
      for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        if (arg == "-C") {
          ++i;
        } else if (arg.starts_with("-") && arg != "-q" && arg != "--quiet" &&
                   arg != "--no-progress" && arg != "--json") {
          print_error("unknown option " + quote(arg),
                      "run 'mlake --help' for the global options");
          return int(Exit::usage);
        }
      }
      print_error("no command given", "run 'mlake --help' to list them");
      return int(Exit::usage);
    }
    return usage_error(e, entries);
  } catch (const CLI::ParseError& e) {
    return usage_error(e, entries);
  }

  try {
    if (!globals.chdir.empty() && ::chdir(globals.chdir.c_str()) != 0) {
      throw Error(Exit::usage,
                  "cannot change to " + quote(globals.chdir) + ": " +
                      std::strerror(errno));
    }
    auto progress = make_progress(!globals.quiet && !globals.no_progress);
    Context context{globals, fs::current_path(), std::nullopt, *progress};
    for (auto& entry : entries) {
      if (!entry.app->parsed()) {
        continue;
      }
      if (entry.command->needs == Needs::lake) {
        context.lake.emplace(lake::Lake::open(context.cwd));
      }
      return entry.runner(context);
    }
    return int(Exit::usage);
  } catch (const Error& e) {
    print_error(e.what(), e.hint());
    return int(e.code());
  } catch (const std::exception& e) {
    print_error(std::string("internal error: ") + e.what(),
                "this is a bug in mlake; please report it");
    return 70;
  }
}

} // namespace mlake::cli
