// approve, revoke, promote, metric, monitor and purge: the governance
// records; audit and card, what is read from them.

#include <mlake/governance/audit.hpp>
#include <mlake/governance/card.hpp>
#include <mlake/governance/records.hpp>
#include <mlake/util/error.hpp>

#include <cstdio>
#include <iostream>

#include "cli.hpp"
#include "output.hpp"

namespace mlake::cli {

namespace {

Runner
setup_decision(CLI::App& app, bool revoke)
{
  auto options = std::make_shared<governance::ApproveOptions>();
  options->revoke = revoke;
  app.add_option("NAME@VER",
                 options->ref,
                 revoke ? "The version whose approvals to withdraw"
                        : "The version to approve")
      ->required();
  app.add_option("-m,--message", options->message, "Why")->required();
  return [options](Context& ctx) {
    options->cwd = ctx.cwd;
    json result = governance::approve(*ctx.lake, *options);
    if (ctx.globals.json) {
      print_json(result);
    } else if (!ctx.globals.quiet) {
      std::cout << (options->revoke ? "revoked approval of " : "approved ")
                << result["version"]["ref"].get<std::string>() << " ("
                << short_id(result["node"].get<std::string>()) << ")\n";
    }
    return 0;
  };
}

std::string
format_number(double value)
{
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.6g", value);
  return buffer;
}

} // namespace

Runner
setup_approve(CLI::App& app)
{
  return setup_decision(app, false);
}

Runner
setup_revoke(CLI::App& app)
{
  return setup_decision(app, true);
}

Runner
setup_promote(CLI::App& app)
{
  auto options = std::make_shared<governance::PromoteOptions>();
  app.add_option("NAME@VER", options->ref, "The version to promote")
      ->required();
  app.add_option("--to",
                 options->alias,
                 "The alias: production, staging, champion, ...")
      ->required()
      ->type_name("ALIAS");
  app.add_option("-m,--message", options->message, "Why")->required();
  app.add_flag("--force",
               options->force,
               "Promote even when the policy is broken (recorded)");
  return [options](Context& ctx) {
    options->cwd = ctx.cwd;
    json result = governance::promote(*ctx.lake, *options);
    for (const auto& broken : result["policy_violations"]) {
      std::cerr << "warning: forced past the policy: "
                << printable(broken.get<std::string>()) << "\n";
    }
    if (ctx.globals.json) {
      print_json(result);
    } else if (!ctx.globals.quiet) {
      std::cout << result["artifact"].get<std::string>() << "@"
                << options->alias << " -> "
                << result["version"]["ref"].get<std::string>();
      if (!result["previous"].is_null()) {
        std::cout << " (was " << result["previous"]["ref"].get<std::string>()
                  << ")";
      }
      std::cout << "\nrecorded node "
                << short_id(result["node"].get<std::string>()) << "\n";
    }
    return 0;
  };
}

Runner
setup_metric(CLI::App& app)
{
  struct Args
  {
    std::string action;
    std::vector<std::string> operands;
    std::string time, source, message;
  };
  auto args = std::make_shared<Args>();
  app.add_option("ACTION", args->action, "log")
      ->required()
      ->check(CLI::IsMember({"log"}));
  app.add_option("NAME[@VER] KEY=VALUE...",
                 args->operands,
                 "The version observed (NAME alone: its production alias, "
                 "else the latest), then the observations");
  app.add_option("--time", args->time, "When it was observed (RFC 3339)");
  app.add_option("--source", args->source, "Who or what observed it");
  app.add_option("-m,--message", args->message, "Why (default: what)");
  return [args, &app](Context& ctx) {
    if (args->operands.size() < 2) {
      throw Error(Exit::usage,
                  "metric log needs a version and at least one KEY=VALUE",
                  "e.g. 'mlake metric log model@production accuracy=0.91'");
    }
    governance::MetricLogOptions options;
    options.cwd = ctx.cwd;
    options.ref = args->operands.front();
    options.values.assign(args->operands.begin() + 1, args->operands.end());
    if (app.count("--time")) {
      options.time = args->time;
    }
    if (app.count("--source")) {
      options.source = args->source;
    }
    if (app.count("--message")) {
      options.message = args->message;
    }
    json result = governance::log_metrics(*ctx.lake, options);
    if (ctx.globals.json) {
      print_json(result);
    } else if (!ctx.globals.quiet) {
      std::cout << "observed " << result["version"]["ref"].get<std::string>()
                << " at " << result["time"].get<std::string>() << " ("
                << short_id(result["node"].get<std::string>()) << ")\n";
    }
    return 0;
  };
}

Runner
setup_monitor(CLI::App& app)
{
  auto options = std::make_shared<governance::MonitorOptions>();
  auto exit_code = std::make_shared<bool>(false);
  auto metric = std::make_shared<std::string>();
  app.add_option("NAME[@VER]",
                 options->ref,
                 "The version (NAME alone: its production alias, else the "
                 "latest)")
      ->required();
  app.add_option("--metric", *metric, "Only this metric")->type_name("KEY");
  app.add_option("--threshold",
                 options->threshold,
                 "Flag a change for the worse beyond this fraction of the "
                 "evaluated value (default 0.05)")
      ->type_name("FRACTION");
  app.add_flag(
      "--exit-code", *exit_code, "Exit with 1 when a metric is flagged");
  return [options, exit_code, metric, &app](Context& ctx) {
    options->cwd = ctx.cwd;
    if (app.count("--metric")) {
      options->metric = *metric;
    }
    json result = governance::monitor(*ctx.lake, *options);
    if (ctx.globals.json) {
      print_json(result);
    } else {
      std::cout << result["version"]["ref"].get<std::string>();
      for (const auto& alias : result["aliases"]) {
        std::cout << " [" << alias.get<std::string>() << "]";
      }
      std::cout << "\n";
      if (result["metrics"].empty()) {
        std::cout << "  no observations yet (record them with 'mlake metric "
                     "log')\n";
      }
      for (const auto& m : result["metrics"]) {
        std::cout << "  " << m["key"].get<std::string>() << " ("
                  << m["direction"].get<std::string>() << "): ";
        if (m["baseline"].is_null()) {
          std::cout << "no evaluated value to compare with";
        } else {
          std::cout << "evaluated "
                    << format_number(m["baseline"]["value"].get<double>());
        }
        if (m["latest"].is_null()) {
          std::cout << ", not observed\n";
          continue;
        }
        std::cout << ", observed";
        for (const auto& o : m["observations"]) {
          std::cout << " " << format_number(o["value"].get<double>());
        }
        if (!m["change"].is_null()) {
          // Relative to the baseline, or the difference when it was 0.
          const double change = m["change"].get<double>();
          const bool relative = m["baseline"]["value"].get<double>() != 0;
          std::cout << " (" << (change >= 0 ? "+" : "")
                    << format_number(relative ? change * 100 : change)
                    << (relative ? "%)" : ")");
        }
        if (m["degraded"].get<bool>()) {
          std::cout << "  DEGRADED";
        }
        std::cout << "\n";
      }
    }
    return *exit_code && result["degraded"].get<bool>() ? 1 : 0;
  };
}

Runner
setup_audit(CLI::App& app)
{
  auto options = std::make_shared<governance::AuditOptions>();
  auto policy = std::make_shared<std::string>();
  app.add_option("REF",
                 options->ref,
                 "An artifact (its latest version), NAME@VER, or a node")
      ->required();
  app.add_option(
         "--policy", *policy, "The policy file (default: .mlake/policy.yaml)")
      ->type_name("FILE");
  app.add_option("--alias",
                 options->aliases,
                 "Judge it as if ALIAS pointed at it, as promote does "
                 "(repeatable)")
      ->type_name("ALIAS")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  return [options, policy, &app](Context& ctx) {
    for (const auto& alias : options->aliases) {
      governance::check_alias(alias);
    }
    options->cwd = ctx.cwd;
    if (app.count("--policy")) {
      options->policy = ctx.cwd / *policy;
    }
    json report = governance::audit(*ctx.lake, *options);
    if (ctx.globals.json) {
      print_json(report);
    } else {
      const json& checked = report["checked"];
      if (!ctx.globals.quiet) {
        std::cout << "audited " << report["ref"].get<std::string>() << ": "
                  << checked["nodes"].get<std::size_t>() << " node(s), "
                  << checked["versions"].get<std::size_t>() << " version(s), "
                  << checked["objects"].get<std::size_t>()
                  << " object(s) upstream, "
                  << (report["policy"].is_null()
                          ? std::string("no policy")
                          : "policy " +
                                report["policy"]["path"].get<std::string>())
                  << "\n";
      }
      bool rule_on_taint = false;
      for (const auto& v : report["violations"]) {
        std::cout << "  " << v["rule"].get<std::string>() << ": "
                  << printable(v["message"].get<std::string>()) << "\n";
        rule_on_taint = rule_on_taint || v["rule"] == "no_purged_data";
      }
      // Taint is news even where no rule forbids it.
      for (const auto& t : rule_on_taint ? json::array() : report["tainted"]) {
        std::cout << "  tainted: " << t["ref"].get<std::string>()
                  << " upstream was erased by purge "
                  << short_id(t["purge"].get<std::string>()) << " ("
                  << printable(t["user"].get<std::string>()) << ", "
                  << t["time"].get<std::string>().substr(0, 10)
                  << "): " << printable(t["reason"].get<std::string>()) << "\n";
      }
      if (report["ok"].get<bool>() && !ctx.globals.quiet) {
        std::cout << "ok\n";
      }
    }
    return report["ok"].get<bool>() ? 0 : 1;
  };
}

Runner
setup_card(CLI::App& app)
{
  auto ref = std::make_shared<std::string>();
  auto format = std::make_shared<std::string>("md");
  app.add_option("NAME@VER", *ref, "The model version")->required();
  app.add_option("--format", *format, "md (the default) or json")
      ->check(CLI::IsMember({"md", "json"}));
  return [ref, format](Context& ctx) {
    json c = governance::card(*ctx.lake, *ref, ctx.cwd);
    if (ctx.globals.json || *format == "json") {
      print_json(c);
    } else {
      std::cout << governance::card_markdown(c);
    }
    return 0;
  };
}

Runner
setup_purge(CLI::App& app)
{
  auto options = std::make_shared<governance::PurgeOptions>();
  app.add_option("NAME@VER", options->ref, "The version to erase")->required();
  app.add_option("--reason", options->reason, "Why (recorded in the node)")
      ->required()
      ->type_name("TEXT");
  app.add_option("--remote",
                 options->remote,
                 "Erase it on this remote too (the purge node is pushed)")
      ->type_name("NAME");
  app.add_flag("--force",
               options->force,
               "Also erase the content other versions share with it");
  app.add_flag("-n,--dry-run",
               options->dry_run,
               "Show what would be erased and tainted; change nothing");
  return [options](Context& ctx) {
    options->cwd = ctx.cwd;
    json r = governance::purge(*ctx.lake, *options);
    if (ctx.globals.json) {
      print_json(r);
      return 0;
    }
    if (ctx.globals.quiet) {
      return 0;
    }
    const std::string ref = r["version"]["ref"].get<std::string>();
    const json& content = r["content"];
    if (options->dry_run) {
      std::cout << "would erase " << ref << ": "
                << content["objects"].get<std::uint64_t>() << " object(s) ("
                << human_size(content["bytes"].get<std::uint64_t>()) << ")\n";
    } else if (r["already_purged"].get<bool>()) {
      std::cout << ref << " was purged before; erased what was left: "
                << r["erased"]["objects"].get<std::uint64_t>()
                << " object(s)\n";
    } else {
      std::cout << "purged " << ref << " ("
                << short_id(r["node"].get<std::string>()) << "): erased "
                << r["erased"]["objects"].get<std::uint64_t>() << " object(s) ("
                << human_size(r["erased"]["bytes"].get<std::uint64_t>())
                << ")\n";
    }
    for (const auto& a : r["affected"]) {
      std::cout << (options->dry_run && !options->force ? "  shared with "
                                                        : "  also erased from ")
                << a["ref"].get<std::string>() << " ("
                << a["shared"].get<std::uint64_t>() << " file(s))\n";
    }
    for (const auto& path : r["erased"]["workspace"]) {
      std::cout << "  removed " << printable(path.get<std::string>())
                << " from the workspace\n";
    }
    for (const auto& t : r["tainted"]) {
      std::cout << "  tainted: "
                << (t["ref"].is_string()
                        ? t["ref"].get<std::string>()
                        : t["kind"].get<std::string>() + " " +
                              short_id(t["node"].get<std::string>()))
                << "\n";
    }
    if (r["remote"].is_object()) {
      std::cout << "on " << r["remote"]["name"].get<std::string>()
                << ": deleted " << r["remote"]["deleted"].get<std::uint64_t>()
                << " object(s), sent "
                << r["remote"]["nodes_sent"].get<std::uint64_t>()
                << " node(s)\n";
    }
    return 0;
  };
}

} // namespace mlake::cli
