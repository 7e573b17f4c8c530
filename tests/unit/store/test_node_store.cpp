#include <mlake/store/node_store.hpp>
#include <mlake/util/error.hpp>
#include <mlake/util/hash.hpp>
#include <mlake/util/json.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "test_support.hpp"

using mlake::Exit;
using mlake::json;
using mlake::store::node_shape_problem;
using mlake::store::NodeStore;
using mlake::store::referenced_hashes;
using mlake::test::error_of;
using mlake::test::make_store_dirs;
using mlake::test::mode_of;
using mlake::test::names_in;
using mlake::test::slurp;
using mlake::test::TempDir;
using mlake::test::write_file;
using mlake::util::canonical_json;
using mlake::util::sha256_hex;
namespace fs = std::filesystem;

namespace {

const std::string blob = sha256_hex("iris bytes");
const std::string code_blob = sha256_hex("train.py bytes");
const std::string parent_id = sha256_hex("a parent node");

json
valid_node()
{
  return {
      {"kind", "add"},
      {"message", "add the iris data"},
      {"user", {{"name", "Ada Tester"}, {"email", "ada@example.org"}}},
      {"host", "lab-01"},
      {"time",
       {{"start", "2024-03-01T10:00:00.000000Z"},
        {"end", "2024-03-01T10:00:01.500000Z"}}},
      {"parents", json::array({parent_id})},
      {"inputs", json::array()},
      {"outputs",
       json::array({{{"artifact", "data/iris.csv"},
                     {"hash", blob},
                     {"path", "data/iris.csv"},
                     {"role", "output"},
                     {"size", 818},
                     {"type", "file"}}})},
      {"format", 1},
  };
}

} // namespace

TEST_CASE("NodeStore::write names the node by the hash of its canonical bytes",
          "[store]")
{
  TempDir dir;
  NodeStore nodes(make_store_dirs(dir));
  const json node = valid_node();
  const std::string id = nodes.write(node);
  CHECK(id == sha256_hex(canonical_json(node)));
  CHECK(nodes.path_of(id) == dir / ".mlake" / "nodes" / (id + ".json"));
  CHECK(slurp(nodes.path_of(id)) == canonical_json(node));
  CHECK(nodes.contains(id));
  CHECK(mode_of(nodes.path_of(id)) == 0444);
  CHECK(names_in(dir / ".mlake" / "tmp").empty());

  SECTION("read gives it back")
  {
    CHECK(nodes.read_bytes(id) == canonical_json(node));
    auto back = nodes.read(id);
    REQUIRE(back);
    CHECK(*back == node);
  }
  SECTION("writing the same node again gives the same id")
  {
    json reordered = json::object();
    for (auto it = node.begin(); it != node.end(); ++it) {
      reordered[it.key()] = it.value();
    }
    CHECK(nodes.write(reordered) == id);
    CHECK(nodes.list() == std::vector<std::string>{id});
  }
  SECTION("a different node gets a different id")
  {
    json other = node;
    other["message"] = "add the iris data again";
    CHECK(nodes.write(other) != id);
    CHECK(nodes.list().size() == 2);
  }
}

TEST_CASE("NodeStore::write refuses text that is not UTF-8", "[store]")
{
  TempDir dir;
  NodeStore nodes(make_store_dirs(dir));
  json node = valid_node();
  node["message"] = std::string("bad \xfe byte");
  CHECK(error_of([&] { nodes.write(node); }).has_value());
  CHECK(nodes.list().empty());
}

TEST_CASE("NodeStore::write_verified stores sound bytes under their id",
          "[store]")
{
  TempDir dir;
  NodeStore nodes(make_store_dirs(dir));
  const std::string bytes = canonical_json(valid_node());
  const std::string id = sha256_hex(bytes);
  nodes.write_verified(id, bytes);
  CHECK(nodes.read_bytes(id) == bytes);
}

