#include <mlake/governance/export.hpp>
#include <mlake/util/error.hpp>
#include <mlake/util/fs.hpp>

#include <iostream>

#include "cli.hpp"
#include "output.hpp"

namespace mlake::cli {

namespace {

struct ExportArgs
{
  std::string ref;
  std::string format = "prov-json";
  std::string output;
  std::string ol_namespace;
  bool lines = false;
  bool start_events = false;
};

} // namespace

Runner
setup_export(CLI::App& app)
{
  auto a = std::make_shared<ExportArgs>();
  app.add_option("REF", a->ref, "NAME[@VERSION], a path, or a node id")
      ->required();
  // Checked while the command line is parsed, so that a wrong format is a
  // usage error (2) also outside a lake.
  app.add_option(
         "--format", a->format, "prov-json (the default) or openlineage")
      ->check([](const std::string& name) {
        try {
          governance::parse_export_format(name);
          return std::string();
        } catch (const Error& e) {
          return std::string(e.what()) + " (prov-json or openlineage)";
        }
      });
  app.add_option("-o,--output", a->output, "Write to FILE, not stdout")
      ->type_name("FILE");
  app.add_option("--namespace",
                 a->ol_namespace,
                 "OpenLineage namespace (default: mlake://PROJECT-FOLDER)")
      ->type_name("NS");
  app.add_flag(
      "--lines", a->lines, "OpenLineage: one event per line, not a JSON array");
  app.add_flag("--start-events",
               a->start_events,
               "OpenLineage: a START event before each COMPLETE or FAIL");
  return [a](Context& ctx) {
    governance::ExportOptions options;
    options.format = governance::parse_export_format(a->format);
    options.ol_namespace = a->ol_namespace;
    options.lines = a->lines;
    options.start_events = a->start_events;
    if (options.format != governance::ExportFormat::openlineage &&
        (a->lines || a->start_events || !a->ol_namespace.empty())) {
      throw Error(Exit::usage,
                  "--lines, --start-events and --namespace are for "
                  "--format openlineage");
    }
    std::string doc =
        governance::export_lineage(*ctx.lake, a->ref, ctx.cwd, options);
    if (a->output.empty() || a->output == "-") {
      std::cout << doc;
    } else {
      util::write_file_atomic(ctx.cwd / a->output, doc);
    }
    return 0;
  };
}

} // namespace mlake::cli
