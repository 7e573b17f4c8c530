#include <mlake/lake/lake.hpp>
#include <mlake/lake/maintenance.hpp>
#include <mlake/lake/query.hpp>
#include <mlake/lake/workspace.hpp>
#include <mlake/store/tree.hpp>
#include <mlake/util/error.hpp>
#include <mlake/util/hash.hpp>

#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "test_support.hpp"

using mlake::Exit;
using mlake::json;
using mlake::lake::Fault;
using mlake::lake::FsckReport;
using mlake::lake::Lake;
using mlake::test::error_of;
using mlake::test::LakeFixture;
using mlake::test::names_in;
using mlake::test::slurp;
using mlake::test::write_file;
using mlake::util::sha256_hex;
namespace fs = std::filesystem;
namespace lake = mlake::lake;

namespace {

const std::string iris = slurp(mlake::test::testdata("iris.csv"));

std::string
add_paths(Lake& l, std::vector<std::string> paths, const std::string& message)
{
  lake::AddOptions options;
  options.paths = std::move(paths);
  options.cwd = l.root();
  options.message = message;
  auto result = lake::add(l, options);
  REQUIRE(result.node);
  return *result.node;
}

const std::string iris_v2 = iris + "6.2,3.4,5.4,2.3,virginica\n";

// What build() put in a lake.
struct Built
{
  std::string node1, node2, node3;
  std::string folder_tree;

  // The objects the lake must keep: two iris blobs, two image blobs, one
  // tree.
  std::set<std::string>
  referenced() const
  {
    return {sha256_hex(iris),
            sha256_hex(iris_v2),
            sha256_hex("PNG a"),
            sha256_hex("PNG b"),
            folder_tree};
  }
};

// A file in two versions and a folder.
Built
build(Lake& l)
{
  Built b;
  write_file(l.root() / "data" / "iris.csv", iris);
  b.node1 = add_paths(l, {"data/iris.csv"}, "iris v1");
  write_file(l.root() / "data" / "iris.csv", iris_v2);
  b.node2 = add_paths(l, {"data/iris.csv"}, "iris v2");
  write_file(l.root() / "images" / "a.png", "PNG a");
  write_file(l.root() / "images" / "sub" / "b.png", "PNG b");
  b.node3 = add_paths(l, {"images"}, "images");
  b.folder_tree = l.index().artifact("images")->latest->hash;
  return b;
}

struct MaintFixture : LakeFixture, Built
{
  MaintFixture() : Built(build(lake)) {}

  std::set<std::string>
  objects() const
  {
    std::set<std::string> out;
    lake.objects().for_each([&](const std::string& h) { out.insert(h); });
    return out;
  }
};

bool
has_fault(const FsckReport& report,
          const std::string& kind,
          const std::string& target)
{
  return std::any_of(
      report.faults.begin(), report.faults.end(), [&](const Fault& f) {
        return f.kind == kind && f.target == target;
      });
}

std::string
faults_text(const FsckReport& report)
{
  std::string out;
  for (const auto& f : report.faults) {
    out += f.kind + " " + f.target + ": " + f.message + "\n";
  }
  return out;
}

// Replace a read-only file's content.
void
overwrite(const fs::path& path, const std::string& content)
{
  ::chmod(path.c_str(), 0644);
  write_file(path, content);
  ::chmod(path.c_str(), 0444);
}

} // namespace

TEST_CASE("fsck of a sound lake finds nothing", "[lake]")
{
  MaintFixture f;
  auto report = lake::fsck(f.lake);
  INFO(faults_text(report));
  CHECK(report.faults.empty());
  CHECK(report.nodes == 3);
  CHECK(report.objects == 5);
  CHECK(report.unreferenced == 0);
  CHECK(report.temporary == 0);
  CHECK(report.heads == std::vector<std::string>{f.node3});
  CHECK(f.objects() == f.referenced());
  std::uint64_t bytes = 0;
  for (const auto& h : f.referenced()) {
    bytes += fs::file_size(f.lake.objects().path_of(h));
  }
  CHECK(report.bytes == bytes);
}

TEST_CASE("fsck counts unreferenced objects and temporary files", "[lake]")
{
  MaintFixture f;
  f.lake.objects().put_bytes("nobody names me");
  write_file(f.lake.dir() / "tmp" / ".object.tmp-1-2-3", "half");
  auto report = lake::fsck(f.lake);
  INFO(faults_text(report));
  CHECK(report.faults.empty());
  CHECK(report.unreferenced == 1);
  CHECK(report.temporary == 1);
}

