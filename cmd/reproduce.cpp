#include <mlake/lineage/reproduce.hpp>

#include <iostream>

#include "cli.hpp"
#include "output.hpp"

namespace mlake::cli {

Runner
setup_reproduce(CLI::App& app)
{
  auto ref = std::make_shared<std::string>();
  auto check = std::make_shared<bool>(false);
  auto to = std::make_shared<std::string>();
  app.add_option("REF", *ref, "A version made by a run, or the run's node")
      ->required();
  app.add_flag("--check", *check, "Exit with 1 when the outputs differ");
  app.add_option("--to", *to, "Keep the scratch workspace in DIR")
      ->type_name("DIR");
  return [ref, check, to, &app](Context& ctx) {
    lineage::ReproduceOptions options;
    options.ref = *ref;
    options.cwd = ctx.cwd;
    if (app.count("--to")) {
      options.to = fs::path(*to);
    }
    auto result = lineage::reproduce(*ctx.lake, options, ctx.progress);
    if (ctx.globals.json) {
      json outputs = json::array();
      for (const auto& o : result.outputs) {
        outputs.push_back(
            {{"artifact", o.artifact},
             {"path", o.path},
             {"recorded", o.recorded},
             {"reproduced",
              o.reproduced.empty() ? json(nullptr) : json(o.reproduced)},
             {"same", o.same}});
      }
      print_json(
          {{"node", result.node},
           {"reproduced", result.reproduced},
           {"exit_code", result.exit_code},
           {"recorded_exit_code", result.recorded_exit_code},
           {"outputs", outputs},
           {"workspace",
            result.kept ? json(result.workspace.string()) : json(nullptr)}});
    } else if (!ctx.globals.quiet) {
      // The command's output is on stdout: mlake reports on stderr.
      for (const auto& o : result.outputs) {
        std::cerr << (o.same                 ? "same      "
                      : o.reproduced.empty() ? "missing   "
                                             : "differs   ")
                  << o.artifact << " (" << o.path << ")";
        if (!o.same && !o.reproduced.empty()) {
          std::cerr << ": recorded " << short_id(o.recorded) << ", now "
                    << short_id(o.reproduced);
        }
        std::cerr << "\n";
      }
      if (result.exit_code != result.recorded_exit_code) {
        std::cerr << "the command exited " << result.exit_code << ", it exited "
                  << result.recorded_exit_code << " when recorded\n";
      }
      std::cerr << (result.reproduced ? "reproduced" : "NOT reproduced")
                << ": run " << short_id(result.node);
      if (result.kept) {
        std::cerr << " in " << result.workspace.string();
      }
      std::cerr << "\n";
    }
    return *check && !result.reproduced ? 1 : 0;
  };
}

} // namespace mlake::cli
