#include <mlake/lake/lake.hpp>
#include <mlake/lineage/graph.hpp>
#include <mlake/lineage/run.hpp>
#include <mlake/util/error.hpp>
#include <mlake/util/hash.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "lineage/lineage_support.hpp"
#include "test_support.hpp"

using mlake::Exit;
using mlake::json;
using mlake::lineage::Direction;
using mlake::lineage::Graph;
using mlake::lineage::LineageOptions;
using mlake::test::error_of;
using mlake::test::LakeFixture;
using mlake::test::sh_run;
using mlake::test::write_file;
using mlake::util::sha256_hex;
namespace lineage = mlake::lineage;

namespace {

// a.txt -> (run b) -> b.txt -> (run c) -> c.txt, with a.txt added by the
// first run; and a side branch a.txt -> (run d) -> d.txt.
struct Chain
{
  LakeFixture f;
  std::string add_a, run_b, run_c, run_d;

  Chain()
  {
    write_file(f.root / "a.txt", "alpha\n");
    auto b = lineage::run(
        f.lake,
        sh_run(
            f, "tr a-z A-Z < a.txt > b.txt", {"a.txt"}, {"b.txt"}, "make b"));
    REQUIRE(b.inputs_node);
    REQUIRE(b.node);
    add_a = *b.inputs_node;
    run_b = *b.node;
    auto c = lineage::run(
        f.lake,
        sh_run(f, "rev < b.txt > c.txt", {"b.txt"}, {"c.txt"}, "make c"));
    REQUIRE_FALSE(c.inputs_node);
    REQUIRE(c.node);
    run_c = *c.node;
    auto d = lineage::run(
        f.lake,
        sh_run(f, "cat a.txt a.txt > d.txt", {"a.txt"}, {"d.txt"}, "make d"));
    REQUIRE(d.node);
    run_d = *d.node;
  }

  Graph
  graph(const std::string& ref, Direction direction, int depth = -1)
  {
    LineageOptions options;
    options.direction = direction;
    options.depth = depth;
    return lineage::lineage(f.lake, ref, f.root, options);
  }
};

std::set<std::string>
step_ids(const Graph& g)
{
  std::set<std::string> out;
  for (const auto& s : g.steps) {
    out.insert(s.id);
  }
  return out;
}

std::set<std::string>
version_ids(const Graph& g)
{
  std::set<std::string> out;
  for (const auto& v : g.versions) {
    out.insert(v.id);
  }
  return out;
}

// "from -> to (input|output)" for each edge.
std::set<std::string>
edges(const Graph& g)
{
  std::set<std::string> out;
  for (const auto& e : g.edges) {
    out.insert(e.from + " -> " + e.to + (e.input ? " (input)" : " (output)"));
  }
  return out;
}

const lineage::Step*
find_step(const Graph& g, const std::string& id)
{
  for (const auto& s : g.steps) {
    if (s.id == id) {
      return &s;
    }
  }
  return nullptr;
}

const lineage::Version*
find_version(const Graph& g, const std::string& id)
{
  for (const auto& v : g.versions) {
    if (v.id == id) {
      return &v;
    }
  }
  return nullptr;
}

std::size_t
count(const std::string& text, const std::string& what)
{
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos;
       at = text.find(what, at + what.size())) {
    ++n;
  }
  return n;
}

} // namespace

