#include <mlake/lineage/graph.hpp>
#include <mlake/util/error.hpp>

#include <charconv>
#include <iostream>

#include "cli.hpp"
#include "output.hpp"

namespace mlake::cli {

namespace {

struct LineageArgs
{
  std::string ref;
  bool up = false, down = false, both = false;
  int depth = -1; // no limit
  std::string format = "text";
};

// --depth N, checked while the command line is parsed (before a lake is
// looked for), with a message of its own: CLI11's for a negative number
// names the range 0 to 1.8e308.
int
parse_depth(const std::string& text)
{
  int depth = -1;
  auto [end, ec] =
      std::from_chars(text.data(), text.data() + text.size(), depth);
  if (ec == std::errc::result_out_of_range && !text.starts_with("-")) {
    throw CLI::ValidationError("--depth " + text +
                               " is too large; leave it out for no limit");
  }
  if (ec != std::errc() || end != text.data() + text.size() || depth < 0) {
    throw CLI::ValidationError("--depth must be 0 or more, not " + quote(text));
  }
  return depth;
}

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
  app.add_option_function<std::string>(
         "--depth",
         [a](const std::string& text) { a->depth = parse_depth(text); },
         "At most N steps away (0 or more)")
      ->type_name("N");
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
