#include <mlake/index/index.hpp>
#include <mlake/util/error.hpp>
#include <mlake/util/hash.hpp>
#include <mlake/util/json.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "test_support.hpp"

using mlake::json;
using mlake::index::Index;
using mlake::index::StatEntry;
using mlake::test::TempDir;
using mlake::util::canonical_json;
using mlake::util::sha256_hex;

namespace {

// A node as Lake::commit writes it, with one output per (artifact, content)
// pair; its id is the hash of its canonical bytes, as on disk.
struct TestNode
{
  std::string id;
  json body;
};

json
output(const std::string& artifact,
       const std::string& content,
       const std::string& path = "")
{
  return {{"artifact", artifact},
          {"hash", sha256_hex(content)},
          {"path", path.empty() ? artifact : path},
          {"role", "output"},
          {"size", content.size()},
          {"type", "file"}};
}

TestNode
make_node(const std::string& message,
          const std::string& end,
          json outputs,
          json metadata = nullptr,
          std::vector<std::string> parents = {},
          const std::string& kind = "add")
{
  json body = {{"kind", kind},
               {"message", message},
               {"user", {{"name", "Ada Tester"}, {"email", "ada@example.org"}}},
               {"host", "lab-01"},
               {"time", {{"start", end}, {"end", end}}},
               {"parents", parents},
               {"inputs", json::array()},
               {"outputs", std::move(outputs)},
               {"format", 1}};
  if (!metadata.is_null()) {
    body["metadata"] = std::move(metadata);
  }
  return {sha256_hex(canonical_json(body)), body};
}

// Two nodes at the same time, returned in id order.
std::pair<TestNode, TestNode>
same_time_pair(const std::string& time,
               const std::function<json(int)>& outputs,
               const std::function<json(int)>& metadata)
{
  TestNode a = make_node("tie a", time, outputs(0), metadata(0));
  TestNode b = make_node("tie b", time, outputs(1), metadata(1));
  if (b.id < a.id) {
    std::swap(a, b);
  }
  return {a, b};
}

struct Fixture
{
  TempDir dir;
  std::unique_ptr<Index> idx = std::make_unique<Index>(dir / "index.db");

  void
  apply(const TestNode& n)
  {
    // As the lake does: project, then number the versions.
    idx->transaction([&] {
      idx->apply(n.id, n.body);
      idx->settle();
    });
  }
};

std::vector<std::string>
ids_of(const std::vector<mlake::index::NodeRow>& rows)
{
  std::vector<std::string> out;
  for (const auto& r : rows) {
    out.push_back(r.id);
  }
  return out;
}

std::vector<std::string>
sorted(std::vector<std::string> v)
{
  std::sort(v.begin(), v.end());
  return v;
}

} // namespace

TEST_CASE("a new index is empty and asks for a reprojection", "[index]")
{
  Fixture f;
  CHECK(f.idx->needs_reprojection());
  CHECK(f.idx->node_count() == 0);
  CHECK(f.idx->heads().empty());
  CHECK(f.idx->artifacts(std::nullopt).empty());
  CHECK_FALSE(f.idx->artifact("anything").has_value());
  CHECK(f.idx->versions("anything").empty());
  // Reopened, the schema is current and nothing needs replaying.
  f.idx.reset();
  Index again(f.dir / "index.db");
  CHECK_FALSE(again.needs_reprojection());
}