TEST_CASE("NodeStore::write_verified rejects a wrong id or a malformed node",
          "[store]")
{
  TempDir dir;
  NodeStore nodes(make_store_dirs(dir));
  const std::string bytes = canonical_json(valid_node());

  SECTION("bytes that do not hash to the id")
  {
    const std::string wrong = sha256_hex(bytes + " ");
    auto error = error_of([&] { nodes.write_verified(wrong, bytes); });
    REQUIRE(error);
    CHECK(error->code() == Exit::integrity);
    CHECK_FALSE(nodes.contains(wrong));
  }
  SECTION("an altered node under the original id")
  {
    json altered = valid_node();
    altered["message"] = "something else";
    auto error = error_of([&] {
      nodes.write_verified(sha256_hex(bytes), canonical_json(altered));
    });
    REQUIRE(error);
    CHECK(error->code() == Exit::integrity);
  }
  SECTION("valid JSON that is not a node")
  {
    const std::string junk = R"({"kind":"add"})";
    auto error =
        error_of([&] { nodes.write_verified(sha256_hex(junk), junk); });
    REQUIRE(error);
    CHECK(error->code() == Exit::integrity);
  }
  SECTION("not JSON")
  {
    const std::string junk = "this is not json";
    auto error =
        error_of([&] { nodes.write_verified(sha256_hex(junk), junk); });
    REQUIRE(error);
    CHECK(error->code() == Exit::integrity);
  }
  CHECK(nodes.list().empty());
  CHECK(names_in(dir / ".mlake" / "tmp").empty());
}

TEST_CASE("NodeStore::read of missing, odd or damaged nodes", "[store]")
{
  TempDir dir;
  NodeStore nodes(make_store_dirs(dir));
  CHECK_FALSE(nodes.read(sha256_hex("nothing")).has_value());
  CHECK_FALSE(nodes.read_bytes(sha256_hex("nothing")).has_value());
  CHECK_FALSE(nodes.contains(sha256_hex("nothing")));
  // Ids that are not hashes never reach the file system.
  write_file(dir / ".mlake" / "nodes" / "x.json", "{}");
  CHECK_FALSE(nodes.read_bytes("x").has_value());
  CHECK_FALSE(nodes.read("../nodes/x").has_value());

  const std::string id = sha256_hex("damaged");
  write_file(nodes.path_of(id), "{\"kind\":");
  auto error = error_of([&] { nodes.read(id); });
  REQUIRE(error);
  CHECK(error->code() == Exit::integrity);
  CHECK(std::string(error->what()).find(id) != std::string::npos);
}

TEST_CASE("NodeStore::list returns node ids and reports strays", "[store]")
{
  TempDir dir;
  NodeStore nodes(make_store_dirs(dir));
  std::set<std::string> written;
  for (int i = 0; i < 5; ++i) {
    json node = valid_node();
    node["message"] = "node " + std::to_string(i);
    written.insert(nodes.write(node));
  }
  std::string upper = *written.begin();
  std::transform(upper.begin(), upper.end(), upper.begin(), ::toupper);
  const fs::path nodes_dir = dir / ".mlake" / "nodes";
  write_file(nodes_dir / "README", "x");
  write_file(nodes_dir / (upper + ".json"), "{}");
  write_file(nodes_dir / (sha256_hex("q") + ".txt"), "{}");
  write_file(nodes_dir / (sha256_hex("q").substr(1) + ".json"), "{}");
  write_file(nodes_dir / (".node.tmp-1-2-3"), "{}");

  std::vector<fs::path> strays;
  auto ids = nodes.list([&](const fs::path& p) { strays.push_back(p); });
  CHECK(std::set<std::string>(ids.begin(), ids.end()) == written);
  CHECK(ids.size() == written.size());
  CHECK(strays.size() == 5);
  CHECK(nodes.list().size() == written.size());
}

TEST_CASE("node_shape_problem accepts a valid node", "[store]")
{
  CHECK_FALSE(node_shape_problem(valid_node()).has_value());
  json root = valid_node();
  root["parents"] = json::array();
  CHECK_FALSE(node_shape_problem(root).has_value());
  json with_offset = valid_node();
  with_offset["time"]["end"] = "2024-03-01T11:00:01+01:00";
  CHECK_FALSE(node_shape_problem(with_offset).has_value());
  json dir_output = valid_node();
  dir_output["outputs"][0]["type"] = "dir";
  dir_output["outputs"][0]["path"] = "data/images";
  CHECK_FALSE(node_shape_problem(dir_output).has_value());
}

