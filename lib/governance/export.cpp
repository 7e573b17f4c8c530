#include <mlake/governance/export.hpp>
#include <mlake/index/index.hpp>
#include <mlake/lake/lake.hpp>
#include <mlake/lineage/graph.hpp>
#include <mlake/util/error.hpp>

#include <openssl/evp.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstring>
#include <map>
#include <optional>
#include <set>
#include <tuple>
#include <unordered_map>

namespace mlake::governance {

namespace {

// Insertion-ordered objects: entries appear in the (sorted) order they are
// added, so that the output reads in time order and is the same each time.
using ojson = nlohmann::ordered_json;

constexpr const char* mlake_namespace_uri = "https://mlake.dev/ns#";
constexpr const char* ol_event_schema =
    "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent";
constexpr const char* ol_facets = "https://openlineage.io/spec/facets/";
// Where the schemas of mlake's own facets are named (custom facets must
// name one).
constexpr const char* mlake_facets = "https://mlake.dev/spec/facets/1-0-0/";
// Source files up to this size go into the sourceCode job facet.
constexpr std::uint64_t max_source_code = 64 * 1024;

std::string
short_hash(const std::string& hash)
{
  return hash.substr(0, 10);
}

// A command line for people: each word quoted for a POSIX shell where it
// needs it.
std::string
shell_join(const json& argv)
{
  std::string out;
  for (const auto& word : argv) {
    if (!word.is_string()) {
      continue;
    }
    const std::string& w = word.get_ref<const std::string&>();
    if (!out.empty()) {
      out += ' ';
    }
    bool plain =
        !w.empty() && std::all_of(w.begin(), w.end(), [](unsigned char c) {
          return std::isalnum(c) || std::strchr("@%+=:,./_-", c);
        });
    if (plain) {
      out += w;
    } else {
      out += '\'';
      for (char c : w) {
        out += c == '\'' ? std::string("'\\''") : std::string(1, c);
      }
      out += '\'';
    }
  }
  return out;
}

std::string
string_at(const json& node, const char* key)
{
  auto it = node.find(key);
  return it != node.end() && it->is_string() ? it->get<std::string>() : "";
}

// The programming language of a source file, by its extension; "" when
// unknown.
std::string
language_of(const std::string& path)
{
  static const std::map<std::string, std::string> by_ext = {
      {".py", "python"},
      {".r", "r"},
      {".R", "r"},
      {".jl", "julia"},
      {".js", "javascript"},
      {".mjs", "javascript"},
      {".sh", "shell"},
      {".bash", "shell"},
      {".sql", "sql"},
      {".scala", "scala"},
      {".java", "java"},
      {".rb", "ruby"},
      {".pl", "perl"},
      {".ipynb", "python"},
  };
  auto it = by_ext.find(fs::path(path).extension().string());
  return it == by_ext.end() ? "" : it->second;
}

// One input or output of a step, with the names both formats need.
struct Io
{
  std::string id; // "artifact@N", or "artifact@<hash prefix>"
  std::string artifact;
  int version = 0; // 0: unknown to this lake
  std::string hash;
  std::string type; // "file" or "dir"
  std::uint64_t size = 0;
  std::string path;
  std::string role;
  std::string producer; // the node that recorded the version, "" if unknown
};

struct CodeFile
{
  std::string path, hash, role;
  std::uint64_t size = 0;
};

// A step of the lineage with everything its node records.
struct Activity
{
  std::string id;
  std::string kind;
  std::string message;
  std::string user_name, user_email;
  std::string host;
  std::string start, end;
  json command; // the argv, or null
  std::optional<int> exit_code;
  json params = json::object();
  json metrics = json::object();
  std::string study, analysis, task, algorithm;
  json git;    // the node's code.git, or null
  json source; // an ingest's source, or null
  std::vector<CodeFile> code;
  std::vector<Io> inputs, outputs;
};

// Reads what the export needs from the lake: the steps of the upstream
// lineage of a ref, each with its full node, in time order.
class Collector
{
public:
  explicit Collector(lake::Lake& lake) : m_lake(lake), m_idx(lake.index()) {}

