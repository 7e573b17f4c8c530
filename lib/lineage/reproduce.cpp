#include <mlake/lake/erasure.hpp>
#include <mlake/lake/lake.hpp>
#include <mlake/lake/refs.hpp>
#include <mlake/lineage/process.hpp>
#include <mlake/lineage/reproduce.hpp>
#include <mlake/store/materialize.hpp>
#include <mlake/store/tree.hpp>
#include <mlake/store/walk.hpp>
#include <mlake/util/error.hpp>
#include <mlake/util/hash.hpp>
#include <mlake/util/interrupt.hpp>

#include <cstdlib>

namespace mlake::lineage {

namespace {

// The scratch folder: removed on the way out unless it was asked for.
class Workspace
{
public:
  explicit Workspace(const std::optional<fs::path>& to)
  {
    if (to) {
      m_path = util::absolute_normal(*to);
      std::error_code ec;
      if (fs::exists(m_path) && !fs::is_empty(m_path, ec)) {
        throw Error(Exit::usage,
                    quote(m_path.string()) + " is not empty",
                    "give a new or empty folder to --to");
      }
      fs::create_directories(m_path, ec);
      m_keep = true;
      return;
    }
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern =
        std::string(tmp && *tmp ? tmp : "/tmp") + "/mlake-reproduce-XXXXXX";
    if (!::mkdtemp(pattern.data())) {
      throw Error(Exit::usage,
                  "cannot make a scratch folder: " + util::errno_text(errno));
    }
    m_path = pattern;
  }
  ~Workspace()
  {
    if (!m_keep) {
      std::error_code ignored;
      fs::remove_all(m_path, ignored);
    }
  }
  const fs::path&
  path() const
  {
    return m_path;
  }
  bool
  kept() const
  {
    return m_keep;
  }

private:
  fs::path m_path;
  bool m_keep = false;
};

void
put(const lake::Lake& lake,
    const std::string& hash,
    const fs::path& dest,
    bool exec)
{
  if (!lake.objects().contains(hash)) {
    throw Error(Exit::not_found,
                "the lake does not hold " + hash + " for " +
                    quote(dest.string()),
                "run 'mlake fsck' to check the lake");
  }
  fs::create_directories(dest.parent_path());
  store::materialize(lake.objects(), hash, dest, store::LinkMode::copy, exec);
}

// Check out one recorded file or folder at `dest`.
void
check_out(const lake::Lake& lake, const json& item, const fs::path& dest)
{
  const std::string hash = item["hash"];
  if (item["type"] == "dir") {
    auto bytes = lake.objects().read(hash);
    if (!bytes) {
      throw Error(Exit::not_found,
                  "the lake does not hold the folder " +
                      quote(item["path"].get<std::string>()),
                  "run 'mlake fsck' to check the lake");
    }
    for (const auto& e : store::parse_tree(*bytes, hash).entries) {
      put(lake, e.hash, dest / e.path, e.exec);
    }
  } else {
    put(lake, hash, dest, item.value("exec", false));
  }
}

std::string
hash_now(const fs::path& path, const std::string& type)
{
  auto st = util::stat_path(path);
  if (!st) {
    return "";
  }
  if (type != "dir") {
    return st->is_regular() ? store::hash_file(path) : "";
  }
  if (!st->is_dir()) {
    return "";
  }
  store::Tree tree;
  for (auto& walked : store::walk_files(path, path)) {
    tree.entries.push_back({walked.path,
                            walked.st.size,
                            walked.st.is_exec(),
                            store::hash_file(path / walked.path)});
  }
  return util::sha256_hex(store::serialize_tree(tree));
}

} // namespace

ReproduceResult
reproduce(lake::Lake& lake,
          const ReproduceOptions& options,
          util::Progress& progress)
{
  (void)progress;
  lake::Resolved r = lake::resolve_ref(lake, options.ref, options.cwd);
  std::string node_id =
      r.kind == lake::Resolved::Kind::node
          ? r.node
          : (r.version ? *r.version
                       : lake::resolve_version(lake, r.artifact, options.cwd))
                .node;
  auto node = lake.nodes().read(node_id);
  if (!node) {
    throw Error(Exit::not_found, "no node " + node_id);
  }
  if (!node->contains("command") || !(*node)["command"].is_array() ||
      (*node)["command"].empty()) {
    throw Error(Exit::usage,
                quote(options.ref) + " was recorded by '" +
                    (*node)["kind"].get<std::string>() +
                    "', not by a command: there is nothing to re-run",
                "reproduce a version made by 'mlake run'");
  }

  // A run whose input was erased can never be re-run: say why before
  // anything is copied out.
  const lake::Erasure purges = lake::load_purges(lake);
  for (const auto& input : (*node)["inputs"]) {
    if (const auto* row = purges.purge_of(input.value("artifact", ""),
                                          input.value("node", ""))) {
      throw Error(Exit::not_found,
                  "cannot reproduce: its input " + row->artifact +
                      " was erased by purge " + row->node.substr(0, 12) + " (" +
                      row->message + ")",
                  "run 'mlake show " + options.ref + "' to see the taint");
    }
  }

  ReproduceResult result;
  result.node = node_id;
  result.recorded_exit_code = node->value("exit_code", 0);
  Workspace workspace(options.to);
  result.workspace = workspace.path();
  result.kept = workspace.kept();
  {
    // Hold the lock while copying out, so that no gc runs meanwhile.
    lake.lock("mlake reproduce");
    for (const auto& input : (*node)["inputs"]) {
      check_out(
          lake, input, workspace.path() / input["path"].get<std::string>());
    }
    if (node->contains("code") && (*node)["code"].contains("files")) {
      for (json file : (*node)["code"]["files"]) {
        const std::string path = file["path"];
        if (!file.contains("exec")) {
          // A run recorded before code files kept their executable bit:
          // take the workspace file's, if it is there.
          auto st = util::stat_path(lake.root() / path);
          file["exec"] = st && st->is_regular() && st->is_exec();
        }
        check_out(lake, file, workspace.path() / path);
      }
    }
    lake.unlock();
  }

  std::vector<std::string> argv;
  for (const auto& arg : (*node)["command"]) {
    argv.push_back(arg.get<std::string>());
  }
  fs::path cwd = workspace.path() / node->value("cwd", std::string("."));
  fs::create_directories(cwd);
  // As run does: the outputs' folders exist before the command starts.
  for (const auto& output : (*node)["outputs"]) {
    fs::create_directories(
        (workspace.path() / output["path"].get<std::string>()).parent_path());
  }
  result.exit_code = run_child(argv, cwd, {"MLAKE_REPRODUCE=" + node_id});
  util::throw_if_interrupted();

  result.reproduced = result.exit_code == result.recorded_exit_code;
  for (const auto& output : (*node)["outputs"]) {
    ReproducedOutput o;
    o.artifact = output["artifact"];
    o.path = output["path"];
    o.recorded = output["hash"];
    o.reproduced =
        hash_now(workspace.path() / o.path, output["type"].get<std::string>());
    o.same = o.reproduced == o.recorded;
    result.reproduced = result.reproduced && o.same;
    result.outputs.push_back(std::move(o));
  }
  return result;
}

} // namespace mlake::lineage
