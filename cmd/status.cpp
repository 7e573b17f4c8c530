#include <mlake/lake/workspace.hpp>

#include <iostream>

#include "cli.hpp"
#include "output.hpp"

namespace mlake::cli {

Runner
setup_status(CLI::App& app)
{
  auto paths = std::make_shared<std::vector<std::string>>();
  auto exit_code = std::make_shared<bool>(false);
  app.add_option("PATH", *paths, "Limit to these tracked paths");
  app.add_flag("--exit-code", *exit_code, "Exit with 1 when anything differs");
  return [paths, exit_code](Context& ctx) {
    auto result = lake::status(*ctx.lake, *paths, ctx.cwd, ctx.progress);
    if (ctx.globals.json) {
      json changes = json::array();
      for (const auto& c : result.changes) {
        changes.push_back(
            {{"path", c.path}, {"artifact", c.artifact}, {"change", c.change}});
      }
      print_json({{"clean", result.changes.empty()},
                  {"tracked", result.tracked},
                  {"changes", changes}});
    } else if (!ctx.globals.quiet) {
      if (result.changes.empty()) {
        std::cout << "clean: " << result.tracked
                  << " tracked path(s) match mlake.lock\n";
      } else {
        for (const auto& c : result.changes) {
          std::cout << pad(c.change, 10) << c.path << "\n";
        }
      }
    }
    return *exit_code && !result.changes.empty() ? 1 : 0;
  };
}

} // namespace mlake::cli
