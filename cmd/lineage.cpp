#include <mlake/lineage/graph.hpp>
#include <mlake/util/error.hpp>

#include <iostream>

#include "cli.hpp"
#include "output.hpp"

namespace mlake::cli {

namespace {

struct LineageArgs
{
  std::string ref;
  bool up = false, down = false, both = false;
  int depth = -1;
  std::string format = "text";
};

} // namespace

Runner
setup_lineage(CLI::App& app)
{
  auto a = std::make_shared<LineageArgs>();
  app.add_option("REF", a->ref, "NAME[@VERSION], a path, or a node id")
      ->required();
  auto* up = app.add_flag("--up", a->up, "What produced it (the default)");
  auto* down = app.add_flag("--down", a->down, "What was produced from it");
  auto* both = app.add_flag("--both", a->both, "Both directions");
  up->excludes(down)->excludes(both);
  down->excludes(both);
  app.add_option("--depth", a->depth, "At most N steps away")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--format", a->format, "text, dot, mermaid or json")
      ->check(CLI::IsMember({"text", "dot", "mermaid", "json"}));
  return [a](Context& ctx) {
    lineage::LineageOptions options;
    options.direction = a->down   ? lineage::Direction::down
                        : a->both ? lineage::Direction::both
                                  : lineage::Direction::up;
    options.depth = a->depth;
    lineage::Graph graph =
        lineage::lineage(*ctx.lake, a->ref, ctx.cwd, options);
    if (ctx.globals.json || a->format == "json") {
      std::cout << lineage::render_json(graph);
    } else if (a->format == "dot") {
      std::cout << lineage::render_dot(graph);
    } else if (a->format == "mermaid") {
      std::cout << lineage::render_mermaid(graph);
    } else {
      std::cout << lineage::render_text(graph);
    }
    return 0;
  };
}

} // namespace mlake::cli