TEST_CASE("projecting a node fills nodes, versions and artifacts", "[index]")
{
  Fixture f;
  TestNode n =
      make_node("add iris",
                "2024-03-01T10:00:00.250000Z",
                json::array({output("data/iris.csv", "v1 bytes")}),
                {{"data/iris.csv", {{"kind", "dataset"}, {"owner", "ada"}}}});
  f.apply(n);

  CHECK(f.idx->has_node(n.id));
  CHECK(f.idx->node_count() == 1);
  auto row = f.idx->node(n.id);
  REQUIRE(row);
  CHECK(row->kind == "add");
  CHECK(row->message == "add iris");
  CHECK(row->user_name == "Ada Tester");
  CHECK(row->user_email == "ada@example.org");
  CHECK(row->host == "lab-01");
  CHECK(row->time_end == "2024-03-01T10:00:00.250000Z");

  auto io = f.idx->node_io(n.id);
  REQUIRE(io.size() == 1);
  CHECK(io[0].direction == "out");
  CHECK(io[0].artifact == "data/iris.csv");
  CHECK(io[0].hash == sha256_hex("v1 bytes"));
  CHECK(io[0].size == 8);
  CHECK(io[0].role == "output");
  CHECK(io[0].type == "file");

  auto art = f.idx->artifact("data/iris.csv");
  REQUIRE(art);
  CHECK(art->created == "2024-03-01T10:00:00.250000Z");
  CHECK(art->created_node == n.id);
  CHECK(art->field("kind") == "dataset");
  CHECK(art->field("owner") == "ada");
  CHECK(art->field("path") == "data/iris.csv");
  CHECK(art->field("missing", "fallback") == "fallback");
  CHECK(art->version_count == 1);
  REQUIRE(art->latest);
  CHECK(art->latest->hash == sha256_hex("v1 bytes"));
  CHECK(art->latest->ordinal == 1);
  CHECK(art->latest->node_kind == "add");
  CHECK(art->latest->message == "add iris");
  CHECK(f.idx->artifact_at_path("data/iris.csv") == "data/iris.csv");
  CHECK_FALSE(f.idx->artifact_at_path("data/other.csv").has_value());
}

TEST_CASE("applying a node twice is harmless", "[index]")
{
  Fixture f;
  TestNode n =
      make_node("add",
                "2024-03-01T10:00:00Z",
                json::array({output("a", "1"), output("b", "2")}),
                {{"a", {{"owner", "ada"}, {"tags", {{"add", {"raw"}}}}}}});
  f.apply(n);
  f.apply(n);
  f.idx->transaction([&] {
    f.idx->apply(n.id, n.body);
    f.idx->apply(n.id, n.body);
  });
  CHECK(f.idx->node_count() == 1);
  CHECK(f.idx->node_io(n.id).size() == 2);
  CHECK(f.idx->versions("a").size() == 1);
  CHECK(f.idx->versions("b").size() == 1);
  CHECK(f.idx->artifacts(std::nullopt).size() == 2);
  CHECK(f.idx->annotations("a").size() == 2);
  CHECK(f.idx->artifact("a")->tags == std::vector<std::string>{"raw"});
  CHECK(f.idx->log(std::nullopt, 100).size() == 1);
}

TEST_CASE("versions are numbered by (time, node id) whatever the apply order",
          "[index]")
{
  Fixture f;
  TestNode early = make_node("v early",
                             "2024-03-01T09:00:00Z",
                             json::array({output("iris", "early")}));
  // Written with an offset: 10:30+02:00 is 08:30Z, the earliest of all.
  TestNode offset = make_node("v offset",
                              "2024-03-01T10:30:00+02:00",
                              json::array({output("iris", "offset")}));
  auto [tie_low, tie_high] = same_time_pair(
      "2024-03-01T12:00:00Z",
      [](int i) {
        return json::array({output("iris", "tie " + std::to_string(i))});
      },
      [](int) { return json(nullptr); });
  TestNode late = make_node(
      "v late", "2024-03-02T00:00:00Z", json::array({output("iris", "late")}));

  std::vector<TestNode> order = {late, tie_high, offset, tie_low, early};
  for (const auto& n : order) {
    f.apply(n);
  }
  auto versions = f.idx->versions("iris");
  REQUIRE(versions.size() == 5);
  const std::vector<std::string> expected = {
      offset.id, early.id, tie_low.id, tie_high.id, late.id};
  for (std::size_t i = 0; i < versions.size(); ++i) {
    INFO("version " << i + 1);
    CHECK(versions[i].ordinal == int(i + 1));
    CHECK(versions[i].node == expected[i]);
    CHECK(versions[i].artifact == "iris");
  }
  // Times are stored normalised to UTC with microseconds.
  CHECK(versions[0].time == "2024-03-01T08:30:00.000000Z");
  CHECK(versions[0].hash == sha256_hex("offset"));

  auto art = f.idx->artifact("iris");
  REQUIRE(art);
  CHECK(art->version_count == 5);
  REQUIRE(art->latest);
  CHECK(art->latest->node == late.id);
  CHECK(art->latest->ordinal == 5);
  // Created by the earliest node, though it was applied fourth.
  CHECK(art->created_node == offset.id);
  CHECK(art->created == "2024-03-01T08:30:00.000000Z");

  SECTION("versions_with_hash keeps the ordinals of all versions")
  {
    auto found = f.idx->versions_with_hash(sha256_hex("late"));
    REQUIRE(found.size() == 1);
    CHECK(found[0].ordinal == 5);
    CHECK(found[0].node == late.id);
    CHECK(f.idx->versions_with_hash(sha256_hex("nothing")).empty());
  }
}

