#include <mlake/lake/workspace.hpp>

#include <iostream>

#include "cli.hpp"
#include "output.hpp"

namespace mlake::cli {

Runner
setup_checkout(CLI::App& app)
{
  auto refs = std::make_shared<std::vector<std::string>>();
  auto to = std::make_shared<std::string>();
  auto force = std::make_shared<bool>(false);
  app.add_option("REF", *refs, "NAME[@VERSION]; default: all of mlake.lock");
  app.add_option("--to", *to, "Write into DIR instead of the workspace")
      ->type_name("DIR");
  app.add_flag("-f,--force", *force, "Overwrite changes not in the lake");
  return [refs, to, force, &app](Context& ctx) {
    lake::CheckoutOptions options;
    options.refs = *refs;
    options.cwd = ctx.cwd;
    if (app.count("--to")) {
      options.to = fs::path(*to);
    }
    options.force = *force;
    auto result = lake::checkout(*ctx.lake, options, ctx.progress);
    if (ctx.globals.json) {
      json paths = json::array();
      for (const auto& p : result.paths) {
        json item = {
            {"path", p.path}, {"artifact", p.artifact}, {"hash", p.hash}};
        if (p.version) {
          item["version"] = p.version;
        }
        paths.push_back(std::move(item));
      }
      print_json({{"target", result.target.string()},
                  {"paths", paths},
                  {"written", result.files_written},
                  {"unchanged", result.files_unchanged},
                  {"removed", result.files_removed}});
    } else if (!ctx.globals.quiet) {
      if (result.paths.empty()) {
        std::cout << "nothing to check out: mlake.lock lists no paths\n";
        return 0;
      }
      for (const auto& p : result.paths) {
        std::cout << p.path;
        if (p.version) {
          std::cout << "  (" << p.artifact << "@" << p.version << ")";
        }
        std::cout << "\n";
      }
      std::cout << result.files_written << " file(s) written, "
                << result.files_unchanged << " unchanged";
      if (result.files_removed) {
        std::cout << ", " << result.files_removed << " removed";
      }
      std::cout << "\n";
    }
    return 0;
  };
}

} // namespace mlake::cli
