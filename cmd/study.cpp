#include <mlake/lineage/study.hpp>
#include <mlake/util/error.hpp>

#include <iostream>

#include "cli.hpp"
#include "output.hpp"

namespace mlake::cli {

namespace {

std::string
compact(const json& object)
{
  std::string out;
  for (const auto& [key, value] : object.items()) {
    std::string text =
        value.is_string() ? value.get<std::string>() : value.dump();
    if (value.is_number_float()) {
      char buffer[32];
      std::snprintf(buffer, sizeof(buffer), "%g", value.get<double>());
      text = buffer;
    }
    out += (out.empty() ? "" : ", ") + printable(key) + "=" + printable(text);
  }
  return out;
}

void
print_study(const json& s)
{
  std::cout << "study " << s["name"].get<std::string>() << "\n";
  for (const auto& a : s["analyses"]) {
    std::cout << "  analysis "
              << (a["name"].is_null() ? "-" : a["name"].get<std::string>())
              << "\n";
    for (const auto& t : a["tasks"]) {
      std::cout << "    task "
                << (t["name"].is_null() ? "-" : t["name"].get<std::string>())
                << "\n";
      for (const auto& r : t["runs"]) {
        std::cout << "      " << r["kind"].get<std::string>() << " "
                  << short_id(r["id"]) << "  " << human_time(r["time"]) << "  "
                  << printable(r["message"].get<std::string>());
        if (!r["exit_code"].is_null() && r["exit_code"].get<int>() != 0) {
          std::cout << "  [exit " << r["exit_code"].get<int>() << "]";
        }
        std::cout << "\n";
        if (!r["algorithm"].is_null()) {
          std::cout << "        algorithm " << r["algorithm"].get<std::string>()
                    << "\n";
        }
        if (!r["params"].empty()) {
          std::cout << "        params  " << compact(r["params"]) << "\n";
        }
        if (!r["metrics"].empty()) {
          std::cout << "        metrics " << compact(r["metrics"]) << "\n";
        }
        for (const auto& o : r["outputs"]) {
          std::cout << "        output  " << o["artifact"].get<std::string>()
                    << "@" << o["version"].get<int>() << " ("
                    << o["kind"].get<std::string>() << ")\n";
        }
      }
    }
  }
}

} // namespace

Runner
setup_study(CLI::App& app)
{
  auto action = std::make_shared<std::string>("list");
  auto name = std::make_shared<std::string>();
  app.add_option("ACTION", *action, "list (the default) or show")
      ->check(CLI::IsMember({"list", "show"}));
  app.add_option("NAME", *name, "The study, for show");
  return [action, name](Context& ctx) {
    if (*action == "list" && !name->empty()) {
      throw Error(Exit::usage,
                  "'study list' takes no study name, but got " + quote(*name),
                  "run 'mlake study show " + *name + "' to show that study");
    }
    if (*action == "show") {
      if (name->empty()) {
        throw Error(Exit::usage,
                    "which study?",
                    "run 'mlake study show NAME'; 'mlake study list' lists "
                    "them");
      }
      json s = lineage::study(*ctx.lake, *name);
      if (ctx.globals.json) {
        print_json(s);
      } else {
        print_study(s);
      }
      return 0;
    }
    json list = lineage::studies(*ctx.lake);
    if (ctx.globals.json) {
      print_json(list);
      return 0;
    }
    if (list.empty()) {
      if (!ctx.globals.quiet) {
        std::cout << "no studies yet: name one with 'mlake run --study'\n";
      }
      return 0;
    }
    for (const auto& s : list) {
      std::cout << pad(s["name"], 24) << s["runs"].get<int>() << " run(s), "
                << s["analyses"].get<int>() << " analysis(es), "
                << s["tasks"].get<int>() << " task(s), latest "
                << human_time(s["latest"]) << "\n";
    }
    return 0;
  };
}

} // namespace mlake::cli