  std::vector<Activity>
  collect(const std::string& ref, const fs::path& cwd)
  {
    lineage::LineageOptions options;
    options.direction = lineage::Direction::up;
    options.depth = -1;
    lineage::Graph graph = lineage::lineage(m_lake, ref, cwd, options);
    std::vector<Activity> out;
    out.reserve(graph.steps.size());
    for (const auto& step : graph.steps) {
      out.push_back(activity(step));
    }
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
      return std::tie(a.end, a.start, a.id) < std::tie(b.end, b.start, b.id);
    });
    return out;
  }

  std::string
  artifact_kind(const std::string& artifact)
  {
    auto it = m_kinds.find(artifact);
    if (it == m_kinds.end()) {
      auto row = m_idx.artifact(artifact);
      it = m_kinds.emplace(artifact, row ? row->field("kind") : "").first;
    }
    return it->second;
  }

  std::optional<json>
  metafeatures(const Io& io)
  {
    if (io.producer.empty()) {
      return std::nullopt;
    }
    return m_idx.metafeatures(io.artifact, io.producer);
  }

  // The content of a code file, when the lake has it and it is small.
  std::optional<std::string>
  source_text(const CodeFile& file)
  {
    if (file.size > max_source_code) {
      return std::nullopt;
    }
    return m_lake.objects().read(file.hash);
  }

private:
  Activity
  activity(const lineage::Step& step)
  {
    Activity a;
    a.id = step.id;
    a.kind = step.kind;
    a.message = step.message;
    a.user_name = step.user_name;
    a.user_email = step.user_email;
    a.host = step.host;
    a.end = step.time;
    a.exit_code = step.exit_code;
    std::optional<json> node = m_lake.nodes().read(step.id);
    if (node && node->is_object()) {
      const json& n = *node;
      if (auto t = n.find("time"); t != n.end() && t->is_object()) {
        a.start = string_at(*t, "start");
        a.end = string_at(*t, "end");
      }
      if (auto c = n.find("command"); c != n.end() && c->is_array()) {
        a.command = *c;
      }
      for (auto [key, target] :
           {std::pair{"params", &a.params}, std::pair{"metrics", &a.metrics}}) {
        if (auto p = n.find(key); p != n.end() && p->is_object()) {
          *target = *p;
        }
      }
      a.study = string_at(n, "study");
      a.analysis = string_at(n, "analysis");
      a.task = string_at(n, "task");
      a.algorithm = string_at(n, "algorithm");
      if (auto s = n.find("source"); s != n.end() && s->is_object()) {
        a.source = *s;
      }
      if (auto c = n.find("code"); c != n.end() && c->is_object()) {
        if (auto g = c->find("git"); g != c->end() && g->is_object()) {
          a.git = *g;
        }
        if (auto f = c->find("files"); f != c->end() && f->is_array()) {
          for (const auto& file : *f) {
            a.code.push_back({string_at(file, "path"),
                              string_at(file, "hash"),
                              string_at(file, "role"),
                              file.value("size", std::uint64_t{0})});
          }
        }
      }
    } else {
      for (const auto& c : step.code) {
        a.code.push_back({c.path, c.hash, "code", c.size});
      }
    }
    if (a.start.empty()) {
      a.start = a.end;
    }
    for (const auto& row : m_idx.node_io(step.id)) {
      Io io;
      io.artifact = row.artifact;
      io.hash = row.hash;
      io.type = row.type;
      io.size = row.size;
      io.path = row.path;
      io.role = row.role;
      io.producer = row.direction == "in" ? row.source : row.node;
      io.version = ordinal(row.artifact, io.producer, row.hash);
      io.id = row.artifact + "@" +
              (io.version ? std::to_string(io.version) : short_hash(io.hash));
      (row.direction == "in" ? a.inputs : a.outputs).push_back(std::move(io));
    }
    auto by_id = [](const Io& x, const Io& y) { return x.id < y.id; };
    std::sort(a.inputs.begin(), a.inputs.end(), by_id);
    std::sort(a.outputs.begin(), a.outputs.end(), by_id);
    std::sort(a.code.begin(), a.code.end(), [](const auto& x, const auto& y) {
      return std::tie(x.path, x.hash) < std::tie(y.path, y.hash);
    });
    return a;
  }

