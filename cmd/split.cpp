#include <mlake/lineage/split.hpp>

#include <iostream>

#include "cli.hpp"
#include "output.hpp"

namespace mlake::cli {

namespace {

struct SplitArgs
{
  lineage::SplitOptions options;
  double val = 0;
  std::string stratify, out_dir;
};

} // namespace

Runner
setup_split(CLI::App& app)
{
  auto a = std::make_shared<SplitArgs>();
  auto& o = a->options;
  app.add_option("DATA", o.data, "A CSV/TSV version: NAME[@VERSION] or a path")
      ->required();
  app.add_option("--train", o.train, "Fraction of the rows for training")
      ->required();
  app.add_option("--val", a->val, "Fraction of the rows for validation");
  app.add_option("--test", o.test, "Fraction of the rows for testing")
      ->required();
  app.add_option("--seed", o.seed, "Seed of the random choice (default 0)");
  app.add_option("--stratify", a->stratify, "Keep each class's share of COLUMN")
      ->type_name("COLUMN");
  app.add_option("-o,--output", a->out_dir, "Folder for the parts")
      ->type_name("DIR");
  app.add_option("-m,--message", o.message, "Why: the reason for this split")
      ->required();
  return [a, &app](Context& ctx) {
    lineage::SplitOptions options = a->options;
    options.cwd = ctx.cwd;
    if (app.count("--val")) {
      options.val = a->val;
    }
    if (app.count("--stratify")) {
      options.stratify = a->stratify;
    }
    if (app.count("--output")) {
      options.out_dir = a->out_dir;
    }
    auto result = lineage::split(*ctx.lake, options, ctx.progress);
    if (ctx.globals.json) {
      json outputs = json::array();
      for (std::size_t i = 0; i < result.outputs.size(); ++i) {
        const auto& p = result.outputs[i];
        outputs.push_back({{"path", p.path},
                           {"artifact", p.artifact},
                           {"version", p.version},
                           {"hash", p.hash},
                           {"rows", result.rows[i]}});
      }
      print_json({{"node", result.node}, {"outputs", outputs}});
    } else if (!ctx.globals.quiet) {
      for (std::size_t i = 0; i < result.outputs.size(); ++i) {
        const auto& p = result.outputs[i];
        std::cout << pad(p.path, 32) << result.rows[i] << " rows  @"
                  << p.version << "\n";
      }
      std::cout << "recorded node " << short_id(result.node) << "\n";
    }
    return 0;
  };
}

} // namespace mlake::cli
