// push, pull, fetch and clone: the commands that talk to remotes.

#include <mlake/lake/refs.hpp>
#include <mlake/remote/sync.hpp>
#include <mlake/util/error.hpp>

#include <iostream>
#include <optional>

#include "cli.hpp"
#include "output.hpp"

namespace mlake::cli {

namespace {

// `[REMOTE] [NAME[@VER]...]`: the first operand is the remote when a
// remote has that name, as git reads `git push origin main`. Returns the
// error to give when the first operand turns out to name no artifact
// either (a pull learns of new artifacts only from the remote).
std::optional<Error>
split_operands(lake::Lake& lake,
               const fs::path& cwd,
               const std::vector<std::string>& operands,
               std::string& remote,
               std::vector<std::string>& refs)
{
  refs = operands;
  if (refs.empty()) {
    return std::nullopt;
  }
  if (lake.config().find_remote(refs.front())) {
    remote = refs.front();
    refs.erase(refs.begin());
    return std::nullopt;
  }
  const std::string& first = refs.front();
  std::string name = first.substr(0, first.rfind('@'));
  if (lake::find_artifact(lake, name, cwd)) {
    return std::nullopt;
  }
  // Neither a remote nor an artifact: say both, since either was meant.
  return Error(Exit::not_found,
               "no remote or artifact named " + quote(name),
               "'mlake remote list' shows the remotes, 'mlake list' the "
               "artifacts");
}

unsigned
checked_jobs(int jobs)
{
  if (jobs < 1 || jobs > 256) {
    throw Error(Exit::usage, "-j must be between 1 and 256");
  }
  return static_cast<unsigned>(jobs);
}

json
pull_json(const remote::PullResult& r)
{
  return {{"remote", r.remote},
          {"location", r.location},
          {"nodes", r.nodes_received},
          {"nodes_deferred", r.nodes_deferred},
          {"objects", r.objects_received},
          {"bytes", r.bytes_received},
          {"missing_on_remote", r.missing_on_remote},
          {"updated", r.updated},
          {"kept", r.kept},
          {"erased",
           {{"objects", r.objects_erased}, {"workspace", r.erased_workspace}}}};
}

void
print_pull(const remote::PullResult& r, bool metadata_only)
{
  std::cout << "from " << r.remote << " (" << r.location
            << "): " << r.nodes_received << " node(s)";
  if (!metadata_only) {
    std::cout << ", " << r.objects_received << " object(s) ("
              << human_size(r.bytes_received) << ")";
  }
  std::cout << "\n";
  for (const auto& path : r.updated) {
    std::cout << "updated " << path << "\n";
  }
}

// What a pull leaves undone goes to stderr, also with -q: a script must
// learn of it.
void
warn_pull(const remote::PullResult& r)
{
  if (r.objects_erased || !r.erased_workspace.empty()) {
    std::cerr << "mlake: a purge from " << r.remote << " erased "
              << r.objects_erased << " object(s) here";
    for (const auto& path : r.erased_workspace) {
      std::cerr << "; removed " << path;
    }
    std::cerr << "; 'mlake log' shows the purge\n";
  }
  for (const auto& path : r.kept) {
    std::cerr << "mlake: kept your changes to " << path
              << "; 'mlake add' records them, 'mlake checkout --force " << path
              << "' takes the pulled version\n";
  }
  if (!r.missing_on_remote.empty()) {
    std::cerr << "mlake: " << r.missing_on_remote.size()
              << " object(s) the history names are not on " << r.remote
              << " (pushed in part?); 'mlake fsck' counts them as not "
                 "downloaded\n";
  }
  if (r.nodes_deferred) {
    std::cerr << "mlake: " << r.nodes_deferred
              << " node(s) wait for their parents, which " << r.remote
              << " does not have yet (a push in progress?); pull again "
                 "later\n";
  }
}

} // namespace

Runner
setup_push(CLI::App& app)
{
  auto operands = std::make_shared<std::vector<std::string>>();
  auto jobs = std::make_shared<int>(remote::default_transfer_jobs);
  app.add_option("REMOTE NAME[@VER]",
                 *operands,
                 "The remote (default: the default remote), then the "
                 "versions whose content to push (default: all)");
  app.add_option("-j,--jobs", *jobs, "Transfers at a time (default 8)")
      ->type_name("N");
  return [operands, jobs](Context& ctx) {
    remote::PushOptions options;
    if (auto unknown = split_operands(
            *ctx.lake, ctx.cwd, *operands, options.remote, options.refs)) {
      throw *unknown;
    }
    options.jobs = checked_jobs(*jobs);
    options.cwd = ctx.cwd;
    auto r = remote::push(*ctx.lake, options, ctx.progress);
    if (ctx.globals.json) {
      print_json({{"remote", r.remote},
                  {"location", r.location},
                  {"nodes", r.nodes_sent},
                  {"objects", r.objects_sent},
                  {"bytes", r.bytes_sent},
                  {"objects_present", r.objects_present},
                  {"objects_unavailable", r.objects_unavailable}});
    } else if (!ctx.globals.quiet) {
      std::cout << "to " << r.remote << " (" << r.location
                << "): " << r.objects_sent << " object(s) ("
                << human_size(r.bytes_sent) << ") and " << r.nodes_sent
                << " node(s); " << r.objects_present
                << " object(s) were there already\n";
    }
    if (r.objects_unavailable) {
      std::cerr << "mlake: " << r.objects_unavailable
                << " object(s) the history names are neither here (fetched "
                   "as history only) nor on "
                << r.remote << "\n";
    }
    return 0;
  };
}

Runner
setup_pull(CLI::App& app)
{
  auto operands = std::make_shared<std::vector<std::string>>();
  auto jobs = std::make_shared<int>(remote::default_transfer_jobs);
  auto metadata_only = std::make_shared<bool>(false);
  app.add_option("REMOTE NAME[@VER]",
                 *operands,
                 "The remote (default: the default remote), then the "
                 "versions whose content to download (default: all)");
  app.add_flag("--metadata-only",
               *metadata_only,
               "Take the history only (nodes and folder lists), as fetch does");
  app.add_option("-j,--jobs", *jobs, "Transfers at a time (default 8)")
      ->type_name("N");
  return [operands, jobs, metadata_only](Context& ctx) {
    remote::PullOptions options;
    auto unknown = split_operands(
        *ctx.lake, ctx.cwd, *operands, options.remote, options.refs);
    if (*metadata_only && !options.refs.empty()) {
      throw Error(Exit::usage,
                  "--metadata-only downloads no content: name no versions");
    }
    options.metadata_only = *metadata_only;
    options.update_workspace = !*metadata_only;
    options.jobs = checked_jobs(*jobs);
    options.cwd = ctx.cwd;
    remote::PullResult r;
    try {
      r = remote::pull(*ctx.lake, options, ctx.progress);
    } catch (const Error& e) {
      // The remote did not know it either.
      if (unknown && e.code() == Exit::not_found) {
        throw *unknown;
      }
      throw;
    }
    if (ctx.globals.json) {
      print_json(pull_json(r));
    } else if (!ctx.globals.quiet) {
      print_pull(r, options.metadata_only);
    }
    warn_pull(r);
    return 0;
  };
}

Runner
setup_fetch(CLI::App& app)
{
  auto name = std::make_shared<std::string>();
  app.add_option("REMOTE", *name, "The remote (default: the default remote)");
  return [name](Context& ctx) {
    remote::PullOptions options;
    options.remote = *name;
    options.metadata_only = true;
    options.update_workspace = false;
    options.cwd = ctx.cwd;
    auto r = remote::pull(*ctx.lake, options, ctx.progress);
    if (ctx.globals.json) {
      print_json(pull_json(r));
    } else if (!ctx.globals.quiet) {
      print_pull(r, true);
    }
    warn_pull(r);
    return 0;
  };
}

Runner
setup_clone(CLI::App& app)
{
  struct Args
  {
    std::string url;
    std::string dir;
    std::string origin = "origin";
    bool metadata_only = false;
    int jobs = remote::default_transfer_jobs;
    std::string endpoint;
    std::string region;
    std::string path_style;
  };
  auto args = std::make_shared<Args>();
  app.add_option("URL", args->url, "A path, file:///path or s3://bucket/prefix")
      ->required();
  app.add_option("DIR", args->dir, "The new folder (default: from the URL)");
  app.add_option("-o,--origin", args->origin, "The remote's name (origin)");
  app.add_flag("--metadata-only",
               args->metadata_only,
               "Take the history only; 'mlake pull' downloads content later");
  app.add_option("-j,--jobs", args->jobs, "Transfers at a time (default 8)")
      ->type_name("N");
  app.add_option("--endpoint", args->endpoint, "S3: http(s)://HOST[:PORT]")
      ->type_name("URL");
  app.add_option("--region", args->region, "S3: the bucket's region");
  app.add_option("--path-style", args->path_style, "S3: true or false")
      ->check(CLI::IsMember({"true", "false"}))
      ->type_name("BOOL");
  return [args, &app](Context& ctx) {
    remote::CloneOptions options;
    options.remote.name = args->origin;
    options.remote.url = args->url;
    if (app.count("--endpoint")) {
      options.remote.endpoint = args->endpoint;
    }
    if (app.count("--region")) {
      options.remote.region = args->region;
    }
    if (app.count("--path-style")) {
      options.remote.path_style = args->path_style == "true";
    }
    remote::check_config(options.remote, ctx.cwd);
    options.dir = ctx.cwd / (args->dir.empty()
                                 ? remote::clone_dir_name(options.remote.url)
                                 : args->dir);
    options.metadata_only = args->metadata_only;
    options.jobs = checked_jobs(args->jobs);
    auto r = remote::clone(options, ctx.progress);
    if (ctx.globals.json) {
      json doc = pull_json(r.pull);
      doc["root"] = r.root.string();
      print_json(doc);
    } else if (!ctx.globals.quiet) {
      std::cout << "cloned into " << r.root.string() << "\n";
      print_pull(r.pull, args->metadata_only);
    }
    warn_pull(r.pull);
    return 0;
  };
}

} // namespace mlake::cli