TEST_CASE("the same content under two artifacts is found by hash", "[index]")
{
  Fixture f;
  TestNode a =
      make_node("a",
                "2024-01-01T00:00:00Z",
                json::array({output("x", "shared"), output("y", "other")}));
  TestNode b = make_node(
      "b", "2024-01-02T00:00:00Z", json::array({output("y", "shared")}));
  f.apply(a);
  f.apply(b);
  auto found = f.idx->versions_with_hash(sha256_hex("shared"));
  REQUIRE(found.size() == 2);
  CHECK(found[0].artifact == "x");
  CHECK(found[0].ordinal == 1);
  CHECK(found[1].artifact == "y");
  CHECK(found[1].ordinal == 2);
}

TEST_CASE("artifact fields: last writer wins by (time, id), in any apply "
          "order",
          "[index]")
{
  Fixture f;
  TestNode first = make_node(
      "first",
      "2024-03-01T10:00:00Z",
      json::array({output("model.pt", "m1")}),
      {{"model.pt",
        {{"owner", "alice"}, {"description", "baseline"}, {"kind", "model"}}}});
  TestNode second = make_node(
      "second",
      "2024-03-01T11:00:00Z",
      json::array(),
      {{"model.pt", {{"owner", "bob"}, {"security", "confidential"}}}},
      {},
      "annotate");
  auto [tie_low, tie_high] = same_time_pair(
      "2024-03-01T12:00:00Z",
      [](int) { return json::array(); },
      [](int i) {
        return json{
            {"model.pt", {{"description", "tie " + std::to_string(i)}}}};
      });
  const std::string winner_description =
      tie_high.body["metadata"]["model.pt"]["description"];

  SECTION("in time order")
  {
    for (const auto& n : {first, second, tie_low, tie_high}) {
      f.apply(n);
    }
  }
  SECTION("newest first")
  {
    for (const auto& n : {tie_high, tie_low, second, first}) {
      f.apply(n);
    }
  }
  SECTION("mixed")
  {
    for (const auto& n : {second, tie_high, first, tie_low}) {
      f.apply(n);
    }
  }
  auto art = f.idx->artifact("model.pt");
  REQUIRE(art);
  CHECK(art->field("owner") == "bob");
  CHECK(art->field("security") == "confidential");
  CHECK(art->field("kind") == "model");
  CHECK(art->field("description") == winner_description);
  CHECK(art->version_count == 1);
  // Every change is kept as history, in time order.
  auto history = f.idx->annotations("model.pt");
  REQUIRE(history.size() == 7);
  CHECK(history.front().node == first.id);
  CHECK(history.back().node == tie_high.id);
  CHECK(history.back().field == "description");
  CHECK(history.back().user_name == "Ada Tester");
}

