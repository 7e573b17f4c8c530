#include <mlake/lake/lake.hpp>
#include <mlake/lineage/study.hpp>
#include <mlake/util/error.hpp>

#include <map>

namespace mlake::lineage {

json
studies(lake::Lake& lake)
{
  json out = json::array();
  for (const auto& s : lake.index().studies()) {
    out.push_back({{"name", s.name},
                   {"analyses", s.analyses},
                   {"tasks", s.tasks},
                   {"runs", s.runs},
                   {"latest", s.latest}});
  }
  return out;
}

json
study(lake::Lake& lake, const std::string& name)
{
  auto& idx = lake.index();
  auto nodes = idx.study_nodes(name);
  if (nodes.empty()) {
    throw Error(Exit::not_found,
                "no study named " + quote(name),
                "run 'mlake study list' to see the studies");
  }
  // analysis -> task -> runs, in the order the index gives them.
  json analyses = json::array();
  std::map<std::string, std::size_t> analysis_at;
  std::map<std::pair<std::string, std::string>, std::size_t> task_at;
  std::map<std::string, std::map<std::string, int>> ordinals;
  auto version_of = [&](const std::string& artifact, const std::string& node) {
    auto& known = ordinals[artifact];
    if (known.empty()) {
      for (const auto& v : idx.versions(artifact)) {
        known[v.node] = v.ordinal;
      }
    }
    return known.count(node) ? known[node] : 0;
  };
  for (const auto& n : nodes) {
    auto [a, new_analysis] =
        analysis_at.emplace(n.analysis, analysis_at.size());
    if (new_analysis) {
      analyses.push_back(
          {{"name", n.analysis.empty() ? json(nullptr) : json(n.analysis)},
           {"tasks", json::array()}});
    }
    json& tasks = analyses[a->second]["tasks"];
    auto [t, new_task] =
        task_at.emplace(std::pair{n.analysis, n.task}, tasks.size());
    if (new_task) {
      tasks.push_back({{"name", n.task.empty() ? json(nullptr) : json(n.task)},
                       {"runs", json::array()}});
    }
    json params = json::object();
    for (const auto& [key, value] : idx.params(n.id)) {
      params[key] = json::parse(value, nullptr, false);
    }
    json metrics = json::object();
    for (const auto& [key, value] : idx.metrics(n.id)) {
      metrics[key] = value;
    }
    json outputs = json::array();
    for (const auto& io : idx.node_io(n.id)) {
      if (io.direction != "out") {
        continue;
      }
      auto artifact = idx.artifact(io.artifact);
      outputs.push_back(
          {{"artifact", io.artifact},
           {"version", version_of(io.artifact, n.id)},
           {"kind", artifact ? artifact->field("kind", "other") : "other"}});
    }
    json run = {
        {"id", n.id},
        {"kind", n.kind},
        {"message", n.message},
        {"time", n.time_end},
        {"user", {{"name", n.user_name}, {"email", n.user_email}}},
        {"algorithm", n.algorithm.empty() ? json(nullptr) : json(n.algorithm)},
        {"exit_code", n.exit_code ? json(*n.exit_code) : json(nullptr)},
        {"params", params},
        {"metrics", metrics},
        {"outputs", outputs}};
    tasks[t->second]["runs"].push_back(std::move(run));
  }
  return {{"name", name}, {"analyses", analyses}};
}

} // namespace mlake::lineage
