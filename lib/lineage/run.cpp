#include <mlake/lake/lake.hpp>
#include <mlake/lake/lock_file.hpp>
#include <mlake/lake/metadata.hpp>
#include <mlake/lineage/capture.hpp>
#include <mlake/lineage/params.hpp>
#include <mlake/lineage/process.hpp>
#include <mlake/lineage/run.hpp>
#include <mlake/util/error.hpp>
#include <mlake/util/hash.hpp>
#include <mlake/util/interrupt.hpp>
#include <mlake/util/time.hpp>

#include <cerrno>
#include <cstring>
#include <random>
#include <set>

namespace mlake::lineage {

using lake::Lake;
using lake::LockFile;

namespace {

struct Code
{
  std::string path; // project-relative
  std::string role; // "code", or "params" for the --params file
  std::string bytes;
  bool exec = false; // reproduce gives the file back its executable bit
};

std::string
new_run_id()
{
  std::random_device random;
  char buffer[33];
  for (int i = 0; i < 4; ++i) {
    std::snprintf(buffer + 8 * i, 9, "%08x", random());
  }
  return buffer;
}

std::string
project_relative(const Lake& lake,
                 const fs::path& cwd,
                 const std::string& text,
                 const char* what)
{
  fs::path abs = util::absolute_normal(cwd / text);
  if (!util::is_within(abs, lake.root()) || abs == lake.root() ||
      util::is_within(abs, lake.dir())) {
    throw Error(Exit::usage,
                std::string(what) + " " + quote(text) +
                    " must be inside the project, outside .mlake");
  }
  return util::relative_to(abs, lake.root());
}

void
check_options(const Lake& lake, const RunOptions& options)
{
  if (options.command.empty()) {
    throw Error(Exit::usage,
                "no command given",
                "put it after --: mlake run -m WHY -- python train.py");
  }
  lake::check_message(options.message);
  lake::check_choice(
      "run kind", options.kind, {"process", "train", "evaluate"});
  for (const auto& p : options.inputs) {
    std::string rel = project_relative(lake, options.cwd, p, "input");
    if (!util::lstat_path(lake.root() / rel)) {
      throw Error(Exit::not_found, "no such input " + quote(p));
    }
  }
  for (const auto& p : options.outputs) {
    project_relative(lake, options.cwd, p, "output");
  }
  for (const auto& p : options.code) {
    std::string rel = project_relative(lake, options.cwd, p, "code file");
    auto st = util::stat_path(lake.root() / rel);
    if (!st || !st->is_regular()) {
      throw Error(Exit::not_found, "no such code file " + quote(p));
    }
  }
}

json
collect_params(const RunOptions& options)
{
  json params = json::object();
  if (options.params_file) {
    params = read_flat_values(options.cwd / *options.params_file, "params");
  }
  for (const auto& text : options.params) {
    auto [key, value] = parse_param(text);
    params[key] = value;
  }
  return params;
}

// The tracked paths the inputs stand for, after adding those that are
// untracked or changed (one add node, before the command runs).
std::vector<std::string>
prepare_inputs(Lake& lake,
               const RunOptions& options,
               RunResult& result,
               util::Progress& progress)
{
  LockFile lock = LockFile::load(lake.root());
  std::set<std::string> roots;
  std::vector<std::string> to_add;
  for (const auto& text : options.inputs) {
    std::string rel = project_relative(lake, options.cwd, text, "input");
    if (auto covering = lock.covering(rel)) {
      roots.insert(covering->first);
      continue;
    }
    bool inside = false;
    for (auto it = lock.entries.lower_bound(rel + "/");
         it != lock.entries.end() && it->first.starts_with(rel + "/");
         ++it) {
      roots.insert(it->first);
      inside = true;
    }
    if (!inside) {
      to_add.push_back(rel);
      roots.insert(rel);
    }
  }
  if (!roots.empty()) {
    std::vector<std::string> tracked;
    for (const auto& root : roots) {
      if (std::find(to_add.begin(), to_add.end(), root) == to_add.end()) {
        tracked.push_back(root);
      }
    }
    if (!tracked.empty()) {
      for (const auto& change :
           lake::status(lake, tracked, lake.root()).changes) {
        for (const auto& root : tracked) {
          if (change.path == root || change.path.starts_with(root + "/")) {
            if (std::find(to_add.begin(), to_add.end(), root) == to_add.end()) {
              to_add.push_back(root);
            }
          }
        }
      }
    }
  }
  if (!to_add.empty()) {
    lake::AddOptions add;
    add.paths = to_add;
    add.cwd = lake.root();
    add.message = "Inputs of: " + options.message;
    const std::string start = util::format_rfc3339(util::now_micros());
    lake::StagedAdd staged = lake::stage_add(lake, add, false, progress);
    std::optional<std::string> node;
    json outputs = staged.outputs();
    if (!outputs.empty()) {
      json record = {{"kind", "add"},
                     {"message", add.message},
                     {"inputs", json::array()},
                     {"outputs", std::move(outputs)},
                     {"env", run_environment({}, {})},
                     {"time",
                      {{"start", start},
                       {"end", util::format_rfc3339(util::now_micros())}}}};
      if (json metadata = staged.metadata(); !metadata.empty()) {
        record["metadata"] = std::move(metadata);
      }
      node = lake.commit(std::move(record));
    }
    lake::finish_add(lake, std::move(staged), node);
    result.inputs_node = node;
  }
  return {roots.begin(), roots.end()};
}

json
input_entries(const Lake& lake, const std::vector<std::string>& roots)
{
  LockFile lock = LockFile::load(lake.root());
  json inputs = json::array();
  for (const auto& root : roots) {
    const auto& e = lock.entries.at(root);
    json item = {{"artifact", e.artifact},
                 {"hash", e.hash},
                 {"path", root},
                 {"role", "input"},
                 {"size", e.size},
                 {"type", e.type}};
    if (e.exec) {
      item["exec"] = true; // as outputs record it (a folder's tree has its)
    }
    if (!e.node.empty()) {
      item["node"] = e.node; // the node that recorded this version
    }
    inputs.push_back(std::move(item));
  }
  return inputs;
}

std::vector<Code>
read_code(const Lake& lake, const RunOptions& options)
{
  std::vector<std::pair<std::string, std::string>> paths; // path, role
  for (const auto& p : options.code) {
    paths.emplace_back(project_relative(lake, options.cwd, p, "code file"),
                       "code");
  }
  // The script an interpreter runs, and the --params file, which the
  // command reads too (so reproduce must put it back), when they lie in
  // the project: a code entry's path is project-relative.
  auto add_inside = [&](const std::string& text, const char* role) {
    fs::path abs = util::absolute_normal(options.cwd / text);
    if (util::is_within(abs, lake.root()) &&
        !util::is_within(abs, lake.dir())) {
      paths.emplace_back(util::relative_to(abs, lake.root()), role);
    }
  };
  if (std::string script = script_of(options.command, options.cwd);
      !script.empty()) {
    add_inside(script, "code");
  }
  if (options.params_file) {
    add_inside(*options.params_file, "params");
  }
  std::vector<Code> code;
  std::set<std::string> seen;
  for (const auto& [rel, role] : paths) {
    if (seen.insert(rel).second) {
      auto st = util::stat_path(lake.root() / rel);
      code.push_back(
          {rel, role, util::read_file(lake.root() / rel), st && st->is_exec()});
    }
  }
  return code;
}

} // namespace

RunResult
run(Lake& lake, const RunOptions& options, util::Progress& progress)
{
  check_options(lake, options);
  const json params = collect_params(options);
  RunResult result;
  result.run_id = new_run_id();

  lake.lock("mlake run");
  // An output that add will refuse for where it lies is refused now, not
  // once a long command has run (and before any input is added).
  std::vector<std::string> output_paths;
  for (const auto& p : options.outputs) {
    output_paths.push_back(project_relative(lake, options.cwd, p, "output"));
  }
  lake::check_addable(lake, output_paths);
  std::vector<std::string> input_roots =
      prepare_inputs(lake, options, result, progress);
  json inputs = input_entries(lake, input_roots);
  lake.unlock();

  // What the command is run with is captured before it starts: it may
  // change its own code or working tree.
  std::vector<Code> code = read_code(lake, options);
  json git = git_state(options.cwd);
  json env = run_environment(options.command, lake.config().env);
  std::string cwd =
      util::is_within(util::absolute_normal(options.cwd), lake.root())
          ? util::relative_to(util::absolute_normal(options.cwd), lake.root())
          : options.cwd.string();
  if (cwd.empty()) {
    cwd = ".";
  }

  // Commands expect to write their outputs' folders, not to make them.
  for (const auto& p : options.outputs) {
    std::error_code ignored;
    fs::create_directories((options.cwd / p).parent_path(), ignored);
  }

  util::throw_if_interrupted();
  const util::Micros start = util::now_micros();
  result.exit_code = run_child(
      options.command,
      options.cwd,
      {"MLAKE_RUN_ID=" + result.run_id, "MLAKE_DIR=" + lake.dir().string()});
  const util::Micros end = util::now_micros();
  // An interrupted run is not a result: nothing of it is recorded.
  util::throw_if_interrupted();

  lake.lock("mlake run");
  json node = {{"kind", options.kind},
               {"message", options.message},
               {"run_id", result.run_id},
               {"command", options.command},
               {"cwd", cwd},
               {"exit_code", result.exit_code},
               {"inputs", std::move(inputs)},
               {"outputs", json::array()},
               {"params", params},
               {"env", std::move(env)},
               {"time",
                {{"start", util::format_rfc3339(start)},
                 {"end", util::format_rfc3339(end)}}}};
  json code_entry = json::object();
  json files = json::array();
  for (const auto& c : code) {
    std::string hash = lake.objects().put_bytes(c.bytes);
    // "exec" is always there, so that reproduce can tell a file recorded
    // without its executable bit from a node recorded before it was kept.
    files.push_back({{"artifact", c.path},
                     {"exec", c.exec},
                     {"hash", hash},
                     {"path", c.path},
                     {"role", c.role},
                     {"size", c.bytes.size()},
                     {"type", "file"}});
  }
  code_entry["files"] = std::move(files);
  if (!git.is_null()) {
    code_entry["git"] = std::move(git);
  }
  node["code"] = std::move(code_entry);
  for (auto [key, value] : {std::pair{"algorithm", &options.algorithm},
                            std::pair{"study", &options.study},
                            std::pair{"analysis", &options.analysis},
                            std::pair{"task", &options.task}}) {
    if (*value) {
      node[key] = **value;
    }
  }

  if (result.exit_code != 0) {
    // A failed command leaves nothing versioned: its outputs may be
    // half-written.
    result.node = lake.commit(std::move(node));
    return result;
  }

  json metrics = json::object();
  for (const auto& file : options.metrics_files) {
    fs::path path = options.cwd / file;
    if (!util::lstat_path(path)) {
      throw Error(Exit::not_found,
                  "the command did not write the metrics file " + quote(file),
                  "nothing was recorded; check the command's output");
    }
    json values = read_flat_values(path, "metrics");
    for (auto& [key, value] : values.items()) {
      metrics[key] = value;
    }
  }
  for (const auto& p : options.outputs) {
    if (!util::lstat_path(options.cwd / p)) {
      throw Error(Exit::not_found,
                  "the command did not produce the output " + quote(p),
                  "nothing was recorded; check the command's output");
    }
  }
  std::optional<lake::StagedAdd> staged;
  if (!options.outputs.empty()) {
    lake::AddOptions add;
    add.paths = options.outputs;
    add.cwd = options.cwd;
    add.message = options.message;
    if (options.kind == "train") {
      add.new_kind = "model";
    }
    staged = lake::stage_add(lake, add, true, progress);
    node["outputs"] = staged->outputs();
    if (json metadata = staged->metadata(); !metadata.empty()) {
      node["metadata"] = std::move(metadata);
    }
  }
  node["metrics"] = metrics;
  result.metrics = metrics;
  result.node = lake.commit(std::move(node));
  if (staged) {
    result.outputs =
        lake::finish_add(lake, std::move(*staged), result.node).paths;
  }
  return result;
}

} // namespace mlake::lineage