TEST_CASE("a later version moves the artifact's path", "[index]")
{
  Fixture f;
  TestNode at_old = make_node("old",
                              "2024-01-01T00:00:00Z",
                              json::array({output("iris", "1", "old.csv")}));
  TestNode at_new = make_node("new",
                              "2024-01-02T00:00:00Z",
                              json::array({output("iris", "2", "new.csv")}));
  f.apply(at_new);
  f.apply(at_old);
  CHECK(f.idx->artifact("iris")->field("path") == "new.csv");
  CHECK(f.idx->artifact_at_path("new.csv") == "iris");
  CHECK_FALSE(f.idx->artifact_at_path("old.csv").has_value());
}

TEST_CASE("tags are added and removed, last writer wins", "[index]")
{
  Fixture f;
  TestNode tag1 = make_node(
      "tag",
      "2024-03-01T10:00:00Z",
      json::array({output("iris", "1")}),
      {{"iris", {{"tags", {{"add", {"raw", "v1", "public-domain"}}}}}}});
  TestNode tag2 = make_node(
      "retag",
      "2024-03-01T11:00:00Z",
      json::array(),
      {{"iris", {{"tags", {{"add", {"gold"}}, {"remove", {"v1", "raw"}}}}}}},
      {},
      "annotate");
  TestNode tag3 = make_node("raw again",
                            "2024-03-01T12:00:00Z",
                            json::array(),
                            {{"iris", {{"tags", {{"add", {"raw"}}}}}}},
                            {},
                            "annotate");
  SECTION("in order")
  {
    for (const auto& n : {tag1, tag2, tag3}) {
      f.apply(n);
    }
  }
  SECTION("reversed")
  {
    for (const auto& n : {tag3, tag2, tag1}) {
      f.apply(n);
    }
  }
  CHECK(f.idx->artifact("iris")->tags ==
        std::vector<std::string>{"gold", "public-domain", "raw"});
}

TEST_CASE("heads, parents and children follow the DAG", "[index]")
{
  Fixture f;
  TestNode a = make_node("a", "2024-01-01T00:00:00Z", json::array());
  TestNode b =
      make_node("b", "2024-01-02T00:00:00Z", json::array(), nullptr, {a.id});
  TestNode c =
      make_node("c", "2024-01-03T00:00:00Z", json::array(), nullptr, {a.id});
  f.apply(a);
  CHECK(f.idx->heads() == std::vector<std::string>{a.id});
  f.apply(b);
  CHECK(f.idx->heads() == std::vector<std::string>{b.id});
  f.apply(c);
  CHECK(f.idx->heads() == sorted({b.id, c.id}));
  CHECK(f.idx->children(a.id) == sorted({b.id, c.id}));
  CHECK(f.idx->parents(b.id) == std::vector<std::string>{a.id});
  CHECK(f.idx->parents(a.id).empty());

  TestNode merge = make_node("merge",
                             "2024-01-04T00:00:00Z",
                             json::array(),
                             nullptr,
                             sorted({b.id, c.id}));
  f.apply(merge);
  CHECK(f.idx->heads() == std::vector<std::string>{merge.id});
  CHECK(f.idx->parents(merge.id) == sorted({b.id, c.id}));

  SECTION("a child applied before its parent")
  {
    Fixture g;
    g.apply(merge);
    g.apply(b);
    CHECK(g.idx->heads() == std::vector<std::string>{merge.id});
  }
}

