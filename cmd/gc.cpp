#include <mlake/lake/maintenance.hpp>

#include <iostream>

#include "cli.hpp"
#include "output.hpp"

namespace mlake::cli {

Runner
setup_gc(CLI::App& app)
{
  auto dry_run = std::make_shared<bool>(false);
  app.add_flag("-n,--dry-run", *dry_run, "Only say what would be removed");
  return [dry_run](Context& ctx) {
    auto report = lake::gc(*ctx.lake, *dry_run, ctx.progress);
    if (ctx.globals.json) {
      print_json({{"dry_run", report.dry_run},
                  {"objects", report.removed},
                  {"bytes", report.bytes},
                  {"temporary", report.temporary}});
    } else if (!ctx.globals.quiet) {
      if (report.dry_run) {
        for (const auto& hash : report.removed) {
          std::cout << "would remove " << hash << "\n";
        }
      }
      std::cout << (report.dry_run ? "would remove " : "removed ")
                << report.removed.size() << " unreferenced object(s) ("
                << human_size(report.bytes) << ") and " << report.temporary
                << " temporary file(s)\n";
    }
    return 0;
  };
}

} // namespace mlake::cli
