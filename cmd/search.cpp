#include <mlake/governance/search.hpp>

#include <iostream>

#include "cli.hpp"
#include "output.hpp"

namespace mlake::cli {

namespace {

// Datasets, models, code and other artifacts, then runs and records.
void
print_results(const json& results)
{
  const std::vector<std::pair<std::string, std::string>> groups = {
      {"dataset", "datasets"},
      {"model", "models"},
      {"code", "code"},
      {"other", "other artifacts"}};
  bool first = true;
  auto heading = [&](const std::string& title) {
    std::cout << (first ? "" : "\n") << title << "\n";
    first = false;
  };
  for (const auto& [kind, title] : groups) {
    bool any = false;
    for (const auto& r : results) {
      if (r["type"] != "artifact" ||
          (r["kind"] != kind &&
           !(kind == "other" && r["kind"] != "dataset" &&
             r["kind"] != "model" && r["kind"] != "code"))) {
        continue;
      }
      if (!any) {
        heading(title);
        any = true;
      }
      std::string latest =
          r.contains("latest") && !r["latest"].is_null()
              ? "@" + std::to_string(r["latest"]["version"].get<int>())
              : "";
      std::cout << "  " << pad(printable(r["name"].get<std::string>()), 28)
                << " " << pad(latest, 5) << " "
                << printable(r.value("description", std::string())) << "\n";
    }
  }
  bool any = false;
  for (const auto& r : results) {
    if (r["type"] != "node") {
      continue;
    }
    if (!any) {
      heading("runs and records");
      any = true;
    }
    std::string where = r.value("study", std::string());
    for (const char* key : {"analysis", "task"}) {
      if (!r.value(key, std::string()).empty()) {
        where += "/" + r[key].get<std::string>();
      }
    }
    std::cout << "  " << short_id(r["id"].get<std::string>()) << "  "
              << pad(r["kind"].get<std::string>(), 9) << " "
              << human_time(r.value("time", std::string())) << "  "
              << printable(r.value("message", std::string()))
              << (where.empty() ? "" : "  [" + printable(where) + "]") << "\n";
  }
}

} // namespace

Runner
setup_search(CLI::App& app)
{
  struct Args
  {
    std::vector<std::string> words;
    governance::SearchOptions options;
    std::string kind, tag, owner, study;
  };
  auto a = std::make_shared<Args>();
  app.add_option("QUERY", a->words, "Words to find (all of them)");
  app.add_option("--kind",
                 a->kind,
                 "dataset, model, code, other; or train, "
                 "evaluate, ... for runs");
  app.add_option("--tag",
                 a->tag,
                 "Artifacts with this tag, runs that "
                 "touched one");
  app.add_option("--owner", a->owner, "Artifacts owned by, runs made by");
  app.add_option("--study",
                 a->study,
                 "Runs of this study, and what they "
                 "touched");
  app.add_option("--param", a->options.params, "KEY=VALUE (repeatable)")
      ->type_name("K=V")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  app.add_option("--metric",
                 a->options.metrics,
                 "KEY<op>NUMBER, e.g. 'accuracy>=0.9' (repeatable)")
      ->type_name("K>=V")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  app.add_option("-n,--limit", a->options.limit, "At most this many (20)");
  return [a, &app](Context& ctx) {
    governance::SearchOptions options = a->options;
    if (!a->words.empty()) {
      std::string text;
      for (const auto& w : a->words) {
        text += (text.empty() ? "" : " ") + w;
      }
      options.text = text;
    }
    auto given = [&](const char* option, const std::string& value) {
      return app.count(option) ? std::optional<std::string>(value)
                               : std::nullopt;
    };
    options.kind = given("--kind", a->kind);
    options.tag = given("--tag", a->tag);
    options.owner = given("--owner", a->owner);
    options.study = given("--study", a->study);
    json result = governance::search(*ctx.lake, options);
    if (ctx.globals.json) {
      print_json(result);
    } else if (result["results"].empty()) {
      if (!ctx.globals.quiet) {
        std::cerr << "nothing found\n";
      }
    } else {
      print_results(result["results"]);
    }
    return 0;
  };
}

} // namespace mlake::cli