TEST_CASE("log lists newest first, by time then id", "[index]")
{
  Fixture f;
  TestNode a = make_node(
      "a", "2024-01-01T00:00:00Z", json::array({output("iris", "1")}));
  TestNode b = make_node(
      "b", "2024-01-03T00:00:00Z", json::array({output("other", "1")}));
  auto [tie_low, tie_high] = same_time_pair(
      "2024-01-02T00:00:00Z",
      [](int i) {
        return json::array({output("iris", "tie" + std::to_string(i))});
      },
      [](int) { return json(nullptr); });
  TestNode annotate = make_node("describe",
                                "2024-01-04T00:00:00Z",
                                json::array(),
                                {{"iris", {{"description", "flowers"}}}},
                                {},
                                "annotate");
  for (const auto& n : {tie_low, annotate, a, b, tie_high}) {
    f.apply(n);
  }
  CHECK(ids_of(f.idx->log(std::nullopt, 100)) ==
        std::vector<std::string>{
            annotate.id, b.id, tie_high.id, tie_low.id, a.id});
  CHECK(ids_of(f.idx->log(std::nullopt, 2)) ==
        std::vector<std::string>{annotate.id, b.id});
  // Only what touched the artifact, metadata changes included.
  CHECK(ids_of(f.idx->log(std::string("iris"), 100)) ==
        std::vector<std::string>{annotate.id, tie_high.id, tie_low.id, a.id});
  CHECK(ids_of(f.idx->log(std::string("other"), 100)) ==
        std::vector<std::string>{b.id});
  CHECK(f.idx->log(std::string("nothing"), 100).empty());
}

TEST_CASE("nodes_with_prefix finds ids by their start", "[index]")
{
  Fixture f;
  std::vector<std::string> ids;
  for (int i = 0; i < 40; ++i) {
    TestNode n = make_node(
        "n" + std::to_string(i), "2024-01-01T00:00:00Z", json::array());
    f.apply(n);
    ids.push_back(n.id);
  }
  std::sort(ids.begin(), ids.end());
  const std::string& id = ids[17];
  CHECK(f.idx->nodes_with_prefix(id, 2) == std::vector<std::string>{id});
  CHECK(f.idx->nodes_with_prefix(id.substr(0, 12), 2) ==
        std::vector<std::string>{id});

  // A one-digit prefix shared by several ids: the limit is honoured.
  std::map<char, std::vector<std::string>> by_first;
  for (const auto& i : ids) {
    by_first[i[0]].push_back(i);
  }
  auto crowded = std::max_element(
      by_first.begin(), by_first.end(), [](const auto& x, const auto& y) {
        return x.second.size() < y.second.size();
      });
  REQUIRE(crowded->second.size() >= 3);
  const std::string digit(1, crowded->first);
  CHECK(f.idx->nodes_with_prefix(digit, 2) ==
        std::vector<std::string>{crowded->second[0], crowded->second[1]});
  CHECK(f.idx->nodes_with_prefix(digit, 100) == crowded->second);

  // A prefix that matches nothing.
  std::string absent = id.substr(0, 10);
  absent.back() = absent.back() == '0' ? '1' : '0';
  bool clash = std::any_of(ids.begin(), ids.end(), [&](const std::string& i) {
    return i.rfind(absent, 0) == 0;
  });
  if (!clash) {
    CHECK(f.idx->nodes_with_prefix(absent, 2).empty());
  }
}

TEST_CASE("artifacts can be listed by kind", "[index]")
{
  Fixture f;
  f.apply(make_node("add",
                    "2024-01-01T00:00:00Z",
                    json::array({output("iris.csv", "d"),
                                 output("model.pt", "m"),
                                 output("notes", "n")}),
                    {{"iris.csv", {{"kind", "dataset"}}},
                     {"model.pt", {{"kind", "model"}}}}));
  auto all = f.idx->artifacts(std::nullopt);
  REQUIRE(all.size() == 3);
  CHECK(all[0].name == "iris.csv");
  CHECK(all[1].name == "model.pt");
  CHECK(all[2].name == "notes");
  auto models = f.idx->artifacts(std::string("model"));
  REQUIRE(models.size() == 1);
  CHECK(models[0].name == "model.pt");
  // An artifact without a kind counts as "other".
  auto others = f.idx->artifacts(std::string("other"));
  REQUIRE(others.size() == 1);
  CHECK(others[0].name == "notes");
}

