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
    std::size_t width = 4;
    for (const auto& a : artifacts) {
      width = std::max(width, display_width(a["name"]));
    }
    std::cout << pad("NAME", width + 2) << pad("KIND", 9) << pad("VER", 5)
              << pad("SIZE", 11) << pad("OWNER", 16) << pad("SECURITY", 14)
              << "UPDATED\n";
    for (const auto& a : artifacts) {
      const json& latest = a["latest"];
      std::cout << pad(a["name"], width + 2) << pad(a["kind"], 9)
                << pad(std::to_string(a["versions"].get<int>()), 5)
                << pad(latest.is_null() ? "-" : human_size(latest["size"]), 11)
                << pad(or_dash(a["owner"]), 16) << pad(a["security"], 14)
                << (latest.is_null() ? "-" : human_time(latest["time"]))
                << "\n";
    }
    return 0;
  };
}

} // namespace mlake::cli
