#include <mlake/lake/lake.hpp>
#include <mlake/lineage/run.hpp>
#include <mlake/lineage/study.hpp>
#include <mlake/util/error.hpp>

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "lineage/lineage_support.hpp"
#include "test_support.hpp"

using mlake::Exit;
using mlake::json;
using mlake::test::error_of;
using mlake::test::LakeFixture;
using mlake::test::sh_run;
namespace lineage = mlake::lineage;

namespace {

struct StudyLake
{
  LakeFixture f;
  std::vector<std::string> nodes;

  // A run in `study` / `analysis` / `task` that writes `output` and
  // reports `accuracy`.
  std::string
  run(const std::string& study,
      const std::string& analysis,
      const std::string& task,
      const std::string& output,
      const std::string& accuracy,
      const std::string& message)
  {
    auto options =
        sh_run(f,
               "echo " + message + " > " + output +
                   " && echo 'accuracy: " + accuracy + "' > metrics.yaml",
               {},
               {output},
               message);
    options.kind = "train";
    options.study = study;
    options.analysis = analysis;
    options.task = task;
    options.algorithm = "centroid";
    options.params = {"lr=0.5", "name=" + message};
    options.metrics_files = {"metrics.yaml"};
    auto result = lineage::run(f.lake, options);
    REQUIRE(result.exit_code == 0);
    REQUIRE(result.node);
    nodes.push_back(*result.node);
    return *result.node;
  }
};

} // namespace

TEST_CASE("studies lists every study the runs named", "[lineage]")
{
  StudyLake s;
  CHECK(lineage::studies(s.f.lake) == json::array());

  s.run("iris", "baseline", "classify", "model_a.pt", "0.9", "first");
  s.run("iris", "baseline", "classify", "model_b.pt", "0.95", "second");
  s.run("iris", "tuned", "classify", "model_c.pt", "0.97", "third");
  s.run("digits", "baseline", "classify", "model_d.pt", "0.8", "fourth");
  // A run without a study is in none.
  REQUIRE(lineage::run(s.f.lake, sh_run(s.f, "true", {}, {}, "no study")).node);

  json list = lineage::studies(s.f.lake);
  REQUIRE(list.size() == 2);
  // Sorted by name.
  CHECK(list[0]["name"] == "digits");
  CHECK(list[0]["analyses"] == 1);
  CHECK(list[0]["tasks"] == 1);
  CHECK(list[0]["runs"] == 1);
  CHECK(list[1]["name"] == "iris");
  CHECK(list[1]["analyses"] == 2);
  CHECK(list[1]["tasks"] == 2);
  CHECK(list[1]["runs"] == 3);
  // The time of the newest run of the study.
  auto third = s.f.lake.nodes().read(s.nodes[2]);
  REQUIRE(third);
  CHECK(list[1]["latest"] == (*third)["time"]["end"]);
  auto fourth = s.f.lake.nodes().read(s.nodes[3]);
  REQUIRE(fourth);
  CHECK(list[0]["latest"] == (*fourth)["time"]["end"]);
}

TEST_CASE("study groups its runs by analysis and task", "[lineage]")
{
  StudyLake s;
  std::string first =
      s.run("iris", "baseline", "classify", "model_a.pt", "0.9", "first");
  std::string second =
      s.run("iris", "baseline", "classify", "model_b.pt", "0.95", "second");
  std::string third =
      s.run("iris", "tuned", "cluster", "model_c.pt", "0.97", "third");
  s.run("digits", "baseline", "classify", "model_d.pt", "0.8", "other study");

  json doc = lineage::study(s.f.lake, "iris");
  CHECK(doc["name"] == "iris");
  REQUIRE(doc["analyses"].size() == 2);
  const json& baseline = doc["analyses"][0];
  CHECK(baseline["name"] == "baseline");
  REQUIRE(baseline["tasks"].size() == 1);
  CHECK(baseline["tasks"][0]["name"] == "classify");
  const json& runs = baseline["tasks"][0]["runs"];
  REQUIRE(runs.size() == 2);
  CHECK(runs[0]["id"] == first);
  CHECK(runs[1]["id"] == second);

  const json& run = runs[0];
  CHECK(run["kind"] == "train");
  CHECK(run["message"] == "first");
  CHECK(run["user"] ==
        json({{"name", "Ada Tester"}, {"email", "ada@example.org"}}));
  CHECK(run["algorithm"] == "centroid");
  CHECK(run["exit_code"] == 0);
  CHECK(run["params"] == json({{"lr", 0.5}, {"name", "first"}}));
  CHECK(run["metrics"] == json({{"accuracy", 0.9}}));
  REQUIRE(run["outputs"].size() == 1);
  CHECK(run["outputs"][0] ==
        json({{"artifact", "model_a.pt"}, {"version", 1}, {"kind", "model"}}));
  auto node = s.f.lake.nodes().read(first);
  REQUIRE(node);
  CHECK(run["time"] == (*node)["time"]["end"]);
  CHECK(runs[1]["metrics"]["accuracy"] == 0.95);

  const json& tuned = doc["analyses"][1];
  CHECK(tuned["name"] == "tuned");
  REQUIRE(tuned["tasks"].size() == 1);
  CHECK(tuned["tasks"][0]["name"] == "cluster");
  REQUIRE(tuned["tasks"][0]["runs"].size() == 1);
  CHECK(tuned["tasks"][0]["runs"][0]["id"] == third);
  // The other study's run is not here.
  CHECK(doc.dump().find("other study") == std::string::npos);
}

TEST_CASE("study counts the versions of a run's outputs", "[lineage]")
{
  StudyLake s;
  s.run("iris", "baseline", "classify", "model.pt", "0.9", "first");
  std::string second =
      s.run("iris", "baseline", "classify", "model.pt", "0.95", "second");
  json doc = lineage::study(s.f.lake, "iris");
  const json& runs = doc["analyses"][0]["tasks"][0]["runs"];
  REQUIRE(runs.size() == 2);
  CHECK(runs[1]["id"] == second);
  CHECK(runs[0]["outputs"][0]["version"] == 1);
  CHECK(runs[1]["outputs"][0]["version"] == 2);
}

TEST_CASE("study of an unknown name is not_found", "[lineage]")
{
  StudyLake s;
  s.run("iris", "baseline", "classify", "model.pt", "0.9", "first");
  auto error = error_of([&] { lineage::study(s.f.lake, "irises"); });
  REQUIRE(error);
  CHECK(error->code() == Exit::not_found);
  CHECK_THAT(error->what(), Catch::Contains("irises"));
}
