#include <mlake/governance/diff.hpp>
#include <mlake/lake/lake.hpp>
#include <mlake/lake/query.hpp>
#include <mlake/lake/refs.hpp>
#include <mlake/store/tree.hpp>
#include <mlake/util/error.hpp>

#include <map>
#include <set>

namespace mlake::governance {

namespace {

// Field by field: {"key": {"from": a, "to": b}} for each key whose value
// differs (null where one side lacks it).
json
changed_fields(const json& a, const json& b)
{
  json out = json::object();
  std::set<std::string> keys;
  for (const json* side : {&a, &b}) {
    if (side->is_object()) {
      for (const auto& [k, v] : side->items()) {
        keys.insert(k);
      }
    }
  }
  for (const auto& k : keys) {
    json x = a.is_object() && a.contains(k) ? a[k] : json(nullptr);
    json y = b.is_object() && b.contains(k) ? b[k] : json(nullptr);
    if (x != y) {
      out[k] = {{"from", x}, {"to", y}};
    }
  }
  return out;
}

std::optional<store::Tree>
tree_of(lake::Lake& lake, const json& version)
{
  if (version["type"] != "dir") {
    return std::nullopt;
  }
  auto bytes = lake.objects().read(version["hash"].get<std::string>());
  if (!bytes) {
    return std::nullopt;
  }
  return store::parse_tree(*bytes,
                           "the tree of " + version["ref"].get<std::string>());
}

json
content_diff(lake::Lake& lake, const json& a, const json& b)
{
  json out = {{"same", a["hash"] == b["hash"]}};
  if (a["hash"] == b["hash"]) {
    return out;
  }
  auto ta = tree_of(lake, a);
  auto tb = tree_of(lake, b);
  if (!ta || !tb) {
    out["size"] = {{"from", a["size"]}, {"to", b["size"]}};
    if (a["type"] == "dir" || b["type"] == "dir") {
      out["files"] = nullptr; // a file against a folder, or a folder not here
    }
    return out;
  }
  json added = json::array(), removed = json::array(), changed = json::array();
  for (const auto& e : ta->entries) {
    const auto* other = tb->find(e.path);
    if (!other) {
      removed.push_back(e.path);
    } else if (other->hash != e.hash || other->exec != e.exec) {
      changed.push_back(
          {{"path", e.path}, {"from_size", e.size}, {"to_size", other->size}});
    }
  }
  for (const auto& e : tb->entries) {
    if (!ta->find(e.path)) {
      added.push_back(e.path);
    }
  }
  out["files"] = {{"added", added}, {"removed", removed}, {"changed", changed}};
  out["size"] = {{"from", a["size"]}, {"to", b["size"]}};
  return out;
}

json
metafeature_diff(const json& a, const json& b)
{
  if (!a.is_object() || !b.is_object()) {
    return nullptr;
  }
  json out = json::object();
  for (const char* key : {"rows", "columns", "format"}) {
    if (a.value(key, json()) != b.value(key, json())) {
      out[key] = {{"from", a.value(key, json())}, {"to", b.value(key, json())}};
    }
  }
  std::map<std::string, std::string> ta, tb;
  for (const auto& [side, map] : {std::pair{&a, &ta}, std::pair{&b, &tb}}) {
    for (const auto& c : side->value("columns_info", json::array())) {
      if (c.is_object() && c.contains("name")) {
        (*map)[c["name"].get<std::string>()] = c.value("type", "");
      }
    }
  }
  json added = json::array(), removed = json::array(), retyped = json::array();
  for (const auto& [name, type] : ta) {
    auto it = tb.find(name);
    if (it == tb.end()) {
      removed.push_back(name);
    } else if (it->second != type) {
      retyped.push_back({{"column", name}, {"from", type}, {"to", it->second}});
    }
  }
  for (const auto& [name, type] : tb) {
    if (!ta.count(name)) {
      added.push_back(name);
    }
  }
  if (!added.empty() || !removed.empty() || !retyped.empty()) {
    out["column_changes"] = {
        {"added", added}, {"removed", removed}, {"retyped", retyped}};
  }
  return out;
}

json
metric_diff(const json& a, const json& b)
{
  json out = json::object();
  const json changes = changed_fields(a, b); // outlives the loop
  for (const auto& [k, change] : changes.items()) {
    json entry = change;
    if (change["from"].is_number() && change["to"].is_number()) {
      entry["delta"] =
          change["to"].get<double>() - change["from"].get<double>();
    }
    out[k] = entry;
  }
  return out;
}

json
inputs_of(const json& how)
{
  json out = json::array();
  for (const auto& input : how.value("inputs", json::array())) {
    out.push_back(input.value("artifact", "") + "@" +
                  input.value("hash", "").substr(0, 12));
  }
  return out;
}

} // namespace

json
diff(lake::Lake& lake,
     const std::string& from,
     const std::string& to,
     const fs::path& cwd)
{
  auto va = lake::resolve_version(lake, from, cwd);
  auto vb = lake::resolve_version(lake, to, cwd);
  auto ref = [](const index::VersionRow& v) {
    return v.artifact + "@" + std::to_string(v.ordinal);
  };
  json a = lake::show(lake, ref(va), lake.root());
  json b = lake::show(lake, ref(vb), lake.root());
  auto version = [&](const index::VersionRow& v, const json& shown) {
    return json{{"ref", ref(v)},
                {"artifact", v.artifact},
                {"version", v.ordinal},
                {"hash", v.hash},
                {"type", v.type},
                {"size", v.size},
                {"kind", shown["what"]["kind"]},
                {"node", v.node}};
  };
  json ja = version(va, a);
  json jb = version(vb, b);

  const json& ha = a["how"];
  const json& hb = b["how"];
  json how = json::object();
  if (ha.value("kind", json()) != hb.value("kind", json())) {
    how["step"] = {{"from", ha["kind"]}, {"to", hb["kind"]}};
  }
  for (const char* key : {"algorithm", "command", "study", "task"}) {
    if (ha.value(key, json()) != hb.value(key, json())) {
      how[key] = {{"from", ha.value(key, json())},
                  {"to", hb.value(key, json())}};
    }
  }
  if (auto p = changed_fields(ha.value("params", json::object()),
                              hb.value("params", json::object()));
      !p.empty()) {
    how["params"] = p;
  }
  if (auto m = metric_diff(ha.value("metrics", json::object()),
                           hb.value("metrics", json::object()));
      !m.empty()) {
    how["metrics"] = m;
  }
  json ia = inputs_of(ha), ib = inputs_of(hb);
  if (ia != ib) {
    how["inputs"] = {{"from", ia}, {"to", ib}};
  }
  auto commit = [](const json& h) -> json {
    if (h.contains("code") && h["code"].contains("git")) {
      const json& git = h["code"]["git"];
      return {{"commit", git.value("commit", json())},
              {"dirty", git.value("dirty", false)}};
    }
    return nullptr;
  };
  if (commit(ha) != commit(hb)) {
    how["code"] = {{"from", commit(ha)}, {"to", commit(hb)}};
  }
  json ea = ha.value("env", json::object());
  json eb = hb.value("env", json::object());
  json env = json::object();
  for (const char* key : {"os", "distribution", "mlake", "interpreter"}) {
    if (ea.value(key, json()) != eb.value(key, json())) {
      env[key] = {{"from", ea.value(key, json())},
                  {"to", eb.value(key, json())}};
    }
  }
  if (!env.empty()) {
    how["env"] = env;
  }
  return {{"from", ja},
          {"to", jb},
          {"content", content_diff(lake, ja, jb)},
          {"metafeatures",
           metafeature_diff(a["what"].value("metafeatures", json()),
                            b["what"].value("metafeatures", json()))},
          {"how", how}};
}

} // namespace mlake::governance
