#include <mlake/lake/query.hpp>

#include <iostream>

#include "cli.hpp"
#include "output.hpp"

namespace mlake::cli {

Runner
setup_list(CLI::App& app)
{
  auto kind = std::make_shared<std::string>();
  app.add_option("--kind", *kind, "Only artifacts of this kind");
  return [kind, &app](Context& ctx) {
    std::optional<std::string> filter;
    if (app.count("--kind")) {
      filter = *kind;
    }
    json artifacts = lake::list(*ctx.lake, filter);
    if (ctx.globals.json) {
      print_json(artifacts);
      return 0;
    }
    if (artifacts.empty()) {
      if (!ctx.globals.quiet) {
        std::cout << "no artifacts yet: record some with 'mlake add'\n";
      }
      return 0;
    }
    std::vector<std::vector<std::string>> rows = {
        {"NAME", "KIND", "VER", "SIZE", "OWNER", "SECURITY", "UPDATED"}};
    for (const auto& a : artifacts) {
      const json& latest = a["latest"];
      rows.push_back({a["name"],
                      a["kind"],
                      std::to_string(a["versions"].get<int>()),
                      latest.is_null() ? "-" : human_size(latest["size"]),
                      or_dash(a["owner"]),
                      a["security"],
                      latest.is_null() ? "-" : human_time(latest["time"])});
    }
    std::vector<std::size_t> widths(rows.front().size(), 0);
    for (const auto& row : rows) {
      for (std::size_t i = 0; i < row.size(); ++i) {
        widths[i] = std::max(widths[i], display_width(row[i]));
      }
    }
    for (const auto& row : rows) {
      for (std::size_t i = 0; i + 1 < row.size(); ++i) {
        std::cout << pad(row[i], widths[i] + 2);
      }
      std::cout << row.back() << "\n";
    }
    return 0;
  };
}

} // namespace mlake::cli