TEST_CASE("clear_projection empties the projection but keeps the stat cache",
          "[index]")
{
  Fixture f;
  TestNode n = make_node("a",
                         "2024-01-01T00:00:00Z",
                         json::array({output("iris", "1")}),
                         {{"iris", {{"owner", "ada"}}}});
  f.apply(n);
  const std::string hash = sha256_hex("1");
  f.idx->put_stat_snapshot("iris", {StatEntry{"", 1, 2, 3, 4, hash}}, hash);
  f.idx->transaction([&] { f.idx->clear_projection(); });
  CHECK(f.idx->node_count() == 0);
  CHECK_FALSE(f.idx->artifact("iris").has_value());
  CHECK(f.idx->versions("iris").empty());
  CHECK(f.idx->annotations("iris").empty());
  CHECK(f.idx->heads().empty());
  CHECK(f.idx->stat_snapshot("iris").entries().size() == 1);
  CHECK(f.idx->stat_snapshot("iris").whole_hash() == hash);
  // And the node can be projected again.
  f.apply(n);
  CHECK(f.idx->artifact("iris")->field("owner") == "ada");
}

TEST_CASE("a failed transaction changes nothing", "[index]")
{
  Fixture f;
  TestNode n = make_node(
      "a", "2024-01-01T00:00:00Z", json::array({output("iris", "1")}));
  CHECK_THROWS_WITH(f.idx->transaction([&] {
    f.idx->apply(n.id, n.body);
    f.idx->set_meta("k", "v");
    throw std::runtime_error("stop here");
  }),
                    "stop here");
  CHECK(f.idx->node_count() == 0);
  CHECK_FALSE(f.idx->meta("k").has_value());
  // The index is still usable afterwards.
  f.apply(n);
  CHECK(f.idx->node_count() == 1);
}

TEST_CASE("meta values persist across reopening", "[index]")
{
  Fixture f;
  CHECK_FALSE(f.idx->meta("nodes_stamp").has_value());
  f.idx->set_meta("nodes_stamp", "1:2:3");
  f.idx->set_meta("nodes_stamp", "4:5:6");
  CHECK(f.idx->meta("nodes_stamp") == "4:5:6");
  f.apply(make_node("a", "2024-01-01T00:00:00Z", json::array()));
  f.idx.reset();
  Index again(f.dir / "index.db");
  CHECK(again.meta("nodes_stamp") == "4:5:6");
  CHECK(again.node_count() == 1);
}

