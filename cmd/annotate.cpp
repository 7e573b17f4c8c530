#include <mlake/lake/query.hpp>

#include <iostream>

#include "cli.hpp"
#include "output.hpp"

namespace mlake::cli {

namespace {

struct AnnotateArgs
{
  std::string name, message, description, owner, security, kind;
  std::vector<std::string> tags, untags;
};

} // namespace

Runner
setup_annotate(CLI::App& app)
{
  auto a = std::make_shared<AnnotateArgs>();
  app.add_option("NAME", a->name, "The artifact (name or path)")->required();
  app.add_option("-m,--message",
                 a->message,
                 "Why: the reason for this change, as in a commit")
      ->required();
  app.add_option("--description", a->description, "What it is");
  app.add_option("--owner", a->owner, "Who is responsible for it");
  app.add_option("--security",
                 a->security,
                 "public, internal, confidential or restricted");
  app.add_option("--kind", a->kind, "dataset, model, code or other");
  app.add_option("--tag", a->tags, "Add a tag (repeatable)")
      ->allow_extra_args(false)
      ->type_name("TAG")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  app.add_option("--untag", a->untags, "Remove a tag (repeatable)")
      ->allow_extra_args(false)
      ->type_name("TAG")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  return [a, &app](Context& ctx) {
    lake::AnnotateOptions options;
    options.artifact = a->name;
    options.cwd = ctx.cwd;
    options.message = a->message;
    auto given = [&](const char* option, const std::string& value) {
      return app.count(option) ? std::optional<std::string>(value)
                               : std::nullopt;
    };
    options.description = given("--description", a->description);
    options.owner = given("--owner", a->owner);
    options.security = given("--security", a->security);
    options.kind = given("--kind", a->kind);
    options.tags = a->tags;
    options.untags = a->untags;
    json result = lake::annotate(*ctx.lake, options);
    if (ctx.globals.json) {
      print_json(result);
    } else if (!ctx.globals.quiet) {
      for (const auto& [field, value] : result["changes"].items()) {
        if (field == "tags") {
          for (const auto& t : value.value("add", json::array())) {
            std::cout << "tag +" << t.get<std::string>() << "\n";
          }
          for (const auto& t : value.value("remove", json::array())) {
            std::cout << "tag -" << t.get<std::string>() << "\n";
          }
        } else {
          std::cout << field << " = " << value.get<std::string>() << "\n";
        }
      }
      std::cout << "recorded node "
                << short_id(result["node"].get<std::string>()) << "\n";
    }
    return 0;
  };
}

} // namespace mlake::cli