  // The version number of `artifact` that `node` recorded as `hash`.
  int
  ordinal(const std::string& artifact,
          const std::string& node,
          const std::string& hash)
  {
    if (node.empty()) {
      return 0;
    }
    auto it = m_versions.find(artifact);
    if (it == m_versions.end()) {
      it = m_versions.emplace(artifact, m_idx.versions(artifact)).first;
    }
    for (const auto& v : it->second) {
      if (v.node == node && v.hash == hash) {
        return v.ordinal;
      }
    }
    return 0;
  }

  lake::Lake& m_lake;
  index::Index& m_idx;
  std::unordered_map<std::string, std::string> m_kinds;
  std::unordered_map<std::string, std::vector<index::VersionRow>> m_versions;
};

// --- PROV-JSON ---------------------------------------------------------

ojson
qname(const std::string& name)
{
  return {{"$", name}, {"type", "prov:QUALIFIED_NAME"}};
}

ojson
typed(const std::string& value, const char* type)
{
  return {{"$", value}, {"type", type}};
}

std::string
entity_id(const Io& io)
{
  return "mlake:version/" + io.id;
}

std::string
code_id(const CodeFile& c)
{
  return "mlake:code/" + c.path + "@" + short_hash(c.hash);
}

std::string
activity_id(const Activity& a)
{
  return "mlake:node/" + a.id;
}

std::string
agent_id(const Activity& a)
{
  return "mlake:user/" + (a.user_email.empty() ? a.user_name : a.user_email);
}