TEST_CASE("lineage up from a version goes back to the sources", "[lineage]")
{
  Chain chain;
  Graph g = chain.graph("c.txt@1", Direction::up);

  CHECK(g.direction == Direction::up);
  CHECK(g.root_is_version);
  CHECK(g.root == "c.txt@1");
  CHECK(g.root_version.artifact == "c.txt");
  CHECK(g.root_version.version == 1);
  CHECK(g.root_version.hash == sha256_hex("AHPLA\n"));
  CHECK(g.root_version.node == chain.run_c);

  REQUIRE(g.steps.size() == 3);
  CHECK(step_ids(g) ==
        std::set<std::string>{chain.add_a, chain.run_b, chain.run_c});
  CHECK(version_ids(g) ==
        std::set<std::string>{"a.txt@1", "b.txt@1", "c.txt@1"});
  CHECK(edges(g) == std::set<std::string>{
                        chain.add_a + " -> a.txt@1 (output)",
                        "a.txt@1 -> " + chain.run_b + " (input)",
                        chain.run_b + " -> b.txt@1 (output)",
                        "b.txt@1 -> " + chain.run_c + " (input)",
                        chain.run_c + " -> c.txt@1 (output)",
                    });
  CHECK(g.edges.size() == 5);

  const auto* add = find_step(g, chain.add_a);
  REQUIRE(add);
  CHECK(add->kind == "add");
  CHECK(add->command.empty());
  CHECK(add->user_name == "Ada Tester");
  const auto* run = find_step(g, chain.run_c);
  REQUIRE(run);
  CHECK(run->kind == "process");
  CHECK(run->message == "make c");
  CHECK(json::parse(run->command) == json({"sh", "-c", "rev < b.txt > c.txt"}));
  REQUIRE(run->exit_code);
  CHECK(*run->exit_code == 0);

  const auto* a = find_version(g, "a.txt@1");
  REQUIRE(a);
  CHECK(a->artifact == "a.txt");
  CHECK(a->version == 1);
  CHECK(a->hash == sha256_hex("alpha\n"));
  CHECK(a->node == chain.add_a);
  CHECK(a->size == 6);
  CHECK(a->type == "file");
  const auto* b = find_version(g, "b.txt@1");
  REQUIRE(b);
  CHECK(b->node == chain.run_b);
  CHECK(b->hash == sha256_hex("ALPHA\n"));
}

TEST_CASE("lineage up from a node id", "[lineage]")
{
  Chain chain;
  Graph g = chain.graph(chain.run_b, Direction::up);
  CHECK_FALSE(g.root_is_version);
  CHECK(g.root == chain.run_b);
  CHECK(step_ids(g) == std::set<std::string>{chain.add_a, chain.run_b});
  CHECK(version_ids(g) == std::set<std::string>{"a.txt@1"});
}

TEST_CASE("lineage down from a version reaches what was made of it",
          "[lineage]")
{
  Chain chain;
  Graph g = chain.graph("a.txt@1", Direction::down);
  CHECK(g.direction == Direction::down);
  CHECK(g.root == "a.txt@1");
  CHECK(step_ids(g) == std::set<std::string>{
                           chain.add_a, chain.run_b, chain.run_c, chain.run_d});
  CHECK(version_ids(g) ==
        std::set<std::string>{"a.txt@1", "b.txt@1", "c.txt@1", "d.txt@1"});
  CHECK(edges(g).count("b.txt@1 -> " + chain.run_c + " (input)") == 1);
  CHECK(edges(g).count(chain.run_c + " -> c.txt@1 (output)") == 1);

  // Down from b: not what b came from, nor the side branch.
  Graph from_b = chain.graph("b.txt", Direction::down);
  CHECK(from_b.root == "b.txt@1");
  CHECK(step_ids(from_b) == std::set<std::string>{chain.run_b, chain.run_c});
  CHECK(version_ids(from_b) == std::set<std::string>{"b.txt@1", "c.txt@1"});
}

TEST_CASE("lineage up leaves out side branches", "[lineage]")
{
  Chain chain;
  Graph g = chain.graph("c.txt", Direction::up);
  CHECK(step_ids(g).count(chain.run_d) == 0);
  CHECK(version_ids(g).count("d.txt@1") == 0);

  Graph d = chain.graph("d.txt@1", Direction::up);
  CHECK(step_ids(d) == std::set<std::string>{chain.add_a, chain.run_d});
}

TEST_CASE("lineage both ways from the middle", "[lineage]")
{
  Chain chain;
  Graph g = chain.graph("b.txt@1", Direction::both);
  CHECK(g.direction == Direction::both);
  CHECK(step_ids(g) ==
        std::set<std::string>{chain.add_a, chain.run_b, chain.run_c});
  CHECK(version_ids(g) ==
        std::set<std::string>{"a.txt@1", "b.txt@1", "c.txt@1"});
}

TEST_CASE("lineage depth limits how many steps away it goes", "[lineage]")
{
  Chain chain;
  // Depth 0: only the step that recorded the version.
  Graph zero = chain.graph("c.txt@1", Direction::up, 0);
  CHECK(step_ids(zero) == std::set<std::string>{chain.run_c});
  // Depth 1: one step further.
  Graph one = chain.graph("c.txt@1", Direction::up, 1);
  CHECK(step_ids(one) == std::set<std::string>{chain.run_b, chain.run_c});
  CHECK(version_ids(one).count("b.txt@1") == 1);
  Graph all = chain.graph("c.txt@1", Direction::up, 5);
  CHECK(all.steps.size() == 3);

  Graph down = chain.graph("a.txt@1", Direction::down, 1);
  CHECK(step_ids(down) ==
        std::set<std::string>{chain.add_a, chain.run_b, chain.run_d});
}

