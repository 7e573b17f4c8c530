#include <mlake/lineage/ingest.hpp>

#include <iostream>

#include "cli.hpp"
#include "output.hpp"

namespace mlake::cli {

namespace {

struct IngestArgs
{
  lineage::IngestOptions options;
  std::string as, source_type, owner, description, security, target;
};

} // namespace

Runner
setup_ingest(CLI::App& app)
{
  auto a = std::make_shared<IngestArgs>();
  auto& o = a->options;
  app.add_option("SOURCE", o.source, "A path, or an http(s):// URL")
      ->required();
  app.add_option("--as", a->as, "Artifact name and path in the workspace");
  app.add_option("--source-type", a->source_type, "file, dir or url")
      ->check(CLI::IsMember({"file", "dir", "url"}));
  app.add_option("--mode", o.mode, "copy (the default) or reference")
      ->check(CLI::IsMember({"copy", "reference"}));
  app.add_option("--owner", a->owner, "Who is responsible for it");
  app.add_option("--description", a->description, "What it is");
  app.add_option("--security",
                 a->security,
                 "public, internal (default), confidential or restricted");
  app.add_option("--tag", o.tags, "A tag (repeatable)")
      ->allow_extra_args(false)
      ->type_name("TAG")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  app.add_option("--target",
                 a->target,
                 "For CSV/TSV: the column whose class balance to record")
      ->type_name("COLUMN");
  app.add_option("-m,--message", o.message, "Why: the reason for ingesting it")
      ->required();
  return [a, &app](Context& ctx) {
    lineage::IngestOptions options = a->options;
    options.cwd = ctx.cwd;
    auto given = [&](const char* name, const std::string& value) {
      return app.count(name) ? std::optional<std::string>(value) : std::nullopt;
    };
    options.as = given("--as", a->as);
    options.source_type = given("--source-type", a->source_type);
    options.owner = given("--owner", a->owner);
    options.description = given("--description", a->description);
    options.security = given("--security", a->security);
    options.target = given("--target", a->target);
    auto result = lineage::ingest(*ctx.lake, options, ctx.progress);
    if (!ctx.globals.quiet && result.node) {
      print_model_warnings(result.path.model, result.path.path);
    }
    if (ctx.globals.json) {
      print_json({{"node", result.node ? json(*result.node) : json(nullptr)},
                  {"artifact", result.path.artifact},
                  {"path", result.path.path},
                  {"version", result.path.version},
                  {"hash", result.path.hash},
                  {"size", result.path.size},
                  {"mode", result.mode},
                  {"source", result.source}});
    } else if (!ctx.globals.quiet) {
      if (result.node) {
        std::cout << "ingested " << result.source["location"].get<std::string>()
                  << " as " << result.path.artifact;
        if (result.path.version) {
          std::cout << "@" << result.path.version;
        }
        std::cout << " (" << human_size(result.path.size)
                  << (result.mode == "reference" ? ", by reference" : "")
                  << ")\nrecorded node " << short_id(*result.node) << "\n";
      } else {
        std::cout << "unchanged " << result.path.artifact << "@"
                  << result.path.version << ": nothing new to record\n";
      }
    }
    return 0;
  };
}

} // namespace mlake::cli
