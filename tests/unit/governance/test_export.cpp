#include <mlake/governance/export.hpp>
#include <mlake/lake/lake.hpp>
#include <mlake/lineage/run.hpp>
#include <mlake/util/error.hpp>

#include <catch2/catch.hpp>

#include <regex>
#include <set>
#include <string>
#include <vector>

#include "lineage/lineage_support.hpp"
#include "test_support.hpp"

using mlake::Exit;
using mlake::json;
using mlake::governance::export_lineage;
using mlake::governance::ExportFormat;
using mlake::governance::ExportOptions;
using mlake::governance::parse_export_format;
using mlake::governance::run_uuid;
using mlake::test::error_of;
using mlake::test::LakeFixture;
using mlake::test::sh_run;
using mlake::test::write_file;
namespace lineage = mlake::lineage;

namespace {

// data.csv -> (process) -> clean.csv -> (train) -> model.txt, with data.csv
// added by the first run, and a failed run that read clean.csv.
struct Pipeline
{
  LakeFixture f;
  std::string add, process, train, failed;

  Pipeline()
  {
    write_file(f.root / "data.csv", "x,y\n1,a\n2,b\n3,a\n");
    auto p = lineage::run(f.lake,
                          sh_run(f,
                                 "grep -v '^3' data.csv > clean.csv",
                                 {"data.csv"},
                                 {"clean.csv"},
                                 "drop row 3"));
    REQUIRE(p.inputs_node);
    REQUIRE(p.node);
    add = *p.inputs_node;
    process = *p.node;
    auto options = sh_run(f,
                          "wc -l < clean.csv > model.txt",
                          {"clean.csv"},
                          {"model.txt"},
                          "fit");
    options.kind = "train";
    options.params = {"lr=0.5", "name=tiny"};
    options.study = "iris";
    auto t = lineage::run(f.lake, options);
    REQUIRE(t.node);
    train = *t.node;
    auto bad = lineage::run(
        f.lake, sh_run(f, "exit 3", {"clean.csv"}, {}, "this one fails"));
    REQUIRE(bad.exit_code == 3);
    REQUIRE(bad.node);
    failed = *bad.node;
  }

  json
  prov(const std::string& ref)
  {
    return json::parse(export_lineage(f.lake, ref, f.root, {}));
  }

  json
  openlineage(const std::string& ref, bool lines = false)
  {
    ExportOptions options;
    options.format = ExportFormat::openlineage;
    options.lines = lines;
    std::string text = export_lineage(f.lake, ref, f.root, options);
    if (!lines) {
      return json::parse(text);
    }
    json events = json::array();
    std::size_t at = 0;
    while (at < text.size()) {
      auto end = text.find('\n', at);
      REQUIRE(end != std::string::npos);
      events.push_back(json::parse(text.substr(at, end - at)));
      at = end + 1;
    }
    return events;
  }
};

std::set<std::string>
keys(const json& object)
{
  std::set<std::string> out;
  for (const auto& [key, value] : object.items()) {
    out.insert(key);
  }
  return out;
}

} // namespace

TEST_CASE("run_uuid is a version 5 UUID of the node id", "[governance]")
{
  // Python: uuid.uuid5(uuid.NAMESPACE_URL, "mlake:node/" + id)
  CHECK(run_uuid(std::string(64, '0')) ==
        "f8ecd7da-63a5-5e12-9d4d-8965533f474d");
  CHECK(run_uuid("abc") == "c801260f-398b-54b4-a707-3b37901adbb9");
}

TEST_CASE("parse_export_format knows two formats", "[governance]")
{
  CHECK(parse_export_format("prov-json") == ExportFormat::prov_json);
  CHECK(parse_export_format("openlineage") == ExportFormat::openlineage);
  auto e = error_of([] { parse_export_format("rdf"); });
  REQUIRE(e);
  CHECK(e->code() == Exit::usage);
  CHECK(std::string(e->what()) == "unknown export format 'rdf'");
}