std::string
render_prov(Collector& collector, const std::vector<Activity>& activities)
{
  ojson doc;
  doc["prefix"] = {{"mlake", mlake_namespace_uri},
                   {"xsd", "http://www.w3.org/2001/XMLSchema#"}};
  ojson entities = ojson::object(), acts = ojson::object(),
        agents = ojson::object();
  ojson used = ojson::object(), generated = ojson::object(),
        associated = ojson::object(), attributed = ojson::object(),
        derived = ojson::object(), informed = ojson::object();
  std::set<std::string> known_activities;
  for (const auto& a : activities) {
    known_activities.insert(a.id);
  }

  auto add_entity = [&](const Io& io) {
    std::string id = entity_id(io);
    if (entities.contains(id)) {
      return id;
    }
    std::string kind = collector.artifact_kind(io.artifact);
    ojson e;
    e["prov:label"] = io.id;
    e["prov:type"] = qname("mlake:" + (kind.empty() ? "artifact" : kind));
    e["mlake:artifact"] = io.artifact;
    if (io.version) {
      e["mlake:version"] = io.version;
    }
    e["mlake:hash"] = io.hash;
    e["mlake:size"] = typed(std::to_string(io.size), "xsd:long");
    e["mlake:kind"] = kind;
    e["mlake:contentType"] = io.type;
    e["mlake:path"] = io.path;
    entities[id] = std::move(e);
    return id;
  };
  auto number = [](const char* prefix, ojson& relation) {
    return std::string("_:") + prefix + std::to_string(relation.size() + 1);
  };

  for (const auto& a : activities) {
    const std::string act = activity_id(a);
    ojson activity;
    activity["prov:startTime"] = a.start;
    activity["prov:endTime"] = a.end;
    activity["prov:type"] = qname("mlake:" + a.kind);
    activity["prov:label"] = a.kind + " " + short_hash(a.id);
    activity["mlake:message"] = a.message;
    activity["mlake:host"] = a.host;
    if (a.command.is_array()) {
      activity["mlake:command"] = shell_join(a.command);
    }
    if (a.exit_code) {
      activity["mlake:exitCode"] = *a.exit_code;
    }
    if (!a.params.empty()) {
      activity["mlake:params"] = a.params.dump();
    }
    if (!a.metrics.empty()) {
      activity["mlake:metrics"] = a.metrics.dump();
    }
    for (auto [key, value] : {std::pair{"mlake:study", &a.study},
                              std::pair{"mlake:analysis", &a.analysis},
                              std::pair{"mlake:task", &a.task},
                              std::pair{"mlake:algorithm", &a.algorithm}}) {
      if (!value->empty()) {
        activity[key] = *value;
      }
    }
    if (a.git.is_object()) {
      if (auto commit = string_at(a.git, "commit"); !commit.empty()) {
        activity["mlake:gitCommit"] = commit;
      }
      if (auto branch = string_at(a.git, "branch"); !branch.empty()) {
        activity["mlake:gitBranch"] = branch;
      }
      if (auto remote = string_at(a.git, "remote"); !remote.empty()) {
        activity["mlake:gitRemote"] = remote;
      }
      if (auto dirty = a.git.find("dirty");
          dirty != a.git.end() && dirty->is_boolean()) {
        activity["mlake:gitDirty"] = dirty->get<bool>();
      }
    }
    acts[act] = std::move(activity);

    const std::string agent = agent_id(a);
    if (!agents.contains(agent)) {
      agents[agent] = {{"prov:type", qname("prov:Person")},
                       {"prov:label", a.user_name},
                       {"mlake:name", a.user_name},
                       {"mlake:email", a.user_email}};
    }
    std::string assoc = number("a", associated);
    associated[assoc] = {{"prov:activity", act}, {"prov:agent", agent}};

    // An ingest reads from outside the lake: its source is an entity too.
    std::optional<std::string> source_entity;
    if (a.source.is_object()) {
      std::string location = string_at(a.source, "location");
      source_entity = "mlake:source/" + location;
      if (!entities.contains(*source_entity)) {
        entities[*source_entity] = {
            {"prov:label", location},
            {"prov:type", qname("mlake:source")},
            {"prov:location", location},
            {"mlake:sourceType", string_at(a.source, "type")}};
      }
    }

    std::vector<std::pair<std::string, std::string>> usages; // entity, id
    if (source_entity) {
      std::string u = number("u", used);
      used[u] = {{"prov:activity", act},
                 {"prov:entity", *source_entity},
                 {"prov:time", a.start},
                 {"prov:role", "source"}};
      usages.emplace_back(*source_entity, u);
    }
    std::set<std::string> informants;
    for (const auto& io : a.inputs) {
      std::string ent = add_entity(io);
      std::string u = number("u", used);
      used[u] = {{"prov:activity", act},
                 {"prov:entity", ent},
                 {"prov:time", a.start},
                 {"prov:role", io.role.empty() ? "input" : io.role}};
      usages.emplace_back(ent, u);
      if (known_activities.count(io.producer) && io.producer != a.id) {
        informants.insert(io.producer);
      }
    }
    for (const auto& c : a.code) {
      std::string ent = code_id(c);
      if (!entities.contains(ent)) {
        entities[ent] = {
            {"prov:label", c.path},
            {"prov:type", qname("mlake:code")},
            {"mlake:path", c.path},
            {"mlake:hash", c.hash},
            {"mlake:size", typed(std::to_string(c.size), "xsd:long")}};
      }
      std::string u = number("u", used);
      used[u] = {{"prov:activity", act},
                 {"prov:entity", ent},
                 {"prov:time", a.start},
                 {"prov:role", c.role.empty() ? "code" : c.role}};
    }
    for (const auto& io : a.outputs) {
      std::string ent = add_entity(io);
      std::string g = number("g", generated);
      generated[g] = {
          {"prov:entity", ent}, {"prov:activity", act}, {"prov:time", a.end}};
      std::string at = number("t", attributed);
      attributed[at] = {{"prov:entity", ent}, {"prov:agent", agent}};
      // What a step wrote derives from the data it read (not from its code:
      // that is how, not what).
      for (const auto& [used_entity, usage] : usages) {
        std::string d = number("d", derived);
        derived[d] = {{"prov:generatedEntity", ent},
                      {"prov:usedEntity", used_entity},
                      {"prov:activity", act},
                      {"prov:generation", g},
                      {"prov:usage", usage}};
      }
    }
    for (const auto& informant : informants) {
      std::string i = number("i", informed);
      informed[i] = {{"prov:informed", act},
                     {"prov:informant", "mlake:node/" + informant}};
    }
  }

  doc["entity"] = std::move(entities);
  doc["activity"] = std::move(acts);
  doc["agent"] = std::move(agents);
  for (auto [name, relation] : {std::pair{"used", &used},
                                std::pair{"wasGeneratedBy", &generated},
                                std::pair{"wasAssociatedWith", &associated},
                                std::pair{"wasAttributedTo", &attributed},
                                std::pair{"wasDerivedFrom", &derived},
                                std::pair{"wasInformedBy", &informed}}) {
    if (!relation->empty()) {
      doc[name] = std::move(*relation);
    }
  }
  return doc.dump(2, ' ', false, ojson::error_handler_t::replace) + "\n";
}

