#include <mlake/governance/diff.hpp>

#include <cstdio>
#include <iostream>

#include "cli.hpp"
#include "output.hpp"

namespace mlake::cli {

namespace {

std::string
text_of(const json& v)
{
  return v.is_null()     ? "-"
         : v.is_string() ? printable(v.get<std::string>())
                         : v.dump();
}

void
print_changes(const std::string& title, const json& changes)
{
  for (const auto& [key, change] : changes.items()) {
    std::cout << "  " << title << " " << printable(key) << ": "
              << text_of(change["from"]) << " -> " << text_of(change["to"]);
    if (change.contains("delta")) {
      char delta[32];
      std::snprintf(
          delta, sizeof delta, "%+.6g", change["delta"].get<double>());
      std::cout << " (" << delta << ")";
    }
    std::cout << "\n";
  }
}

void
print_diff(const json& d)
{
  std::cout << "--- " << d["from"]["ref"].get<std::string>() << "\n+++ "
            << d["to"]["ref"].get<std::string>() << "\n";
  const json& c = d["content"];
  if (c["same"].get<bool>()) {
    std::cout << "content: the same\n";
  } else {
    std::cout << "content: " << text_of(c["size"]["from"]) << " -> "
              << text_of(c["size"]["to"]) << " bytes\n";
    if (c.contains("files") && c["files"].is_object()) {
      for (const auto& p : c["files"]["added"]) {
        std::cout << "  A " << printable(p.get<std::string>()) << "\n";
      }
      for (const auto& p : c["files"]["removed"]) {
        std::cout << "  D " << printable(p.get<std::string>()) << "\n";
      }
      for (const auto& f : c["files"]["changed"]) {
        std::cout << "  M " << printable(f["path"].get<std::string>()) << "\n";
      }
    }
  }
  const json& mf = d["metafeatures"];
  if (mf.is_object() && !mf.empty()) {
    std::cout << "metafeatures:\n";
    for (const char* key : {"rows", "columns", "format"}) {
      if (mf.contains(key)) {
        std::cout << "  " << key << ": " << text_of(mf[key]["from"]) << " -> "
                  << text_of(mf[key]["to"]) << "\n";
      }
    }
    if (mf.contains("column_changes")) {
      const json& cc = mf["column_changes"];
      for (const auto& col : cc["added"]) {
        std::cout << "  + column " << printable(col.get<std::string>()) << "\n";
      }
      for (const auto& col : cc["removed"]) {
        std::cout << "  - column " << printable(col.get<std::string>()) << "\n";
      }
      for (const auto& col : cc["retyped"]) {
        std::cout << "  ~ column "
                  << printable(col["column"].get<std::string>()) << ": "
                  << text_of(col["from"]) << " -> " << text_of(col["to"])
                  << "\n";
      }
    }
  }
  const json& how = d["how"];
  if (!how.empty()) {
    std::cout << "how it was made:\n";
    for (const char* key :
         {"step", "algorithm", "command", "study", "task", "code"}) {
      if (how.contains(key)) {
        std::cout << "  " << key << ": " << text_of(how[key]["from"]) << " -> "
                  << text_of(how[key]["to"]) << "\n";
      }
    }
    if (how.contains("params")) {
      print_changes("param", how["params"]);
    }
    if (how.contains("metrics")) {
      print_changes("metric", how["metrics"]);
    }
    if (how.contains("inputs")) {
      std::cout << "  inputs: " << text_of(how["inputs"]["from"]) << " -> "
                << text_of(how["inputs"]["to"]) << "\n";
    }
    if (how.contains("env")) {
      print_changes("env", how["env"]);
    }
  }
}

} // namespace

Runner
setup_diff(CLI::App& app)
{
  auto refs = std::make_shared<std::vector<std::string>>();
  app.add_option("REF1 REF2", *refs, "Two versions: NAME@VER, NAME@ALIAS, ...")
      ->required()
      ->expected(2);
  return [refs](Context& ctx) {
    json d = governance::diff(*ctx.lake, (*refs)[0], (*refs)[1], ctx.cwd);
    if (ctx.globals.json) {
      print_json(d);
    } else {
      print_diff(d);
    }
    return 0;
  };
}

} // namespace mlake::cli