TEST_CASE("stat cache: a snapshot per tracked path", "[index]")
{
  Fixture f;
  // Hashes and paths must outlive the views in the entries.
  std::vector<std::string> hashes;
  for (int i = 0; i < 10; ++i) {
    hashes.push_back(sha256_hex(std::to_string(i)));
  }
  auto entry = [&](std::string_view path, std::uint64_t n) {
    return StatEntry{path,
                     n,
                     n * 10,
                     std::int64_t(n) * 100,
                     std::int64_t(n) * 1000,
                     hashes.at(n)};
  };
  const std::string tree_hash = sha256_hex("tree of data");
  f.idx->put_stat_snapshot(
      "data",
      {entry("a.csv", 1), entry("x/y.csv", 2), entry("z", 3)},
      tree_hash);
  f.idx->put_stat_snapshot("database", {entry("", 4)}, hashes[4]);
  f.idx->put_stat_snapshot("data.csv", {entry("", 5)}, hashes[5]);

  SECTION("read back")
  {
    auto snap = f.idx->stat_snapshot("data");
    CHECK(snap.whole_hash() == tree_hash);
    REQUIRE(snap.entries().size() == 3);
    CHECK(snap.entries()[0].path == "a.csv");
    CHECK(snap.entries()[1].path == "x/y.csv");
    CHECK(snap.entries()[2].path == "z");
    const auto* e = snap.find("x/y.csv");
    REQUIRE(e != nullptr);
    CHECK(e->ino == 2);
    CHECK(e->size == 20);
    CHECK(e->mtime_ns == 200);
    CHECK(e->ctime_ns == 2000);
    CHECK(e->hash == hashes[2]);
    CHECK(snap.find("x") == nullptr);
    CHECK(snap.find("y.csv") == nullptr);
    CHECK(snap.find("") == nullptr);
  }
  SECTION("the root is matched exactly: 'data' is not 'database'")
  {
    auto database = f.idx->stat_snapshot("database");
    REQUIRE(database.entries().size() == 1);
    CHECK(database.entries()[0].path.empty());
    CHECK(database.entries()[0].ino == 4);
    CHECK(database.whole_hash() == hashes[4]);
    CHECK(f.idx->stat_snapshot("data.csv").entries().at(0).ino == 5);
    CHECK(f.idx->stat_snapshot("dat").entries().empty());
    CHECK(f.idx->stat_snapshot("data/x").entries().empty());
    CHECK(f.idx->stat_snapshot("nothing").whole_hash().empty());
  }
  SECTION("a snapshot outlives the statement that read it")
  {
    auto first = f.idx->stat_snapshot("data");
    auto second = f.idx->stat_snapshot("database");
    auto third = f.idx->stat_snapshot("data");
    CHECK(first.entries().at(0).path == "a.csv");
    CHECK(first.entries().at(0).hash == hashes[1]);
    CHECK(second.entries().at(0).hash == hashes[4]);
    CHECK(third.entries().size() == 3);
  }
  SECTION("put replaces the whole snapshot of a root")
  {
    f.idx->put_stat_snapshot("data", {entry("b.csv", 6)}, "");
    auto snap = f.idx->stat_snapshot("data");
    REQUIRE(snap.entries().size() == 1);
    CHECK(snap.entries()[0].path == "b.csv");
    CHECK(snap.entries()[0].ino == 6);
    CHECK(snap.whole_hash().empty());
    CHECK(snap.find("a.csv") == nullptr);
    CHECK(f.idx->stat_snapshot("database").entries().size() == 1);
  }
  SECTION("remove drops only that root")
  {
    f.idx->remove_stat_snapshot("data");
    CHECK(f.idx->stat_snapshot("data").entries().empty());
    CHECK(f.idx->stat_snapshot("data").whole_hash().empty());
    CHECK(f.idx->stat_snapshot("database").entries().size() == 1);
    CHECK(f.idx->stat_snapshot("data.csv").entries().size() == 1);
    f.idx->remove_stat_snapshot("not there"); // harmless
  }
  SECTION("it survives reopening the index")
  {
    f.idx.reset();
    Index again(f.dir / "index.db");
    CHECK(again.stat_snapshot("data").entries().size() == 3);
    CHECK(again.stat_snapshot("data").find("z")->hash == hashes[3]);
  }
}

TEST_CASE("stat cache keeps large values and many entries", "[index]")
{
  Fixture f;
  const std::string hash = sha256_hex("big");
  f.idx->put_stat_snapshot("big",
                           {StatEntry{"",
                                      ~std::uint64_t(0),
                                      std::uint64_t(1) << 40,
                                      1'700'000'000'123'456'789LL,
                                      -5,
                                      hash}},
                           hash);
  auto big = f.idx->stat_snapshot("big");
  REQUIRE(big.entries().size() == 1);
  CHECK(big.entries()[0].ino == ~std::uint64_t(0));
  CHECK(big.entries()[0].size == (std::uint64_t(1) << 40));
  CHECK(big.entries()[0].mtime_ns == 1'700'000'000'123'456'789LL);
  CHECK(big.entries()[0].ctime_ns == -5);

  // 20,000 files below one root, with paths of varying length.
  std::vector<std::string> paths;
  std::vector<std::string> hashes;
  for (int i = 0; i < 20000; ++i) {
    paths.push_back("shard-" + std::to_string(i % 7) + "/" +
                    std::string(i % 13, 'p') + std::to_string(i) + ".png");
    hashes.push_back(sha256_hex(paths.back()));
  }
  std::vector<std::size_t> order(paths.size());
  for (std::size_t i = 0; i < order.size(); ++i) {
    order[i] = i;
  }
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return paths[a] < paths[b];
  });
  std::vector<StatEntry> entries;
  for (auto i : order) {
    entries.push_back(StatEntry{
        paths[i], i, i * 3, std::int64_t(i), std::int64_t(i), hashes[i]});
  }
  f.idx->put_stat_snapshot("images", entries, "");
  auto snap = f.idx->stat_snapshot("images");
  REQUIRE(snap.entries().size() == paths.size());
  for (std::size_t i : {std::size_t(0),
                        std::size_t(1),
                        std::size_t(12345),
                        std::size_t(19999)}) {
    INFO(paths[i]);
    const auto* e = snap.find(paths[i]);
    REQUIRE(e != nullptr);
    CHECK(e->ino == i);
    CHECK(e->size == i * 3);
    CHECK(e->hash == hashes[i]);
  }
}