TEST_CASE("node_shape_problem catches missing or malformed fields", "[store]")
{
  struct Case
  {
    const char* what;
    std::function<void(json&)> damage;
  };
  const std::vector<Case> cases = {
      {"not an object", [](json& n) { n = json::array(); }},
      {"no kind", [](json& n) { n.erase("kind"); }},
      {"empty kind", [](json& n) { n["kind"] = ""; }},
      {"kind not a string", [](json& n) { n["kind"] = 3; }},
      {"no message", [](json& n) { n.erase("message"); }},
      {"empty message", [](json& n) { n["message"] = ""; }},
      {"no user", [](json& n) { n.erase("user"); }},
      {"user not an object", [](json& n) { n["user"] = "ada"; }},
      {"no time", [](json& n) { n.erase("time"); }},
      {"no time.start", [](json& n) { n["time"].erase("start"); }},
      {"no time.end", [](json& n) { n["time"].erase("end"); }},
      {"bad time.end", [](json& n) { n["time"]["end"] = "yesterday"; }},
      {"numeric time", [](json& n) { n["time"]["start"] = 1709287200; }},
      {"no parents", [](json& n) { n.erase("parents"); }},
      {"parents not a list", [](json& n) { n["parents"] = parent_id; }},
      {"short parent", [](json& n) { n["parents"][0] = "abc123"; }},
      {"parent not a string", [](json& n) { n["parents"][0] = 7; }},
      {"upper-case parent",
       [](json& n) {
         std::string p = parent_id;
         std::transform(p.begin(), p.end(), p.begin(), ::toupper);
         n["parents"][0] = p;
       }},
      {"no inputs", [](json& n) { n.erase("inputs"); }},
      {"no outputs", [](json& n) { n.erase("outputs"); }},
      {"outputs not a list", [](json& n) { n["outputs"] = json::object(); }},
      {"output not an object", [](json& n) { n["outputs"][0] = "x"; }},
      {"output without hash", [](json& n) { n["outputs"][0].erase("hash"); }},
      {"output with bad hash",
       [](json& n) { n["outputs"][0]["hash"] = "deadbeef"; }},
      {"output without artifact",
       [](json& n) { n["outputs"][0].erase("artifact"); }},
      {"output with empty artifact",
       [](json& n) { n["outputs"][0]["artifact"] = ""; }},
      {"output with unknown type",
       [](json& n) { n["outputs"][0]["type"] = "symlink"; }},
      {"output path with ..",
       [](json& n) { n["outputs"][0]["path"] = "../outside.csv"; }},
      {"absolute output path",
       [](json& n) { n["outputs"][0]["path"] = "/etc/passwd"; }},
      {"output path a//b", [](json& n) { n["outputs"][0]["path"] = "a//b"; }},
      {"empty output path", [](json& n) { n["outputs"][0]["path"] = ""; }},
      {"input with bad hash",
       [](json& n) {
         n["inputs"] = json::array({{{"artifact", "raw"},
                                     {"hash", "zz"},
                                     {"path", "raw.csv"},
                                     {"type", "file"}}});
       }},
      {"code not an object", [](json& n) { n["code"] = "train.py"; }},
      {"code file with unsafe path",
       [](json& n) {
         n["code"] = {{"files",
                       json::array({{{"artifact", "train.py"},
                                     {"hash", code_blob},
                                     {"path", "../train.py"},
                                     {"type", "file"}}})}};
       }},
  };
  for (const auto& c : cases) {
    json node = valid_node();
    c.damage(node);
    INFO(c.what << ": " << node.dump());
    auto problem = node_shape_problem(node);
    CHECK(problem.has_value());
    if (problem) {
      CHECK_FALSE(problem->empty());
    }
  }
}

TEST_CASE("referenced_hashes lists inputs, outputs and code files", "[store]")
{
  json node = valid_node();
  const std::string input = sha256_hex("raw input");
  node["inputs"] = json::array({{{"artifact", "raw"},
                                 {"hash", input},
                                 {"path", "raw.csv"},
                                 {"type", "file"}}});
  node["code"] = {{"files",
                   json::array({{{"artifact", "train.py"},
                                 {"hash", code_blob},
                                 {"path", "train.py"},
                                 {"type", "file"}}})},
                  {"commit", sha256_hex("not an object").substr(0, 40)}};
  auto hashes = referenced_hashes(node);
  std::sort(hashes.begin(), hashes.end());
  std::vector<std::string> expected = {blob, input, code_blob};
  std::sort(expected.begin(), expected.end());
  CHECK(hashes == expected);
  // Parents are nodes, not objects.
  CHECK(std::find(hashes.begin(), hashes.end(), parent_id) == hashes.end());
  CHECK(referenced_hashes(json::array()).empty());
}