// --- OpenLineage -------------------------------------------------------

ojson
facet(const std::string& schema_url)
{
  return {{"_producer", export_producer()}, {"_schemaURL", schema_url}};
}

ojson
ol_facet(const std::string& path, const std::string& name)
{
  return facet(std::string(ol_facets) + path + "#/$defs/" + name);
}

ojson
mlake_facet(const std::string& name)
{
  return facet(std::string(mlake_facets) + name + ".json#/$defs/" + name);
}

// The job a node is a run of: its kind, and what it ran or worked on, so
// that runs of the same script (or study task) group into one job.
std::string
job_name(const Activity& a)
{
  std::string detail;
  for (const auto* part : {&a.study, &a.analysis, &a.task}) {
    if (!part->empty()) {
      detail += (detail.empty() ? "" : "/") + *part;
    }
  }
  if (detail.empty()) {
    for (const auto& c : a.code) {
      if (c.role == "code") {
        detail = c.path;
        break;
      }
    }
  }
  if (detail.empty() && a.command.is_array() && !a.command.empty() &&
      a.command[0].is_string()) {
    detail = fs::path(a.command[0].get<std::string>()).filename().string();
  }
  if (detail.empty() && !a.outputs.empty()) {
    detail = a.outputs.front().artifact;
  }
  return detail.empty() ? a.kind : a.kind + ":" + detail;
}

ojson
dataset(Collector& collector, const Io& io, const std::string& ns)
{
  ojson facets;
  ojson version = ol_facet("1-0-0/DatasetVersionDatasetFacet.json",
                           "DatasetVersionDatasetFacet");
  version["datasetVersion"] = io.hash;
  facets["version"] = std::move(version);
  if (auto mf = collector.metafeatures(io); mf && mf->is_object()) {
    auto columns = mf->find("columns_info");
    if (columns != mf->end() && columns->is_array() && !columns->empty()) {
      ojson schema =
          ol_facet("1-0-0/SchemaDatasetFacet.json", "SchemaDatasetFacet");
      ojson fields = ojson::array();
      for (const auto& c : *columns) {
        fields.push_back(
            {{"name", string_at(c, "name")}, {"type", string_at(c, "type")}});
      }
      schema["fields"] = std::move(fields);
      facets["schema"] = std::move(schema);
    }
  }
  ojson lake_version = mlake_facet("MlakeVersionDatasetFacet");
  lake_version["version"] = io.id;
  if (io.version) {
    lake_version["ordinal"] = io.version;
  }
  lake_version["hash"] = io.hash;
  lake_version["size"] = io.size;
  lake_version["type"] = io.type;
  lake_version["kind"] = collector.artifact_kind(io.artifact);
  lake_version["path"] = io.path;
  facets["mlake_version"] = std::move(lake_version);
  return {{"namespace", ns}, {"name", io.artifact}, {"facets", facets}};
}

// The namespace and name of an ingest's source, as OpenLineage names
// datasets: "scheme://authority" and the path for a URL, "file" and the
// path for a local file.
std::pair<std::string, std::string>
source_dataset(const json& source)
{
  std::string location = string_at(source, "location");
  if (auto scheme = location.find("://"); scheme != std::string::npos) {
    auto path = location.find('/', scheme + 3);
    if (path == std::string::npos) {
      return {location, "/"};
    }
    return {location.substr(0, path), location.substr(path)};
  }
  return {"file", location};
}