TEST_CASE("a param or metric filter finds the same whether few or many nodes "
          "have it",
          "[index][search]")
{
  // Past 2,000 nodes with a param or metric, a filter is asked document by
  // document; below, matched as a set of nodes. 2,500 train runs: every one
  // has lr=0.1 and a loss, three have optimizer=adam, and the accuracy
  // climbs with the run.
  Fixture f;
  constexpr int runs = 2500;
  f.idx->transaction([&] {
    for (int i = 0; i < runs; ++i) {
      char end[32];
      std::snprintf(end,
                    sizeof end,
                    "2024-01-%02dT%02d:%02d:00Z",
                    1 + i / 1440,
                    i / 60 % 24,
                    i % 60);
      const std::string model = "models/m" + std::to_string(i);
      TestNode n = make_node("train " + std::to_string(i),
                             end,
                             json::array({output(model, model)}),
                             json{{model, {{"kind", "model"}}}},
                             {},
                             "train");
      n.body["params"] = {{"lr", 0.1},
                          {"optimizer", i % 1000 == 7 ? "adam" : "sgd"}};
      n.body["metrics"] = {{"accuracy", i / double(runs)}, {"loss", 0.5}};
      n.id = sha256_hex(canonical_json(n.body));
      f.idx->apply(n.id, n.body);
    }
    f.idx->settle();
  });
  auto names = [&](mlake::index::SearchQuery q) {
    q.limit = runs * 2;
    std::vector<std::string> out;
    for (const auto& hit : f.idx->search(q)) {
      out.push_back(hit.type + ":" +
                    (hit.type == "artifact" ? hit.target : hit.kind));
    }
    std::sort(out.begin(), out.end());
    return out;
  };
  auto count = [](const std::vector<std::string>& v, const std::string& s) {
    return std::count(v.begin(), v.end(), s);
  };

  mlake::index::SearchQuery few_param;
  few_param.params = {{"optimizer", "adam"}};
  auto adam = names(few_param);
  CHECK(adam == std::vector<std::string>{"artifact:models/m1007",
                                         "artifact:models/m2007",
                                         "artifact:models/m7",
                                         "node:train",
                                         "node:train",
                                         "node:train"});

  mlake::index::SearchQuery many_param;
  many_param.params = {{"lr", "0.10"}}; // the same number, written otherwise
  many_param.kind = "model";
  auto lr = names(many_param);
  CHECK(lr.size() == runs);

  mlake::index::SearchQuery few_metric;
  few_metric.metrics = {{"accuracy", ">=", 0.9992}};
  auto best = names(few_metric);
  CHECK(count(best, "node:train") == 2);
  CHECK(count(best, "artifact:models/m2498") == 1);
  CHECK(count(best, "artifact:models/m2499") == 1);

  mlake::index::SearchQuery many_metric;
  many_metric.metrics = {{"accuracy", ">=", 0.2}};
  many_metric.kind = "train";
  CHECK(names(many_metric).size() == runs - 500);

  // Both ways at once: many with lr, loss or accuracy, few with adam.
  mlake::index::SearchQuery both_ways;
  both_ways.params = {{"lr", "0.1"}, {"optimizer", "adam"}};
  both_ways.metrics = {{"accuracy", ">", 0.5}, {"loss", "=", 0.5}};
  CHECK(names(both_ways) ==
        std::vector<std::string>{"artifact:models/m2007", "node:train"});
}