TEST_CASE("lineage of an unknown version is not_found", "[lineage]")
{
  Chain chain;
  auto error = error_of([&] { chain.graph("c.txt@9", Direction::up); });
  REQUIRE(error);
  CHECK(error->code() == Exit::not_found);
  error = error_of([&] { chain.graph("nothing.txt", Direction::up); });
  REQUIRE(error);
  CHECK(error->code() == Exit::not_found);
}

TEST_CASE("lineage renders as text, DOT, Mermaid and JSON", "[lineage]")
{
  Chain chain;
  Graph g = chain.graph("c.txt@1", Direction::up);

  std::string text = lineage::render_text(g);
  for (const char* id : {"a.txt@1", "b.txt@1", "c.txt@1"}) {
    INFO(id);
    CHECK_THAT(text, Catch::Contains(id));
  }
  CHECK_THAT(text, Catch::StartsWith("c.txt@1"));
  CHECK_THAT(text, Catch::Contains("make b"));
  CHECK_THAT(text, Catch::Contains(chain.run_c.substr(0, 10)));

  std::string dot = lineage::render_dot(g);
  CHECK_THAT(dot, Catch::StartsWith("digraph"));
  CHECK(count(dot, " -> ") == 5);
  CHECK_THAT(dot, Catch::Contains("\"a.txt@1\" -> \"" + chain.run_b + "\""));
  CHECK_THAT(dot, Catch::EndsWith("}\n"));

  std::string mermaid = lineage::render_mermaid(g);
  CHECK_THAT(mermaid, Catch::StartsWith("flowchart LR"));
  CHECK(count(mermaid, " --> ") == 5);
  for (const char* id : {"a.txt@1", "b.txt@1", "c.txt@1"}) {
    CHECK_THAT(mermaid, Catch::Contains(id));
  }

  std::string text_json = lineage::render_json(g);
  json parsed = json::parse(text_json);
  CHECK(parsed == lineage::to_json(g));
  CHECK(parsed["direction"] == "up");
  CHECK(parsed["root"]["type"] == "version");
  CHECK(parsed["root"]["id"] == "c.txt@1");
  CHECK(parsed["root"]["artifact"] == "c.txt");
  CHECK(parsed["root"]["version"] == 1);
  CHECK(parsed["root"]["node"] == chain.run_c);
  REQUIRE(parsed["steps"].size() == 3);
  REQUIRE(parsed["versions"].size() == 3);
  REQUIRE(parsed["edges"].size() == 5);
  for (std::size_t i = 0; i < g.steps.size(); ++i) {
    CHECK(parsed["steps"][i]["id"] == g.steps[i].id);
    CHECK(parsed["steps"][i]["kind"] == g.steps[i].kind);
    CHECK(parsed["steps"][i]["user"]["name"] == "Ada Tester");
  }
  for (std::size_t i = 0; i < g.edges.size(); ++i) {
    CHECK(parsed["edges"][i]["from"] == g.edges[i].from);
    CHECK(parsed["edges"][i]["to"] == g.edges[i].to);
    CHECK(parsed["edges"][i]["kind"] ==
          (g.edges[i].input ? "input" : "output"));
  }
  for (const auto& step : parsed["steps"]) {
    if (step["id"] == chain.run_c) {
      CHECK(step["command"] == json({"sh", "-c", "rev < b.txt > c.txt"}));
      CHECK(step["exit_code"] == 0);
    }
  }
  const json& versions = parsed["versions"];
  auto a = std::find_if(versions.begin(), versions.end(), [](const json& v) {
    return v["id"] == "a.txt@1";
  });
  REQUIRE(a != versions.end());
  CHECK((*a)["hash"] == sha256_hex("alpha\n"));
  CHECK((*a)["node"] == chain.add_a);
  CHECK((*a)["version"] == 1);

  // From a node, the root is the node.
  json by_node = lineage::to_json(chain.graph(chain.run_b, Direction::up));
  CHECK(by_node["root"] == json({{"type", "node"}, {"id", chain.run_b}}));
}
