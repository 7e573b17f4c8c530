#include <mlake/governance/hook.hpp>
#include <mlake/util/error.hpp>

#include <iostream>
#include <system_error>

#include "cli.hpp"
#include "output.hpp"

namespace mlake::cli {

Runner
setup_hook(CLI::App& app)
{
  struct Args
  {
    std::string action;
    bool force = false;
  };
  auto args = std::make_shared<Args>();
  app.add_option("ACTION",
                 args->action,
                 "install (the pre-commit hook) or run (its checks)")
      ->check(CLI::IsMember({"install", "run"}))
      ->required();
  app.add_flag("-f,--force",
               args->force,
               "install: replace a pre-commit hook that is not mlake's");
  return [args](Context& ctx) {
    if (args->action == "run") {
      if (args->force) {
        throw Error(Exit::usage, "--force is for 'mlake hook install'");
      }
      auto problems = governance::pre_commit_problems(*ctx.lake);
      for (const auto& p : problems) {
        std::cerr << printable(p) << "\n";
      }
      if (!problems.empty()) {
        std::cerr << "mlake: commit refused by the pre-commit hook (git "
                     "commit --no-verify skips it)\n";
      }
      return problems.empty() ? 0 : int(Exit::check_failed);
    }
    // The installing binary: the hook's fallback when mlake is not on PATH.
    std::error_code ec;
    fs::path self = fs::read_symlink("/proc/self/exe", ec);
    if (ec) {
      self = "mlake";
    }
    auto result = governance::install_hook(*ctx.lake, self, args->force);
    using Action = governance::HookInstallResult::Action;
    if (ctx.globals.json) {
      const char* action = result.action == Action::installed   ? "installed"
                           : result.action == Action::updated   ? "updated"
                           : result.action == Action::unchanged ? "unchanged"
                                                                : "replaced";
      json out = {{"path", result.path.string()}, {"action", action}};
      if (!result.backup.empty()) {
        out["backup"] = result.backup.string();
      }
      print_json(out);
    } else if (!ctx.globals.quiet) {
      switch (result.action) {
      case Action::installed:
        std::cout << "installed the pre-commit hook " << result.path.string()
                  << "\n";
        break;
      case Action::updated:
        std::cout << "updated the pre-commit hook " << result.path.string()
                  << "\n";
        break;
      case Action::unchanged:
        std::cout << "the pre-commit hook " << result.path.string()
                  << " is installed already\n";
        break;
      case Action::replaced:
        std::cout << "replaced the pre-commit hook " << result.path.string()
                  << "; the old one is " << result.backup.string() << "\n";
        break;
      }
    }
    return 0;
  };
}

} // namespace mlake::cli
