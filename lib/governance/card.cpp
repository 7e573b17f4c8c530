#include <mlake/governance/audit.hpp>
#include <mlake/governance/card.hpp>
#include <mlake/governance/records.hpp>
#include <mlake/lake/lake.hpp>
#include <mlake/lake/query.hpp>
#include <mlake/lake/refs.hpp>
#include <mlake/lineage/graph.hpp>
#include <mlake/util/error.hpp>

#include <algorithm>
#include <set>
#include <sstream>

namespace mlake::governance {

namespace {

std::string
str(const json& j, const char* key)
{
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

// A YAML scalar that reads back as the same string.
std::string
yaml_string(const std::string& s)
{
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out + "\"";
}

// Markdown table cells and lines: no pipes or newlines from user text.
std::string
cell(const std::string& s)
{
  std::string out;
  for (char c : s) {
    out += c == '|'    ? std::string("\\|")
           : c == '\n' ? std::string(" ")
                       : std::string(1, c);
  }
  return out;
}

std::string
value_text(const json& v)
{
  return v.is_string() ? v.get<std::string>() : v.dump();
}

std::string
join_strings(const json& list)
{
  std::string out;
  for (const auto& item : list) {
    out += (out.empty() ? "" : ", ") + value_text(item);
  }
  return out;
}

} // namespace

json
card(lake::Lake& lake, const std::string& ref, const fs::path& cwd)
{
  const auto v = lake::resolve_version(lake, ref, cwd);
  const std::string vref = v.artifact + "@" + std::to_string(v.ordinal);
  json shown = lake::show(lake, vref, lake.root());
  const json& what = shown["what"];
  const json& how = shown["how"];
  json missing = json::array();
  auto need = [&](bool have, const std::string& field, const std::string& fix) {
    if (!have) {
      missing.push_back({{"field", field}, {"fix", fix}});
    }
  };

  json details = {{"artifact", v.artifact},
                  {"version", v.ordinal},
                  {"ref", vref},
                  {"hash", v.hash},
                  {"node", v.node},
                  {"kind", what["kind"]},
                  {"size", v.size},
                  {"description", shown["current"]["description"]},
                  {"owner", shown["current"]["owner"]},
                  {"security", shown["current"]["security"]},
                  {"tags", shown["current"]["tags"]},
                  {"created", shown["when"]},
                  {"created_by", shown["who"]},
                  {"host", shown["where"]["host"]}};
  need(!str(details, "description").empty(),
       "what: description",
       "mlake annotate " + v.artifact + " --description ...");
  need(!str(details, "owner").empty(),
       "who: owner",
       "mlake annotate " + v.artifact + " --owner ...");

  json use = {{"description", details["description"]},
              {"why", shown["why"]},
              {"promotions", json::array()}};
  for (const auto& p : shown["governance"]["promotions"]) {
    use["promotions"].push_back(
        {{"alias", p["alias"]}, {"message", p["message"]}});
  }

  // The training procedure: the node that made this version.
  json procedure = {{"node", v.node}, {"kind", how["kind"]}};
  for (const char* key : {"algorithm",
                          "params",
                          "command",
                          "exit_code",
                          "study",
                          "analysis",
                          "task",
                          "env",
                          "code"}) {
    if (how.contains(key)) {
      procedure[key] = how[key];
    }
  }
  const bool ran = how.contains("command");
  need(ran,
       "how: training command",
       "record training with 'mlake run --kind train -o " + v.artifact +
           " -- ...'");
  need(how.contains("algorithm"),
       "how: algorithm",
       "mlake run --algorithm NAME");
  need(how.contains("params") && !how["params"].empty(),
       "how: parameters",
       "mlake run -p KEY=VALUE or --params FILE");
  const bool has_git = how.contains("code") && how["code"].contains("git") &&
                       !how["code"]["git"].value("commit", json()).is_null();
  need(has_git,
       "how: code commit",
       "run the training inside a git repository, committed");

  // The data upstream, with what the lake knows of each dataset.
  lineage::LineageOptions up;
  up.direction = lineage::Direction::up;
  auto graph = lineage::lineage(lake, vref, lake.root(), up);
  json data = json::array();
  std::set<std::string> seen;
  for (const auto& gv : graph.versions) {
    if (gv.version == 0 || gv.artifact == v.artifact ||
        !seen.insert(gv.id).second) {
      continue;
    }
    json s = lake::show(lake, gv.id, lake.root());
    if (s["what"]["kind"] != "dataset") {
      continue;
    }
    json entry = {{"ref", gv.id},
                  {"artifact", gv.artifact},
                  {"hash", gv.hash},
                  {"size", gv.size},
                  {"description", s["current"]["description"]},
                  {"owner", s["current"]["owner"]},
                  {"security", s["current"]["security"]},
                  {"approved", s["governance"]["approved"]},
                  {"approved_by", s["governance"]["approved_by"]},
                  {"taint", gv.taint.empty() ? json(nullptr) : json(gv.taint)},
                  {"direct", false}};
    for (const auto& input : how["inputs"]) {
      if (input["artifact"] == gv.artifact && input["hash"] == gv.hash) {
        entry["direct"] = true;
      }
    }
    if (s["what"].contains("metafeatures")) {
      const json& mf = s["what"]["metafeatures"];
      json summary = json::object();
      for (const char* key : {"format", "rows", "columns", "target"}) {
        if (mf.contains(key)) {
          summary[key] = mf[key];
        }
      }
      entry["metafeatures"] = summary;
    }
    data.push_back(std::move(entry));
  }
  // What the training read first, then what lies further up.
  std::stable_sort(data.begin(), data.end(), [](const json& a, const json& b) {
    return std::make_pair(!a["direct"].get<bool>(), a["ref"]) <
           std::make_pair(!b["direct"].get<bool>(), b["ref"]);
  });
  need(!data.empty(),
       "what: training data",
       "name the datasets with 'mlake run -i DATA'");

  json evaluation = json::array();
  for (const auto& m : lake.index().version_metrics(v.artifact, v.node)) {
    evaluation.push_back({{"key", m.key},
                          {"value", number_json(m.value)},
                          {"kind", m.kind},
                          {"node", m.node},
                          {"time", m.time}});
  }
  need(!evaluation.empty(),
       "evaluation: metrics",
       "mlake run --kind evaluate -i " + v.artifact + " -M metrics.json");

  json governance = shown["governance"];
  governance["policy"] = nullptr;
  if (lake_policy(lake)) {
    AuditOptions check;
    check.ref = vref;
    check.cwd = lake.root();
    json report = audit(lake, check);
    governance["policy"] = {{"path", report["policy"]["path"]},
                            {"ok", report["ok"]},
                            {"violations", report["violations"]}};
  }
  need(governance["approved"].get<bool>(),
       "governance: approval",
       "mlake approve " + vref + " -m WHY");

  return {{"model", details},
          {"intended_use", use},
          {"training_data", data},
          {"training_procedure", procedure},
          {"evaluation", evaluation},
          {"lineage",
           {{"steps", graph.steps.size()},
            {"mermaid", lineage::render_mermaid(graph)}}},
          {"governance", governance},
          {"taint", shown["taint"]},
          {"missing", missing}};
}

std::string
card_markdown(const json& c)
{
  const json& m = c["model"];
  const json& proc = c["training_procedure"];
  std::ostringstream out;
  // Front matter, in the keys Hugging Face model cards use.
  out << "---\n";
  out << "tags:\n";
  for (const auto& t : m["tags"]) {
    out << "- " << yaml_string(t.get<std::string>()) << "\n";
  }
  out << "- mlake\n";
  if (!c["training_data"].empty()) {
    out << "datasets:\n";
    for (const auto& d : c["training_data"]) {
      out << "- " << yaml_string(d["ref"].get<std::string>()) << "\n";
    }
  }
  if (!c["evaluation"].empty()) {
    std::set<std::string> keys;
    out << "metrics:\n";
    for (const auto& e : c["evaluation"]) {
      if (keys.insert(e["key"].get<std::string>()).second) {
        out << "- " << yaml_string(e["key"].get<std::string>()) << "\n";
      }
    }
    out << "model-index:\n- name: " << yaml_string(m["artifact"])
        << "\n  results:\n  - task:\n      type: "
        << yaml_string(str(proc, "task").empty() ? "unknown"
                                                 : str(proc, "task"))
        << "\n    metrics:\n";
    for (const auto& e : c["evaluation"]) {
      out << "    - type: " << yaml_string(e["key"].get<std::string>())
          << "\n      value: " << e["value"].dump() << "\n";
    }
  }
  out << "mlake:\n  artifact: " << yaml_string(m["artifact"])
      << "\n  version: " << m["version"].dump()
      << "\n  sha256: " << m["hash"].get<std::string>()
      << "\n  node: " << m["node"].get<std::string>() << "\n---\n\n";

  auto or_missing = [](const std::string& s, const std::string& fix) {
    return s.empty() ? "*Not recorded* (" + fix + ")" : cell(s);
  };
  const std::string name = m["artifact"].get<std::string>();
  out << "# Model card: " << cell(m["ref"].get<std::string>()) << "\n\n";
  const json& taint = c["taint"];
  for (const auto& by : taint["by"]) {
    out << "> **Warning: "
        << (taint["purged"].get<bool>() ? "purged" : "tainted") << ".** "
        << (taint["purged"].get<bool>()
                ? std::string(by["role"] == "affected"
                                  ? "Content this version shared with a "
                                    "purged version was erased"
                                  : "The content of this version was erased")
                : "This version was made from " +
                      cell(by["ref"].get<std::string>()) +
                      ", whose content was erased")
        << " on " << cell(by["time"].get<std::string>()) << " by "
        << cell(by["user"].get<std::string>()) << " (purge `"
        << by["purge"].get<std::string>().substr(0, 12)
        << "`): " << cell(by["reason"].get<std::string>()) << "\n\n";
  }
  out << "## Model details\n\n";
  out << "| | |\n|---|---|\n";
  out << "| Artifact | " << cell(name) << " |\n";
  out << "| Version | " << m["version"].dump() << " |\n";
  out << "| SHA-256 | `" << m["hash"].get<std::string>() << "` |\n";
  out << "| Recorded by node | `" << m["node"].get<std::string>() << "` |\n";
  out << "| Kind | " << cell(str(m, "kind")) << " |\n";
  out << "| Size | " << m["size"].dump() << " bytes |\n";
  out << "| Who | " << cell(str(m["created_by"], "name")) << " <"
      << cell(str(m["created_by"], "email")) << "> |\n";
  out << "| Owner | "
      << or_missing(str(m, "owner"), "mlake annotate " + name + " --owner")
      << " |\n";
  out << "| When | " << cell(str(m, "created")) << " |\n";
  out << "| Where | " << or_missing(str(m, "host"), "no host recorded")
      << " |\n";
  out << "| Security | " << cell(str(m, "security")) << " |\n\n";

  out << "## Intended use\n\n";
  out << or_missing(str(c["intended_use"], "description"),
                    "mlake annotate " + name + " --description")
      << "\n\n";
  out << "Why it was made: " << cell(str(c["intended_use"], "why")) << "\n";
  for (const auto& p : c["intended_use"]["promotions"]) {
    out << "\n- Promoted to **" << cell(p["alias"].get<std::string>())
        << "**: " << cell(p["message"].get<std::string>());
  }
  out << "\n\n## Training data\n\n";
  if (c["training_data"].empty()) {
    out << "*Not recorded* (name the datasets with `mlake run -i DATA`)\n\n";
  } else {
    out << "| Dataset | Used | Rows | Columns | Security | Approved | "
           "Owner |\n|---|---|---|---|---|---|---|\n";
    for (const auto& d : c["training_data"]) {
      const json mf = d.value("metafeatures", json::object());
      const json taint_of_data = d.value("taint", json());
      out << "| " << cell(d["ref"].get<std::string>())
          << (taint_of_data.is_string()
                  ? " **(" + taint_of_data.get<std::string>() + ")**"
                  : std::string())
          << " | " << (d["direct"].get<bool>() ? "directly" : "upstream")
          << " | " << (mf.contains("rows") ? mf["rows"].dump() : "-") << " | "
          << (mf.contains("columns") ? mf["columns"].dump() : "-") << " | "
          << cell(str(d, "security")) << " | "
          << (d["approved"].get<bool>() ? "yes" : "**no**") << " | "
          << (str(d, "owner").empty() ? "*not recorded*"
                                      : cell(str(d, "owner")))
          << " |\n";
    }
    out << "\n";
  }
  out << "## Training procedure\n\n";
  out << "- Step: " << cell(str(proc, "kind")) << ", node `"
      << proc["node"].get<std::string>() << "`\n";
  out << "- Algorithm: "
      << or_missing(str(proc, "algorithm"), "mlake run --algorithm") << "\n";
  if (proc.contains("params") && !proc["params"].empty()) {
    out << "- Parameters:";
    for (const auto& [k, val] : proc["params"].items()) {
      out << " `" << cell(k) << "=" << cell(value_text(val)) << "`";
    }
    out << "\n";
  } else {
    out << "- Parameters: *Not recorded* (mlake run -p KEY=VALUE)\n";
  }
  out << "- Command: "
      << (proc.contains("command") ? "`" + cell(proc["command"].dump()) + "`"
                                   : std::string("*Not recorded* (it was "
                                                 "added, not trained with "
                                                 "mlake run)"))
      << "\n";
  if (proc.contains("code") && proc["code"].contains("git")) {
    const json& git = proc["code"]["git"];
    out << "- Code: git "
        << (git.value("commit", json()).is_string()
                ? "`" + git["commit"].get<std::string>() + "`"
                : std::string("*no commit*"))
        << (git.value("dirty", false) ? " with uncommitted changes" : "")
        << "\n";
  } else {
    out << "- Code: *Not recorded* (run the training inside a git "
           "repository)\n";
  }
  if (proc.contains("env") && proc["env"].is_object()) {
    out << "- Environment:";
    const json& env = proc["env"];
    for (const char* key : {"os", "distribution", "arch", "mlake"}) {
      if (env.contains(key)) {
        out << " " << key << " " << cell(value_text(env[key])) << ";";
      }
    }
    if (env.contains("cpu") && env["cpu"].is_object()) {
      out << " cpu " << cell(str(env["cpu"], "model")) << " x"
          << env["cpu"].value("count", json(0)).dump() << ";";
    }
    if (env.contains("interpreter") && env["interpreter"].is_object()) {
      out << " " << cell(str(env["interpreter"], "name")) << " "
          << cell(str(env["interpreter"], "version")) << ";";
    }
    out << "\n";
  }
  out << "\n## Evaluation\n\n";
  if (c["evaluation"].empty()) {
    out << "*Not recorded* (mlake run --kind evaluate -i " << cell(name)
        << " -M metrics.json)\n\n";
  } else {
    out << "| Metric | Value | Recorded by |\n|---|---|---|\n";
    for (const auto& e : c["evaluation"]) {
      out << "| " << cell(e["key"].get<std::string>()) << " | "
          << e["value"].dump() << " | " << cell(e["kind"].get<std::string>())
          << " `" << e["node"].get<std::string>().substr(0, 12) << "` |\n";
    }
    out << "\n";
  }
  out << "## Lineage\n\n```mermaid\n"
      << c["lineage"]["mermaid"].get<std::string>() << "```\n\n";
  const json& g = c["governance"];
  out << "## Governance\n\n";
  out << "- Approved: "
      << (g["approved"].get<bool>()
              ? "yes, by " + cell(join_strings(g["approved_by"]))
              : std::string("**no**"))
      << "\n";
  out << "- Aliases: "
      << (g["aliases"].empty() ? "none" : cell(join_strings(g["aliases"])))
      << "\n";
  for (const auto& a : g["approvals"]) {
    out << "- " << cell(a["time"].get<std::string>()) << " "
        << cell(a["decision"].get<std::string>()) << " by "
        << cell(a["user"]["name"].get<std::string>()) << ": "
        << cell(a["message"].get<std::string>()) << "\n";
  }
  if (g["policy"].is_null()) {
    out << "- Policy: none (.mlake/policy.yaml)\n";
  } else {
    out << "- Policy " << cell(g["policy"]["path"].get<std::string>()) << ": "
        << (g["policy"]["ok"].get<bool>() ? "passes" : "**broken**") << "\n";
    for (const auto& violation : g["policy"]["violations"]) {
      out << "  - " << cell(violation["rule"].get<std::string>()) << ": "
          << cell(violation["message"].get<std::string>()) << "\n";
    }
  }
  if (!c["missing"].empty()) {
    out << "\n## Not recorded\n\n";
    for (const auto& f : c["missing"]) {
      out << "- " << cell(f["field"].get<std::string>()) << ": `"
          << cell(f["fix"].get<std::string>()) << "`\n";
    }
  }
  return out.str();
}

} // namespace mlake::governance
