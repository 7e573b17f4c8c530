#include <mlake/lake/config.hpp>
#include <mlake/remote/remote.hpp>
#include <mlake/util/error.hpp>

#include <iostream>

#include "cli.hpp"
#include "output.hpp"

namespace mlake::cli {

namespace {

json
remote_json(const lake::RemoteConfig& remote, bool is_default)
{
  json out = {
      {"name", remote.name}, {"url", remote.url}, {"default", is_default}};
  if (remote.endpoint) {
    out["endpoint"] = *remote.endpoint;
  }
  if (remote.region) {
    out["region"] = *remote.region;
  }
  if (remote.path_style) {
    out["path_style"] = *remote.path_style;
  }
  if (remote.part_size) {
    out["part_size"] = *remote.part_size;
  }
  return out;
}

} // namespace

Runner
setup_remote(CLI::App& app)
{
  struct Args
  {
    std::string action = "list";
    std::vector<std::string> operands;
    bool make_default = false;
    std::string endpoint;
    std::string region;
    std::string path_style;
    std::uint64_t part_size = 0;
  };
  auto args = std::make_shared<Args>();
  app.add_option("ACTION", args->action, "list (the default), add or remove")
      ->check(CLI::IsMember({"list", "add", "remove"}));
  app.add_option("NAME URL", args->operands, "add: NAME URL; remove: NAME");
  app.add_flag("--default", args->make_default, "add: make it the default");
  app.add_option("--endpoint", args->endpoint, "add, S3: http(s)://HOST[:PORT]")
      ->type_name("URL");
  app.add_option("--region", args->region, "add, S3: the bucket's region");
  app.add_option("--path-style",
                 args->path_style,
                 "add, S3: address the bucket in the path (true) or the "
                 "host name (false)")
      ->check(CLI::IsMember({"true", "false"}))
      ->type_name("BOOL");
  app.add_option("--part-size", args->part_size, "add, S3: multipart part size")
      ->type_name("BYTES");
  return [args, &app](Context& ctx) {
    lake::Lake& lake = *ctx.lake;
    const auto& operands = args->operands;
    if (args->action == "list") {
      if (!operands.empty()) {
        throw Error(Exit::usage, "remote list takes no operands");
      }
      const lake::Config& config = lake.config();
      if (ctx.globals.json) {
        json list = json::array();
        for (const auto& remote : config.remotes) {
          list.push_back(
              remote_json(remote, remote.name == config.default_remote));
        }
        print_json(list);
      } else {
        for (const auto& remote : config.remotes) {
          std::cout << remote.name << "\t" << remote.url
                    << (remote.name == config.default_remote ? "\t(default)"
                                                             : "")
                    << "\n";
        }
      }
      return 0;
    }
    lake.lock("mlake remote " + args->action);
    lake::Config config = lake.config();
    if (args->action == "add") {
      if (operands.size() != 2) {
        throw Error(Exit::usage,
                    "remote add takes a NAME and a URL",
                    "mlake remote add origin s3://bucket/prefix");
      }
      const std::string& name = operands[0];
      if (!lake::valid_remote_name(name)) {
        throw Error(Exit::usage,
                    "bad remote name " + quote(name),
                    "use letters, digits, '.', '_' and '-'");
      }
      if (config.find_remote(name)) {
        throw Error(Exit::usage,
                    "there is already a remote named " + quote(name),
                    "remove it first: mlake remote remove " + name);
      }
      lake::RemoteConfig remote;
      remote.name = name;
      remote.url = operands[1];
      if (app.count("--endpoint")) {
        remote.endpoint = args->endpoint;
      }
      if (app.count("--region")) {
        remote.region = args->region;
      }
      if (app.count("--path-style")) {
        remote.path_style = args->path_style == "true";
      }
      if (app.count("--part-size")) {
        remote.part_size = args->part_size;
      }
      remote::check_config(remote, ctx.cwd);
      config.remotes.push_back(remote);
      if (args->make_default || config.remotes.size() == 1) {
        config.default_remote = name;
      }
      lake.set_config(std::move(config));
      if (ctx.globals.json) {
        print_json(remote_json(remote, lake.config().default_remote == name));
      } else if (!ctx.globals.quiet) {
        std::cout << "added remote " << name << " " << remote.url
                  << (lake.config().default_remote == name ? " (default)" : "")
                  << "\n";
      }
      return 0;
    }
    // remove
    if (operands.size() != 1) {
      throw Error(Exit::usage, "remote remove takes a NAME");
    }
    const std::string& name = operands[0];
    auto it = std::find_if(config.remotes.begin(),
                           config.remotes.end(),
                           [&](const auto& r) { return r.name == name; });
    if (it == config.remotes.end()) {
      throw Error(Exit::not_found,
                  "no remote named " + quote(name),
                  "'mlake remote list' shows the remotes");
    }
    config.remotes.erase(it);
    if (config.default_remote == name) {
      config.default_remote.clear();
    }
    lake.set_config(std::move(config));
    if (ctx.globals.json) {
      print_json({{"removed", name}});
    } else if (!ctx.globals.quiet) {
      std::cout << "removed remote " << name
                << " (nothing on it was deleted)\n";
    }
    return 0;
  };
}

} // namespace mlake::cli
