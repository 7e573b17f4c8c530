#include <mlake/lake/workspace.hpp>

#include <iostream>

#include "cli.hpp"
#include "output.hpp"

namespace mlake::cli {

namespace {

struct AddArgs
{
  std::vector<std::string> paths;
  std::string message;
  std::string name, kind, owner, description, security, target;
  std::vector<std::string> tags;
};

std::optional<std::string>
given(const CLI::App& app, const char* option, const std::string& value)
{
  if (app.count(option) == 0) {
    return std::nullopt;
  }
  return value;
}

} // namespace

Runner
setup_add(CLI::App& app)
{
  auto a = std::make_shared<AddArgs>();
  app.add_option("PATH", a->paths, "Files and folders to record")->required();
  app.add_option("-m,--message",
                 a->message,
                 "Why: the reason for this change, as in a commit")
      ->required();
  app.add_option("--name", a->name, "Artifact name (default: the path)");
  app.add_option("--kind", a->kind, "dataset, model, code or other");
  app.add_option("--owner", a->owner, "Who is responsible for it");
  app.add_option("--description", a->description, "What it is");
  app.add_option("--security",
                 a->security,
                 "public, internal (default), confidential or restricted");
  // One value per --tag: the paths after it are still paths.
  app.add_option("--target",
                 a->target,
                 "For CSV/TSV: the column whose class balance to record")
      ->type_name("COLUMN");
  app.add_option("--tag", a->tags, "A tag (repeatable)")
      ->allow_extra_args(false)
      ->type_name("TAG")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  return [a, &app](Context& ctx) {
    lake::AddOptions options;
    options.paths = a->paths;
    options.cwd = ctx.cwd;
    options.message = a->message;
    options.name = given(app, "--name", a->name);
    options.kind = given(app, "--kind", a->kind);
    options.owner = given(app, "--owner", a->owner);
    options.description = given(app, "--description", a->description);
    options.security = given(app, "--security", a->security);
    options.tags = a->tags;
    options.target = given(app, "--target", a->target);
    auto result = lake::add(*ctx.lake, options, ctx.progress);
    if (!ctx.globals.quiet) {
      for (const auto& p : result.paths) {
        print_model_warnings(p.model, p.path);
      }
    }

    if (ctx.globals.json) {
      json paths = json::array();
      for (const auto& p : result.paths) {
        paths.push_back({{"path", p.path},
                         {"artifact", p.artifact},
                         {"type", p.type},
                         {"hash", p.hash},
                         {"size", p.size},
                         {"files", p.files},
                         {"version", p.version},
                         {"changed", p.changed},
                         {"new_artifact", p.new_artifact}});
        if (p.model.is_object()) {
          paths.back()["model_verdict"] = p.model.value("verdict", "");
        }
      }
      print_json(
          {{"node", result.node ? json(*result.node) : json(nullptr)},
           {"paths", paths},
           {"stored",
            {{"files", result.files_stored}, {"bytes", result.bytes_stored}}}});
      return 0;
    }
    if (ctx.globals.quiet) {
      return 0;
    }
    for (const auto& p : result.paths) {
      std::string what = p.type == "dir"
                             ? std::to_string(p.files) +
                                   (p.files == 1 ? " file, " : " files, ")
                             : "";
      what += human_size(p.size);
      if (p.changed) {
        std::cout << (p.new_artifact ? "added    " : "updated  ") << p.path;
        if (p.artifact != p.path) {
          std::cout << " as '" << p.artifact << "'";
        }
        std::cout << "  @" << p.version << "  (" << what << ")\n";
      } else {
        std::cout << "unchanged " << p.path << "  @" << p.version << "  ("
                  << what << ")\n";
      }
    }
    if (result.node) {
      std::cout << "recorded node " << short_id(*result.node) << "\n";
    } else {
      std::cout << "nothing new to record";
      bool metadata = app.count("--owner") || app.count("--description") ||
                      app.count("--security") || app.count("--kind") ||
                      app.count("--tag");
      std::cout << (metadata ? "; to change metadata only, use 'mlake "
                               "annotate'\n"
                             : "\n");
    }
    return 0;
  };
}

} // namespace mlake::cli
