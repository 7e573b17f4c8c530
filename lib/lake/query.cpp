#include <mlake/lake/erasure.hpp>
#include <mlake/lake/lake.hpp>
#include <mlake/lake/lock_file.hpp>
#include <mlake/lake/metadata.hpp>
#include <mlake/lake/query.hpp>
#include <mlake/lake/refs.hpp>
#include <mlake/util/error.hpp>
#include <mlake/util/time.hpp>

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

#include "workspace_util.hpp"

namespace mlake::lake {

namespace {

// Version numbers of an artifact's versions by recording node, computed
// once per artifact per query.
class Ordinals
{
public:
  explicit Ordinals(index::Index& idx) : m_idx(idx) {}

  int
  of(const std::string& artifact, const std::string& node)
  {
    auto it = m_cache.find(artifact);
    if (it == m_cache.end()) {
      std::map<std::string, int> by_node;
      for (const auto& v : m_idx.versions(artifact)) {
        by_node[v.node] = v.ordinal;
      }
      it = m_cache.emplace(artifact, std::move(by_node)).first;
    }
    auto found = it->second.find(node);
    return found == it->second.end() ? 0 : found->second;
  }

private:
  index::Index& m_idx;
  std::map<std::string, std::map<std::string, int>> m_cache;
};

json
user_json(const std::string& name, const std::string& email)
{
  return {{"name", name}, {"email", email}};
}

json
version_json(const index::VersionRow& v)
{
  json out = {{"artifact", v.artifact},
              {"version", v.ordinal},
              {"hash", v.hash},
              {"type", v.type},
              {"size", v.size},
              {"path", v.path},
              {"node", v.node},
              {"time", v.time},
              {"user", user_json(v.user_name, v.user_email)},
              {"message", v.message}};
  if (v.type == "dir") {
    out["files"] = v.files;
  }
  return out;
}

json
io_json(const std::vector<index::IoRow>& rows,
        const std::string& direction,
        Ordinals& ordinals)
{
  json out = json::array();
  for (const auto& io : rows) {
    if (io.direction != direction) {
      continue;
    }
    json item = {{"artifact", io.artifact},
                 {"hash", io.hash},
                 {"type", io.type},
                 {"size", io.size},
                 {"path", io.path},
                 {"role", io.role}};
    if (direction == "out") {
      item["version"] = ordinals.of(io.artifact, io.node);
    }
    out.push_back(std::move(item));
  }
  return out;
}

json
node_summary(index::Index& idx, const index::NodeRow& n, Ordinals& ordinals)
{
  auto io = idx.node_io(n.id);
  return {{"id", n.id},
          {"kind", n.kind},
          {"message", n.message},
          {"user", user_json(n.user_name, n.user_email)},
          {"host", n.host},
          {"time", {{"start", n.time_start}, {"end", n.time_end}}},
          {"inputs", io_json(io, "in", ordinals)},
          {"outputs", io_json(io, "out", ordinals)}};
}

json
artifact_summary(const index::ArtifactRow& a)
{
  json out = {{"name", a.name},
              {"kind", a.field("kind", "other")},
              {"security", a.field("security", "internal")},
              {"owner", a.field("owner")},
              {"description", a.field("description")},
              {"path", a.field("path")},
              {"tags", a.tags},
              {"versions", a.version_count},
              {"created", a.created}};
  if (a.latest) {
    out["latest"] = version_json(*a.latest);
  } else {
    out["latest"] = nullptr;
  }
  return out;
}

// Aliases, promotions and approvals of one artifact; of one version when
// `version` is given.
json
governance_json(index::Index& idx,
                const std::string& artifact,
                const std::vector<index::VersionRow>& versions,
                const index::VersionRow* version)
{
  std::map<std::string, int> ordinal;
  for (const auto& v : versions) {
    ordinal[v.node] = v.ordinal;
  }
  auto ordinal_of = [&](const std::string& node) -> json {
    auto it = ordinal.find(node);
    return it == ordinal.end() ? json(nullptr) : json(it->second);
  };
  json aliases = json::object();
  json promotions = json::array();
  for (const auto& p : idx.promotions(artifact)) {
    aliases[p.alias] = {{"version", ordinal_of(p.version_node)},
                        {"node", p.version_node}};
    if (version && p.version_node != version->node) {
      continue;
    }
    promotions.push_back({{"node", p.node},
                          {"alias", p.alias},
                          {"version", ordinal_of(p.version_node)},
                          {"time", p.time},
                          {"user", p.user_name},
                          {"message", p.message},
                          {"forced", p.forced}});
  }
  const auto rows = idx.approvals(artifact);
  json approvals = json::array();
  for (const auto& a : rows) {
    if (version && a.version_node != version->node) {
      continue;
    }
    approvals.push_back({{"node", a.node},
                         {"decision", a.decision},
                         {"version", ordinal_of(a.version_node)},
                         {"time", a.time},
                         {"user", user_json(a.user_name, a.user_email)},
                         {"message", a.message}});
  }
  json out = {{"promotions", promotions}, {"approvals", approvals}};
  if (!version) {
    out["aliases"] = aliases;
    return out;
  }
  json here = json::array();
  for (const auto& [alias, target] : aliases.items()) {
    if (target["node"] == version->node) {
      here.push_back(alias);
    }
  }
  out["aliases"] = here;
  json approvers = json::array();
  for (const auto* a : approvals_in_force(rows, version->node)) {
    if (std::find(approvers.begin(), approvers.end(), a->user_name) ==
        approvers.end()) {
      approvers.push_back(a->user_name);
    }
  }
  out["approved"] = !approvers.empty();
  out["approved_by"] = approvers;
  return out;
}

json
show_artifact(Lake& lake, const std::string& name)
{
  auto& idx = lake.index();
  auto row = idx.artifact(name);
  if (!row) {
    throw Error(Exit::not_found, "no artifact named " + quote(name));
  }
  json out = artifact_summary(*row);
  out["type"] = "artifact";
  out["created_by"] = row->created_node;
  json versions = json::array();
  const Erasure erasure = load_purges(lake);
  for (const auto& v : idx.versions(name)) {
    versions.push_back(version_json(v));
    json taint = taint_json(lake, erasure, v.artifact, v.node);
    versions.back()["purged"] = taint["purged"];
    versions.back()["tainted"] = taint["tainted"];
    // A model file's verdict, so that a list of versions shows which
    // are not safe to load.
    if (auto mf = idx.metafeatures(v.artifact, v.node);
        mf && mf->contains("model") && (*mf)["model"].is_object()) {
      versions.back()["model_verdict"] =
          (*mf)["model"].value("verdict", "not verified");
    }
  }
  out["history"] = std::move(versions);
  json changes = json::array();
  for (const auto& a : idx.annotations(name)) {
    changes.push_back({{"node", a.node},
                       {"field", a.field},
                       {"value", a.value},
                       {"time", a.time},
                       {"user", a.user_name},
                       {"message", a.message}});
  }
  out["metadata_history"] = std::move(changes);
  out["governance"] = governance_json(idx, name, idx.versions(name), nullptr);
  return out;
}

json
show_version(Lake& lake, const index::VersionRow& v)
{
  auto& idx = lake.index();
  auto artifact = idx.artifact(v.artifact);
  auto node = lake.nodes().read(v.node);
  auto row = idx.node(v.node);
  json out = {{"type", "version"},
              {"artifact", v.artifact},
              {"version", v.ordinal},
              {"versions", artifact ? artifact->version_count : 0},
              {"hash", v.hash},
              {"node", v.node}};
  // The metadata as it stood when this version was recorded (nodes are
  // events: replay those up to and including this version's node); the
  // current values follow, for comparison.
  std::map<std::string, std::string> then;
  std::set<std::string> then_tags;
  for (const auto& a : idx.annotations(v.artifact)) {
    if (std::tie(a.time, a.node) > std::tie(v.time, v.node)) {
      break;
    }
    if (a.field == "tag" && !a.value.empty()) {
      if (a.value[0] == '+') {
        then_tags.insert(a.value.substr(1));
      } else {
        then_tags.erase(a.value.substr(1));
      }
    } else {
      then[a.field] = a.value;
    }
  }
  auto at = [&](const char* field, const std::string& fallback) {
    auto it = then.find(field);
    return it != then.end() ? it->second : fallback;
  };
  out["what"] = {{"artifact", v.artifact},
                 {"kind", at("kind", "other")},
                 {"type", v.type},
                 {"size", v.size},
                 {"files", v.files},
                 {"exec", v.exec},
                 {"hash", v.hash},
                 {"description", at("description", "")},
                 {"security", at("security", "internal")},
                 {"owner", at("owner", "")},
                 {"tags", then_tags},
                 {"stored", lake.objects().contains(v.hash)}};
  if (auto mf = idx.metafeatures(v.artifact, v.node)) {
    out["what"]["metafeatures"] = std::move(*mf);
  }
  if (artifact) {
    out["current"] = {{"kind", artifact->field("kind", "other")},
                      {"description", artifact->field("description")},
                      {"security", artifact->field("security", "internal")},
                      {"owner", artifact->field("owner")},
                      {"tags", artifact->tags}};
  }
  out["who"] = user_json(v.user_name, v.user_email);
  out["where"] = {{"path", v.path}, {"host", row ? row->host : ""}};
  out["when"] = v.time;
  out["why"] = v.message;
  json how = {{"kind", v.node_kind}, {"node", v.node}};
  if (node) {
    for (const char* key : {"command",
                            "cwd",
                            "exit_code",
                            "params",
                            "metrics",
                            "algorithm",
                            "study",
                            "analysis",
                            "task",
                            "run_id",
                            "env",
                            "code",
                            "source",
                            "mode"}) {
      if (node->contains(key)) {
        how[key] = (*node)[key];
      }
    }
  }
  Ordinals ordinals(idx);
  auto io = idx.node_io(v.node);
  how["inputs"] = io_json(io, "in", ordinals);
  out["how"] = std::move(how);
  out["governance"] =
      governance_json(idx, v.artifact, idx.versions(v.artifact), &v);
  out["taint"] = taint_json(lake, load_purges(lake), v.artifact, v.node);
  return out;
}

json
show_node(Lake& lake, const std::string& id)
{
  auto& idx = lake.index();
  auto node = lake.nodes().read(id);
  auto row = idx.node(id);
  if (!node || !row) {
    throw Error(Exit::not_found, "no node " + quote(id));
  }
  Ordinals ordinals(idx);
  json out = node_summary(idx, *row, ordinals);
  out["type"] = "node";
  out["parents"] = idx.parents(id);
  out["children"] = idx.children(id);
  out["record"] = *node;
  out["taint"] = taint_json(lake, load_purges(lake), "", id);
  return out;
}

} // namespace

json
log(Lake& lake,
    const std::optional<std::string>& artifact,
    const fs::path& cwd,
    int limit)
{
  auto& idx = lake.index();
  std::optional<std::string> name;
  if (artifact) {
    name = require_artifact(lake, *artifact, cwd);
  }
  Ordinals ordinals(idx);
  json out = json::array();
  for (const auto& n : idx.log(name, limit < 0 ? -1 : limit)) {
    out.push_back(node_summary(idx, n, ordinals));
  }
  return out;
}

json
show(Lake& lake, const std::string& ref, const fs::path& cwd)
{
  Resolved r = resolve_ref(lake, ref, cwd);
  switch (r.kind) {
  case Resolved::Kind::artifact:
    return show_artifact(lake, r.artifact);
  case Resolved::Kind::version:
    return show_version(lake, *r.version);
  case Resolved::Kind::node:
    return show_node(lake, r.node);
  }
  return nullptr;
}

json
list(Lake& lake, const std::optional<std::string>& kind)
{
  if (kind) {
    check_choice("kind", *kind, artifact_kinds());
  }
  json out = json::array();
  for (const auto& a : lake.index().artifacts(kind)) {
    out.push_back(artifact_summary(a));
  }
  return out;
}

json
annotate(Lake& lake, const AnnotateOptions& options)
{
  check_message(options.message);
  if (options.security) {
    check_choice("security level", *options.security, security_levels());
  }
  if (options.kind) {
    check_choice("kind", *options.kind, artifact_kinds());
  }
  lake.lock("mlake annotate");
  const std::string name =
      require_artifact(lake, options.artifact, options.cwd);
  auto row = lake.index().artifact(name);
  json changes = json::object();
  auto set = [&](const char* field,
                 const std::optional<std::string>& value,
                 const std::string& current) {
    if (value && *value != current) {
      changes[field] = *value;
    }
  };
  set("description", options.description, row->field("description"));
  set("owner", options.owner, row->field("owner"));
  set("security", options.security, row->field("security", "internal"));
  set("kind", options.kind, row->field("kind", "other"));
  auto has_tag = [&](const std::string& tag) {
    return std::find(row->tags.begin(), row->tags.end(), tag) !=
           row->tags.end();
  };
  json add = json::array();
  json remove = json::array();
  for (const auto& tag : options.tags) {
    check_tag(tag);
    if (!has_tag(tag) && std::find(add.begin(), add.end(), tag) == add.end()) {
      add.push_back(tag);
    }
  }
  for (const auto& tag : options.untags) {
    if (!has_tag(tag)) {
      throw Error(Exit::usage,
                  quote(name) + " has no tag " + quote(tag),
                  "run 'mlake show " + name + "' to see its tags");
    }
    if (std::find(add.begin(), add.end(), tag) != add.end()) {
      throw Error(Exit::usage,
                  "tag " + quote(tag) + " is both added and removed");
    }
    remove.push_back(tag);
  }
  if (!add.empty() || !remove.empty()) {
    changes["tags"] = json::object();
    if (!add.empty()) {
      changes["tags"]["add"] = add;
    }
    if (!remove.empty()) {
      changes["tags"]["remove"] = remove;
    }
  }
  if (changes.empty()) {
    throw Error(Exit::usage,
                "nothing to change for " + quote(name),
                "give --description, --owner, --security, --kind, --tag or "
                "--untag with a new value");
  }
  const std::string now = util::format_rfc3339(util::now_micros());
  json node = {{"kind", "annotate"},
               {"message", options.message},
               {"inputs", json::array()},
               {"outputs", json::array()},
               {"metadata", {{name, changes}}},
               {"env", basic_env()},
               {"time", {{"start", now}, {"end", now}}}};
  std::string id = lake.commit(std::move(node));
  if (changes.contains("kind")) {
    // mlake.lock repeats each tracked path's kind for people reading it.
    LockFile lock = LockFile::load(lake.root());
    bool touched = false;
    for (auto& [path, entry] : lock.entries) {
      if (entry.artifact == name) {
        entry.kind = changes["kind"].get<std::string>();
        touched = true;
      }
    }
    if (touched) {
      lock.save(lake.root());
    }
  }
  return {{"node", id}, {"artifact", name}, {"changes", changes}};
}

std::vector<const index::ApprovalRow*>
approvals_in_force(const std::vector<index::ApprovalRow>& approvals,
                   const std::string& version_node)
{
  std::vector<const index::ApprovalRow*> out;
  for (const auto& row : approvals) {
    if (row.version_node != version_node) {
      continue;
    }
    if (row.decision == "revoke") {
      out.clear();
    } else {
      out.push_back(&row);
    }
  }
  return out;
}

} // namespace mlake::lake