ojson
run_event(Collector& collector,
          const Activity& a,
          const std::string& ns,
          bool start)
{
  const bool failed = a.exit_code && *a.exit_code != 0;
  ojson event;
  event["eventType"] = start ? "START" : failed ? "FAIL" : "COMPLETE";
  event["eventTime"] = start ? a.start : a.end;
  event["producer"] = export_producer();
  event["schemaURL"] = ol_event_schema;

  ojson run_facets;
  ojson engine = ol_facet("1-1-0/ProcessingEngineRunFacet.json",
                          "ProcessingEngineRunFacet");
  engine["version"] = MLAKE_VERSION;
  engine["name"] = "mlake";
  run_facets["processing_engine"] = std::move(engine);
  std::string language;
  for (const auto& c : a.code) {
    if (c.role == "code" && language.empty()) {
      language = language_of(c.path);
    }
  }
  if (failed && !start) {
    ojson error =
        ol_facet("1-0-0/ErrorMessageRunFacet.json", "ErrorMessageRunFacet");
    error["message"] =
        "the command exited with code " + std::to_string(*a.exit_code);
    error["programmingLanguage"] = language.empty() ? "unknown" : language;
    run_facets["errorMessage"] = std::move(error);
  }
  ojson node = mlake_facet("MlakeNodeRunFacet");
  node["id"] = a.id;
  node["kind"] = a.kind;
  node["message"] = a.message;
  node["user"] = {{"name", a.user_name}, {"email", a.user_email}};
  node["host"] = a.host;
  node["startTime"] = a.start;
  node["endTime"] = a.end;
  if (a.command.is_array()) {
    node["command"] = a.command;
  }
  if (a.exit_code) {
    node["exitCode"] = *a.exit_code;
  }
  for (auto [key, value] : {std::pair{"study", &a.study},
                            std::pair{"analysis", &a.analysis},
                            std::pair{"task", &a.task},
                            std::pair{"algorithm", &a.algorithm}}) {
    if (!value->empty()) {
      node[key] = *value;
    }
  }
  run_facets["mlake_node"] = std::move(node);
  if (!a.params.empty()) {
    ojson params = mlake_facet("MlakeParamsRunFacet");
    params["params"] = ojson::parse(a.params.dump());
    run_facets["mlake_params"] = std::move(params);
  }
  if (!a.metrics.empty() && !start) {
    ojson metrics = mlake_facet("MlakeMetricsRunFacet");
    metrics["metrics"] = ojson::parse(a.metrics.dump());
    run_facets["mlake_metrics"] = std::move(metrics);
  }
  event["run"] = {{"runId", run_uuid(a.id)}, {"facets", run_facets}};

  ojson job_facets;
  ojson job_type = ol_facet("2-0-2/JobTypeJobFacet.json", "JobTypeJobFacet");
  job_type["processingType"] = "BATCH";
  job_type["integration"] = "MLAKE";
  job_type["jobType"] = a.kind;
  job_facets["jobType"] = std::move(job_type);
  if (a.git.is_object()) {
    std::string remote = string_at(a.git, "remote");
    std::string commit = string_at(a.git, "commit");
    if (!remote.empty()) {
      ojson location = ol_facet("1-0-1/SourceCodeLocationJobFacet.json",
                                "SourceCodeLocationJobFacet");
      location["type"] = "git";
      location["url"] = remote;
      location["repoUrl"] = remote;
      if (auto path = string_at(a.git, "path"); !path.empty()) {
        location["path"] = path;
      }
      if (!commit.empty()) {
        location["version"] = commit;
      }
      if (auto branch = string_at(a.git, "branch"); !branch.empty()) {
        location["branch"] = branch;
      }
      job_facets["sourceCodeLocation"] = std::move(location);
    }
  }
  for (const auto& c : a.code) {
    if (c.role != "code") {
      continue;
    }
    if (auto text = collector.source_text(c)) {
      ojson code =
          ol_facet("1-0-0/SourceCodeJobFacet.json", "SourceCodeJobFacet");
      std::string lang = language_of(c.path);
      code["language"] = lang.empty() ? "unknown" : lang;
      code["sourceCode"] = std::move(*text);
      job_facets["sourceCode"] = std::move(code);
    }
    break; // the facet holds one file: the script the command ran
  }
  event["job"] = {
      {"namespace", ns}, {"name", job_name(a)}, {"facets", job_facets}};

  ojson inputs = ojson::array();
  if (a.source.is_object()) {
    auto [source_ns, source_name] = source_dataset(a.source);
    ojson source;
    source["namespace"] = source_ns;
    source["name"] = source_name;
    source["facets"] = ojson::object();
    inputs.push_back(std::move(source));
  }
  for (const auto& io : a.inputs) {
    inputs.push_back(dataset(collector, io, ns));
  }
  event["inputs"] = std::move(inputs);
  ojson outputs = ojson::array();
  if (!start && !failed) {
    for (const auto& io : a.outputs) {
      outputs.push_back(dataset(collector, io, ns));
    }
  }
  event["outputs"] = std::move(outputs);
  return event;
}