TEST_CASE("fsck detects a corrupted object", "[lake]")
{
  MaintFixture f;
  SECTION("a blob")
  {
    const std::string blob = sha256_hex(iris);
    overwrite(f.lake.objects().path_of(blob), "tampered");
    auto report = lake::fsck(f.lake);
    INFO(faults_text(report));
    CHECK(has_fault(report, "object", blob));
    CHECK(report.faults.size() == 1);
  }
  SECTION("a blob inside a tree")
  {
    const std::string blob = sha256_hex("PNG b");
    overwrite(f.lake.objects().path_of(blob), "PNG B");
    auto report = lake::fsck(f.lake);
    INFO(faults_text(report));
    CHECK(has_fault(report, "object", blob));
  }
  SECTION("a tree")
  {
    overwrite(f.lake.objects().path_of(f.folder_tree), "{\"entries\":[");
    auto report = lake::fsck(f.lake);
    INFO(faults_text(report));
    CHECK(has_fault(report, "object", f.folder_tree));
    CHECK(has_fault(report, "tree", f.folder_tree));
  }
}

TEST_CASE("fsck detects a missing object", "[lake]")
{
  MaintFixture f;
  const std::string blob = sha256_hex("PNG a"); // only named by the tree
  REQUIRE(f.lake.objects().remove(blob));
  auto report = lake::fsck(f.lake);
  INFO(faults_text(report));
  CHECK(has_fault(report, "reference", blob));
}

TEST_CASE("fsck detects an altered node", "[lake]")
{
  MaintFixture f;
  const fs::path path = f.lake.nodes().path_of(f.node2);
  json node = json::parse(slurp(path));
  node["message"] = "a rewritten history";
  overwrite(path, mlake::util::canonical_json(node));
  auto report = lake::fsck(f.lake);
  INFO(faults_text(report));
  CHECK(has_fault(report, "node", f.node2));
  CHECK(report.nodes == 2);
}

TEST_CASE("fsck detects a node that is not JSON", "[lake]")
{
  MaintFixture f;
  overwrite(f.lake.nodes().path_of(f.node1), "garbage");
  auto report = lake::fsck(f.lake);
  INFO(faults_text(report));
  CHECK(has_fault(report, "node", f.node1));
}

TEST_CASE("fsck detects a deleted parent node", "[lake]")
{
  MaintFixture f;
  fs::remove(f.lake.nodes().path_of(f.node1));
  auto report = lake::fsck(f.lake);
  INFO(faults_text(report));
  CHECK(has_fault(report, "parent", f.node2));
  CHECK_FALSE(has_fault(report, "parent", f.node3));
  CHECK(report.nodes == 2);
}

TEST_CASE("fsck detects a stray file among the nodes", "[lake]")
{
  MaintFixture f;
  write_file(f.lake.nodes().dir() / "notes.txt", "hello");
  auto report = lake::fsck(f.lake);
  INFO(faults_text(report));
  CHECK(has_fault(report, "node", "notes.txt"));
}

TEST_CASE("gc removes only unreferenced objects", "[lake]")
{
  MaintFixture f;
  const std::string stray1 = f.lake.objects().put_bytes("stray one");
  const std::string stray2 = f.lake.objects().put_bytes("stray two");
  write_file(f.lake.dir() / "tmp" / ".object.tmp-9-9-9", "half written");
  std::vector<std::string> strays = {stray1, stray2};
  std::sort(strays.begin(), strays.end());

  SECTION("dry run")
  {
    auto report = lake::gc(f.lake, true);
    CHECK(report.dry_run);
    CHECK(report.removed == strays);
    CHECK(report.bytes == 9 + 9);
    CHECK(report.temporary == 1);
    // Nothing was removed.
    CHECK(f.lake.objects().contains(stray1));
    CHECK(f.lake.objects().contains(stray2));
    CHECK(names_in(f.lake.dir() / "tmp").size() == 1);
  }
  SECTION("for real")
  {
    auto report = lake::gc(f.lake, false);
    CHECK_FALSE(report.dry_run);
    CHECK(report.removed == strays);
    CHECK(report.bytes == 9 + 9);
    CHECK(report.temporary == 1);
    CHECK(f.objects() == f.referenced());
    CHECK(names_in(f.lake.dir() / "tmp").empty());
    auto fsck = lake::fsck(f.lake);
    INFO(faults_text(fsck));
    CHECK(fsck.faults.empty());
    CHECK(fsck.unreferenced == 0);
    // Old versions still check out.
    lake::CheckoutOptions options;
    options.refs = {"data/iris.csv@1", "images@1"};
    options.cwd = f.root;
    options.to = fs::path("restored");
    lake::checkout(f.lake, options);
    CHECK(slurp(f.root / "restored" / "data" / "iris.csv") == iris);
    CHECK(slurp(f.root / "restored" / "images" / "sub" / "b.png") == "PNG b");
    // A second gc has nothing to do.
    auto again = lake::gc(f.lake, false);
    CHECK(again.removed.empty());
    CHECK(again.temporary == 0);
  }
}

