#include <mlake/lineage/run.hpp>

#include <iostream>

#include "cli.hpp"
#include "output.hpp"

namespace mlake::cli {

namespace {

struct RunArgs
{
  lineage::RunOptions options;
  std::string params_file, algorithm, study, analysis, task;
};

CLI::Option*
repeatable(CLI::Option* option, const char* type)
{
  // One value each time: what follows is the next option or the command.
  return option->allow_extra_args(false)
      ->type_name(type)
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
}

} // namespace

Runner
setup_run(CLI::App& app)
{
  auto a = std::make_shared<RunArgs>();
  auto& o = a->options;
  app.add_option("--kind", o.kind, "process (default), train or evaluate");
  repeatable(app.add_option("-i,--input", o.inputs, "An input (repeatable)"),
             "PATH");
  repeatable(app.add_option("-o,--output", o.outputs, "An output (repeatable)"),
             "PATH");
  repeatable(app.add_option("-p,--param", o.params, "A parameter (repeatable)"),
             "KEY=VALUE");
  app.add_option("--params", a->params_file, "A YAML or JSON file of params")
      ->type_name("FILE");
  repeatable(app.add_option("-M,--metrics",
                            o.metrics_files,
                            "A YAML or JSON file of metrics the command "
                            "writes (repeatable)"),
             "FILE");
  repeatable(app.add_option("--code", o.code, "A code file (repeatable)"),
             "PATH");
  app.add_option("--algorithm", a->algorithm, "The algorithm, e.g. xgboost");
  app.add_option("--study", a->study, "The study this run belongs to");
  app.add_option("--analysis", a->analysis, "The analysis within the study");
  app.add_option("--task", a->task, "The task within the analysis");
  app.add_option("-m,--message", o.message, "Why: the reason for this run")
      ->required();
  app.add_option("COMMAND", o.command, "The command, after --")->required();
  return [a, &app](Context& ctx) {
    lineage::RunOptions options = a->options;
    options.cwd = ctx.cwd;
    auto given = [&](const char* name, const std::string& value) {
      return app.count(name) ? std::optional<std::string>(value) : std::nullopt;
    };
    options.params_file = given("--params", a->params_file);
    options.algorithm = given("--algorithm", a->algorithm);
    options.study = given("--study", a->study);
    options.analysis = given("--analysis", a->analysis);
    options.task = given("--task", a->task);
    auto result = lineage::run(*ctx.lake, options, ctx.progress);
    if (ctx.globals.json) {
      json outputs = json::array();
      for (const auto& p : result.outputs) {
        outputs.push_back({{"path", p.path},
                           {"artifact", p.artifact},
                           {"version", p.version},
                           {"hash", p.hash}});
      }
      print_json(
          {{"node", result.node ? json(*result.node) : json(nullptr)},
           {"inputs_node",
            result.inputs_node ? json(*result.inputs_node) : json(nullptr)},
           {"run_id", result.run_id},
           {"exit_code", result.exit_code},
           {"outputs", outputs},
           {"metrics", result.metrics}});
    } else if (!ctx.globals.quiet && result.node) {
      // The command's own output is on stdout: mlake reports on stderr.
      std::cerr << "mlake: recorded " << options.kind << " run "
                << short_id(*result.node) << " (exit " << result.exit_code
                << ")";
      for (const auto& p : result.outputs) {
        std::cerr << (&p == &result.outputs.front() ? ": " : ", ") << p.artifact
                  << "@" << p.version;
      }
      std::cerr << "\n";
    }
    if (!ctx.globals.quiet) {
      for (const auto& p : result.outputs) {
        print_model_warnings(p.model, p.path);
      }
    }
    return result.exit_code;
  };
}

} // namespace mlake::cli