TEST_CASE("PROV-JSON of a model: every relation names what exists",
          "[governance]")
{
  Pipeline p;
  json doc = p.prov("model.txt");
  REQUIRE(doc.contains("prefix"));
  CHECK(doc["prefix"].contains("mlake"));
  // The upstream lineage: the add, the process and the train; not the
  // failed run, which made nothing the model came from.
  CHECK(keys(doc["activity"]) ==
        std::set<std::string>{"mlake:node/" + p.add,
                              "mlake:node/" + p.process,
                              "mlake:node/" + p.train});
  CHECK(doc["entity"].contains("mlake:version/data.csv@1"));
  CHECK(doc["entity"].contains("mlake:version/clean.csv@1"));
  CHECK(doc["entity"].contains("mlake:version/model.txt@1"));
  const json& model = doc["entity"]["mlake:version/model.txt@1"];
  CHECK(model["mlake:kind"] == "model");
  CHECK(model["prov:type"]["$"] == "mlake:model");
  CHECK(model["mlake:hash"].get<std::string>().size() == 64);

  const json& train = doc["activity"]["mlake:node/" + p.train];
  CHECK(train["prov:type"]["$"] == "mlake:train");
  CHECK(train["mlake:message"] == "fit");
  CHECK(train["mlake:study"] == "iris");
  CHECK(json::parse(train["mlake:params"].get<std::string>()) ==
        json{{"lr", 0.5}, {"name", "tiny"}});
  CHECK(train["prov:startTime"] <= train["prov:endTime"]);

  REQUIRE(doc["agent"].size() == 1);
  const json& agent = doc["agent"].begin().value();
  CHECK(agent["prov:type"]["$"] == "prov:Person");
  CHECK(agent["mlake:email"] == "ada@example.org");

  auto has = [&](const char* section, const std::string& id) {
    return doc[section].contains(id);
  };
  std::set<std::string> ids;
  for (const char* relation : {"used",
                               "wasGeneratedBy",
                               "wasAssociatedWith",
                               "wasAttributedTo",
                               "wasDerivedFrom",
                               "wasInformedBy"}) {
    REQUIRE(doc.contains(relation));
    for (const auto& [id, r] : doc[relation].items()) {
      CHECK(ids.insert(id).second); // unique over the whole document
      for (const char* key :
           {"prov:activity", "prov:informed", "prov:informant"}) {
        if (r.contains(key)) {
          CHECK(has("activity", r[key]));
        }
      }
      for (const char* key :
           {"prov:entity", "prov:generatedEntity", "prov:usedEntity"}) {
        if (r.contains(key)) {
          CHECK(has("entity", r[key]));
        }
      }
      if (r.contains("prov:agent")) {
        CHECK(has("agent", r["prov:agent"]));
      }
      if (r.contains("prov:generation")) {
        CHECK(doc["wasGeneratedBy"].contains(r["prov:generation"]));
        CHECK(doc["used"].contains(r["prov:usage"]));
      }
    }
  }
  // The model derives from the cleaned data, through the train.
  bool derived = false;
  for (const auto& [id, r] : doc["wasDerivedFrom"].items()) {
    derived |= r["prov:generatedEntity"] == "mlake:version/model.txt@1" &&
               r["prov:usedEntity"] == "mlake:version/clean.csv@1" &&
               r["prov:activity"] == "mlake:node/" + p.train;
  }
  CHECK(derived);
  // The train was informed by the process, which was informed by the add.
  std::set<std::pair<std::string, std::string>> informed;
  for (const auto& [id, r] : doc["wasInformedBy"].items()) {
    informed.emplace(r["prov:informed"], r["prov:informant"]);
  }
  CHECK(informed == std::set<std::pair<std::string, std::string>>{
                        {"mlake:node/" + p.process, "mlake:node/" + p.add},
                        {"mlake:node/" + p.train, "mlake:node/" + p.process}});
}