TEST_CASE("gc refuses to run on a lake with a damaged node", "[lake]")
{
  MaintFixture f;
  // node1 is altered (its id no longer matches): what it names may be what
  // a repair needs, so nothing may be collected until fsck is clean.
  const fs::path path = f.lake.nodes().path_of(f.node1);
  json node = json::parse(slurp(path));
  node["message"] = "altered";
  overwrite(path, mlake::util::canonical_json(node));
  auto error = error_of([&] { lake::gc(f.lake, false); });
  REQUIRE(error);
  CHECK(error->code() == mlake::Exit::integrity);
  CHECK(std::string(error->what()).find(f.node1) != std::string::npos);
  CHECK(f.lake.objects().contains(sha256_hex(iris)));
}

namespace {

// What the index answers about the whole lake.
json
capture(Lake& l)
{
  auto& idx = l.index();
  json state;
  for (const auto& a : idx.artifacts(std::nullopt)) {
    json versions = json::array();
    for (const auto& v : idx.versions(a.name)) {
      versions.push_back({v.ordinal, v.node, v.hash, v.path, v.time});
    }
    json fields(
        std::map<std::string, std::string>(a.fields.begin(), a.fields.end()));
    state["artifacts"][a.name] = {{"fields", fields},
                                  {"tags", a.tags},
                                  {"created", a.created},
                                  {"versions", versions}};
  }
  json log = json::array();
  for (const auto& n : idx.log(std::nullopt, -1)) {
    log.push_back({n.id, n.kind, n.message, n.time_end});
  }
  state["log"] = log;
  state["heads"] = idx.heads();
  state["count"] = idx.node_count();
  return state;
}

void
remove_index(const fs::path& lake_dir)
{
  for (const char* name : {"index.db", "index.db-wal", "index.db-shm"}) {
    fs::remove(lake_dir / name);
  }
}

} // namespace

TEST_CASE("reindex after deleting index.db answers the same", "[lake]")
{
  mlake::test::TempDir dir;
  json before;
  {
    // Made and closed, so that no lock and no database is held open.
    Lake l = mlake::test::make_lake(dir);
    build(l);
    lake::AnnotateOptions annotate;
    annotate.artifact = "data/iris.csv";
    annotate.cwd = l.root();
    annotate.message = "describe it";
    annotate.description = "Fisher's iris, a sample";
    annotate.owner = "ada";
    annotate.tags = {"tabular", "classic"};
    lake::annotate(l, annotate);
    before = capture(l);
  }
  REQUIRE(before["count"] == 4);
  REQUIRE(before["artifacts"]["data/iris.csv"]["fields"]["owner"] == "ada");
  REQUIRE(before["artifacts"]["data/iris.csv"]["tags"] ==
          json::array({"classic", "tabular"}));
  REQUIRE(before["artifacts"]["images"]["versions"].size() == 1);
  const fs::path root = dir / "project";
  const fs::path lake_dir = root / ".mlake";

  SECTION("deleted, then opened")
  {
    remove_index(lake_dir);
    Lake reopened = Lake::open(root);
    CHECK(capture(reopened) == before);
  }
  SECTION("deleted, then reindex")
  {
    remove_index(lake_dir);
    Lake reopened = Lake::open(root);
    reopened.reindex();
    CHECK(capture(reopened) == before);
    // And fsck agrees that the index holds every node.
    auto report = lake::fsck(reopened);
    INFO(faults_text(report));
    CHECK(report.faults.empty());
  }
  SECTION("a damaged database file, then reindex")
  {
    remove_index(lake_dir);
    write_file(lake_dir / "index.db", std::string(8192, 'x'));
    Lake reopened = Lake::open(root);
    reopened.reindex();
    CHECK(capture(reopened) == before);
  }
  SECTION("a projection emptied by hand, then reindex")
  {
    {
      mlake::index::Index idx(lake_dir / "index.db");
      idx.transaction([&] { idx.clear_projection(); });
    }
    Lake reopened = Lake::open(root);
    reopened.reindex();
    CHECK(capture(reopened) == before);
  }
}
