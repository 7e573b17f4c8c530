#include <iostream>

#include "cli.hpp"
#include "output.hpp"

namespace mlake::cli {

Runner
setup_reindex(CLI::App&)
{
  return [](Context& ctx) {
    ctx.lake->reindex(ctx.progress);
    auto nodes = ctx.lake->index().node_count();
    if (ctx.globals.json) {
      print_json({{"nodes", nodes}});
    } else if (!ctx.globals.quiet) {
      std::cout << "indexed " << nodes << " node(s)\n";
    }
    return 0;
  };
}

} // namespace mlake::cli