TEST_CASE("OpenLineage events: one per node, in time order, stable run ids",
          "[governance]")
{
  Pipeline p;
  json events = p.openlineage("model.txt");
  REQUIRE(events.is_array());
  REQUIRE(events.size() == 3);
  std::vector<std::string> run_ids;
  std::string previous;
  static const std::regex uuid(
      "[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
  for (const auto& e : events) {
    for (const char* key :
         {"eventType", "eventTime", "producer", "schemaURL", "run", "job"}) {
      CHECK(e.contains(key));
    }
    CHECK(e["eventType"] == "COMPLETE");
    CHECK(e["eventTime"].get<std::string>() >= previous);
    previous = e["eventTime"];
    CHECK(std::regex_match(e["run"]["runId"].get<std::string>(), uuid));
    run_ids.push_back(e["run"]["runId"]);
    CHECK(e["job"]["namespace"] == "mlake://project");
    for (const auto& [name, facet] : e["run"]["facets"].items()) {
      CHECK(facet.contains("_producer"));
      CHECK(facet.contains("_schemaURL"));
    }
    for (const char* side : {"inputs", "outputs"}) {
      for (const auto& d : e[side]) {
        CHECK(d.contains("namespace"));
        CHECK(d.contains("name"));
        CHECK(d["facets"]["version"]["datasetVersion"]
                  .get<std::string>()
                  .size() == 64);
      }
    }
  }
  CHECK(run_ids == std::vector<std::string>{run_uuid(p.add),
                                            run_uuid(p.process),
                                            run_uuid(p.train)});
  const json& train = events[2];
  CHECK(train["job"]["name"] == "train:iris");
  CHECK(train["run"]["facets"]["mlake_params"]["params"]["lr"] == 0.5);
  CHECK(train["inputs"][0]["name"] == "clean.csv");
  // clean.csv is a CSV with a header: its columns are the schema.
  const json& schema = train["inputs"][0]["facets"]["schema"]["fields"];
  REQUIRE(schema.size() == 2);
  CHECK(schema[0]["name"] == "x");
  CHECK(schema[0]["type"] == "integer");
  CHECK(train["outputs"][0]["name"] == "model.txt");
}

TEST_CASE("OpenLineage: a failed run is a FAIL event without outputs",
          "[governance]")
{
  Pipeline p;
  json events = p.openlineage(p.failed.substr(0, 12));
  REQUIRE(events.size() == 3); // add, process, the failed run
  const json& last = events.back();
  CHECK(last["run"]["runId"] == run_uuid(p.failed));
  CHECK(last["eventType"] == "FAIL");
  CHECK(last["outputs"].empty());
  CHECK(last["run"]["facets"]["errorMessage"]["message"] ==
        "the command exited with code 3");
}

TEST_CASE("export is deterministic, and --lines holds the same events",
          "[governance]")
{
  Pipeline p;
  ExportOptions ol;
  ol.format = ExportFormat::openlineage;
  for (const auto& options : {ExportOptions{}, ol}) {
    CHECK(export_lineage(p.f.lake, "model.txt", p.f.root, options) ==
          export_lineage(p.f.lake, "model.txt", p.f.root, options));
  }
  CHECK(p.openlineage("model.txt", true) == p.openlineage("model.txt"));
  // A new lake object reading the same files gives the same bytes.
  std::string before = export_lineage(p.f.lake, "model.txt", p.f.root, ol);
  auto reopened = mlake::lake::Lake::open(p.f.root);
  CHECK(export_lineage(reopened, "model.txt", p.f.root, ol) == before);
}

TEST_CASE("OpenLineage with start events pairs START with COMPLETE",
          "[governance]")
{
  Pipeline p;
  ExportOptions options;
  options.format = ExportFormat::openlineage;
  options.start_events = true;
  json events =
      json::parse(export_lineage(p.f.lake, "model.txt", p.f.root, options));
  REQUIRE(events.size() == 6);
  std::set<std::string> started;
  for (const auto& e : events) {
    std::string run = e["run"]["runId"];
    if (e["eventType"] == "START") {
      CHECK(started.insert(run).second);
      CHECK(e["outputs"].empty());
    } else {
      CHECK(started.count(run) == 1); // its START came first
    }
  }
}

TEST_CASE("export of an unknown ref is not_found", "[governance]")
{
  Pipeline p;
  for (const char* ref : {"nothing.csv", "model.txt@7", "ffffffffffff"}) {
    auto e = error_of([&] { export_lineage(p.f.lake, ref, p.f.root, {}); });
    REQUIRE(e);
    CHECK(e->code() == Exit::not_found);
  }
}