std::string
render_openlineage(Collector& collector,
                   const std::vector<Activity>& activities,
                   const std::string& ns,
                   bool lines,
                   bool start_events)
{
  std::vector<std::pair<std::string, ojson>> events; // by time, then kind
  for (const auto& a : activities) {
    if (start_events) {
      events.emplace_back(a.start, run_event(collector, a, ns, true));
    }
    events.emplace_back(a.end, run_event(collector, a, ns, false));
  }
  // Stable: a START and a COMPLETE at the same time stay in that order.
  std::stable_sort(
      events.begin(), events.end(), [](const auto& x, const auto& y) {
        return x.first < y.first;
      });
  std::string out;
  if (lines) {
    for (const auto& [time, event] : events) {
      out += event.dump(-1, ' ', false, ojson::error_handler_t::replace);
      out += '\n';
    }
    return out;
  }
  ojson array = ojson::array();
  for (auto& [time, event] : events) {
    array.push_back(std::move(event));
  }
  return array.dump(2, ' ', false, ojson::error_handler_t::replace) + "\n";
}

} // namespace

ExportFormat
parse_export_format(const std::string& name)
{
  if (name == "prov-json") {
    return ExportFormat::prov_json;
  }
  if (name == "openlineage") {
    return ExportFormat::openlineage;
  }
  throw Error(Exit::usage,
              "unknown export format " + quote(name),
              "the formats are 'prov-json' and 'openlineage'");
}

std::string
export_producer()
{
  return "https://mlake.dev/mlake/" MLAKE_VERSION;
}

std::string
run_uuid(const std::string& node_id)
{
  // RFC 4122 section 4.3: SHA-1 of the namespace's 16 bytes and the name.
  static const unsigned char url_namespace[16] = {0x6b,
                                                  0xa7,
                                                  0xb8,
                                                  0x11,
                                                  0x9d,
                                                  0xad,
                                                  0x11,
                                                  0xd1,
                                                  0x80,
                                                  0xb4,
                                                  0x00,
                                                  0xc0,
                                                  0x4f,
                                                  0xd4,
                                                  0x30,
                                                  0xc8};
  std::string name = "mlake:node/" + node_id;
  std::string input(reinterpret_cast<const char*>(url_namespace), 16);
  input += name;
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(
          input.data(), input.size(), digest, &length, EVP_sha1(), nullptr) !=
          1 ||
      length < 16) {
    throw Error(Exit::integrity, "cannot compute SHA-1 with OpenSSL");
  }
  digest[6] = static_cast<unsigned char>((digest[6] & 0x0f) | 0x50);
  digest[8] = static_cast<unsigned char>((digest[8] & 0x3f) | 0x80);
  std::string out;
  char hex[3];
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) {
      out += '-';
    }
    std::snprintf(hex, sizeof hex, "%02x", digest[i]);
    out += hex;
  }
  return out;
}

std::string
export_lineage(lake::Lake& lake,
               const std::string& ref,
               const fs::path& cwd,
               const ExportOptions& options)
{
  Collector collector(lake);
  std::vector<Activity> activities = collector.collect(ref, cwd);
  if (options.format == ExportFormat::prov_json) {
    return render_prov(collector, activities);
  }
  std::string ns = options.ol_namespace.empty()
                       ? "mlake://" + lake.root().filename().string()
                       : options.ol_namespace;
  return render_openlineage(
      collector, activities, ns, options.lines, options.start_events);
}

} // namespace mlake::governance
