#include <mlake/lake/query.hpp>

#include <iostream>

#include "cli.hpp"
#include "output.hpp"

namespace mlake::cli {

Runner
setup_log(CLI::App& app)
{
  auto name = std::make_shared<std::string>();
  auto count = std::make_shared<int>(-1);
  app.add_option("NAME", *name, "Only nodes that touched this artifact");
  app.add_option("-n,--max-count", *count, "Show at most N nodes");
  return [name, count, &app](Context& ctx) {
    std::optional<std::string> artifact;
    if (app.count("NAME")) {
      artifact = *name;
    }
    json nodes = lake::log(*ctx.lake, artifact, ctx.cwd, *count);
    if (ctx.globals.json) {
      print_json(nodes);
      return 0;
    }
    bool first = true;
    for (const auto& node : nodes) {
      if (!first) {
        std::cout << "\n";
      }
      first = false;
      print_node_text(node);
    }
    return 0;
  };
}

} // namespace mlake::cli
