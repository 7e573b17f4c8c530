#include <mlake/lake/config.hpp>
#include <mlake/lake/lake.hpp>
#include <mlake/util/error.hpp>
#include <mlake/util/hash.hpp>
#include <mlake/util/json.hpp>
#include <mlake/util/time.hpp>

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "test_support.hpp"

using mlake::Exit;
using mlake::json;
using mlake::lake::Config;
using mlake::lake::Lake;
using mlake::test::error_of;
using mlake::test::LakeFixture;
using mlake::test::make_lake;
using mlake::test::names_in;
using mlake::test::TempDir;
using mlake::test::write_file;
using mlake::util::sha256_hex;
namespace fs = std::filesystem;

namespace {

json
minimal_node(const std::string& message)
{
  const std::string now =
      mlake::util::format_rfc3339(mlake::util::now_micros());
  return {{"kind", "annotate"},
          {"message", message},
          {"inputs", json::array()},
          {"outputs", json::array()},
          {"time", {{"start", now}, {"end", now}}}};
}

} // namespace

TEST_CASE("Lake::init makes a lake", "[lake]")
{
  TempDir dir;
  Lake lake = make_lake(dir, "a/new/project");
  CHECK(lake.root() == dir / "a" / "new" / "project");
  CHECK(lake.dir() == dir / "a" / "new" / "project" / ".mlake");
  for (const char* sub : {"objects", "nodes", "tmp"}) {
    INFO(sub);
    CHECK(fs::is_directory(lake.dir() / sub));
  }
  CHECK(fs::is_regular_file(lake.dir() / "config.yaml"));
  CHECK(fs::is_regular_file(lake.dir() / "index.db"));
  // Only .mlake is left in the project: no staging folder.
  CHECK(names_in(lake.root()) == std::vector<std::string>{".mlake"});
  CHECK(lake.config().user.name == "Ada Tester");
  CHECK(lake.config().user.email == "ada@example.org");
  CHECK(lake.config().link == mlake::store::LinkMode::copy);
  CHECK(lake.index().node_count() == 0);
  CHECK(lake.nodes().list().empty());
  CHECK_FALSE(lake.locked());
}

TEST_CASE("Lake::init writes a config that loads back", "[lake]")
{
  TempDir dir;
  Lake lake = make_lake(dir);
  Config config = Config::load(lake.dir() / "config.yaml");
  CHECK(config.user.name == "Ada Tester");
  CHECK(config.user.email == "ada@example.org");
  CHECK(config.link == mlake::store::LinkMode::copy);
}

TEST_CASE("Lake::init refuses a folder that is already a lake", "[lake]")
{
  TempDir dir;
  Lake lake = make_lake(dir);
  auto error = error_of([&] { Lake::init(dir / "project"); });
  REQUIRE(error);
  CHECK(error->code() == Exit::usage);
  CHECK(std::string(error->what()).find("already") != std::string::npos);
  // The existing lake is untouched.
  CHECK(names_in(dir / "project") == std::vector<std::string>{".mlake"});
  CHECK(fs::is_regular_file(lake.dir() / "config.yaml"));
}

TEST_CASE("Lake::open finds the lake from a subfolder", "[lake]")
{
  LakeFixture f;
  fs::create_directories(f.root / "data" / "raw" / "2024");
  Lake from_root = Lake::open(f.root);
  CHECK(from_root.root() == f.root);
  Lake from_sub = Lake::open(f.root / "data" / "raw" / "2024");
  CHECK(from_sub.root() == f.root);
  CHECK(from_sub.dir() == f.root / ".mlake");
  // Relative and unnormalised starting points work too.
  Lake odd = Lake::open(f.root / "data" / ".." / "data" / "raw" / ".");
  CHECK(odd.root() == f.root);
  CHECK(from_sub.config().user.name == "Ada Tester");
}

TEST_CASE("Lake::open outside any lake throws Exit::not_a_lake", "[lake]")
{
  TempDir dir;
  fs::create_directories(dir / "plain" / "folder");
  // A file named .mlake is not a lake.
  write_file(dir / "plain" / ".mlake", "not a folder");
  auto error = error_of([&] { Lake::open(dir / "plain" / "folder"); });
  REQUIRE(error);
  CHECK(error->code() == Exit::not_a_lake);
  CHECK_FALSE(error->hint().empty());
}

TEST_CASE("Lake::open of a lake without its config", "[lake]")
{
  LakeFixture f;
  fs::remove(f.lake.dir() / "config.yaml");
  auto error = error_of([&] { Lake::open(f.root); });
  REQUIRE(error);
  CHECK(error->code() == Exit::not_a_lake);
}

TEST_CASE("Lake::commit needs the lock", "[lake]")
{
  // A programming error rather than a user's: any exception will do.
  LakeFixture f;
  CHECK_THROWS(f.lake.commit(minimal_node("no lock")));
  CHECK(f.lake.nodes().list().empty());
}

TEST_CASE("Lake::commit fills in parents, user, host and format", "[lake]")
{
  LakeFixture f;
  f.lake.lock("unit test");
  CHECK(f.lake.locked());
  const std::string first = f.lake.commit(minimal_node("first"));
  const std::string second = f.lake.commit(minimal_node("second"));

  auto node1 = f.lake.nodes().read(first);
  auto node2 = f.lake.nodes().read(second);
  REQUIRE(node1);
  REQUIRE(node2);
  CHECK((*node1)["parents"] == json::array());
  CHECK((*node2)["parents"] == json::array({first}));
  CHECK((*node2)["user"]["name"] == "Ada Tester");
  CHECK((*node2)["user"]["email"] == "ada@example.org");
  CHECK((*node2)["host"] == mlake::lake::host_name());
  CHECK((*node2)["format"] == mlake::lake::node_format);
  CHECK((*node2)["message"] == "second");
  // The id is the hash of the bytes on disk.
  CHECK(sha256_hex(*f.lake.nodes().read_bytes(second)) == second);
  // And the index knows both.
  CHECK(f.lake.index().node_count() == 2);
  CHECK(f.lake.index().heads() == std::vector<std::string>{second});
  CHECK(f.lake.index().parents(second) == std::vector<std::string>{first});
}

TEST_CASE("Lake::commit refuses a malformed node and writes nothing", "[lake]")
{
  LakeFixture f;
  f.lake.lock("unit test");
  json node = minimal_node("bad");
  node["outputs"] = json::array({{{"artifact", "x"},
                                  {"hash", "not-a-hash"},
                                  {"path", "x"},
                                  {"type", "file"}}});
  CHECK_THROWS(f.lake.commit(node));
  CHECK(f.lake.nodes().list().empty());
  CHECK(f.lake.index().node_count() == 0);
}

TEST_CASE("a node recorded by one Lake is seen by another opened later",
          "[lake]")
{
  LakeFixture f;
  {
    Lake writer = Lake::open(f.root);
    writer.lock("writer");
    writer.commit(minimal_node("from the writer"));
  }
  Lake reader = Lake::open(f.root);
  CHECK(reader.index().node_count() == 1);
  CHECK(reader.index().log(std::nullopt, 10).at(0).message ==
        "from the writer");
}

TEST_CASE("nodes that arrive on disk are projected when the lake is opened",
          "[lake]")
{
  // As after a pull: node files appear without going through commit.
  LakeFixture f;
  std::string parent;
  {
    Lake writer = Lake::open(f.root);
    writer.lock("unit test");
    parent = writer.commit(minimal_node("local"));
  }
  json arrived = minimal_node("arrived");
  arrived["parents"] = json::array({parent});
  arrived["user"] = {{"name", "Bo"}, {"email", "bo@example.org"}};
  arrived["host"] = "elsewhere";
  const std::string id = f.lake.nodes().write(arrived);

  Lake other = Lake::open(f.root);
  auto& idx = other.index();
  CHECK(idx.has_node(id));
  CHECK(idx.node_count() == 2);
  CHECK(idx.heads() == std::vector<std::string>{id});
}

TEST_CASE("a second writer is refused with Exit::locked", "[lake]")
{
  LakeFixture f;
  f.lake.lock("mlake add");
  Lake second = Lake::open(f.root);
  auto error = error_of([&] { second.lock("mlake gc"); });
  REQUIRE(error);
  CHECK(error->code() == Exit::locked);
  CHECK(std::string(error->what()).find("mlake add") != std::string::npos);
  CHECK_FALSE(second.locked());
  // Readers are fine meanwhile.
  CHECK(second.index().node_count() == 0);
}

TEST_CASE("Config::load validates the file", "[lake]")
{
  TempDir dir;
  const fs::path path = dir / "config.yaml";
  SECTION("a good file")
  {
    write_file(path,
               "version: 1\nuser:\n  name: Bo\n  email: bo@example.org\n"
               "link: hardlink\n");
    Config c = Config::load(path);
    CHECK(c.user.name == "Bo");
    CHECK(c.user.email == "bo@example.org");
    CHECK(c.link == mlake::store::LinkMode::hardlink);
    CHECK(c.wants_metafeatures(256 << 20));
    CHECK_FALSE(c.wants_metafeatures((256 << 20) + 1));
    c.metafeatures_max_bytes = 0; // no metafeatures at all
    CHECK_FALSE(c.wants_metafeatures(0));
    CHECK_FALSE(c.wants_metafeatures(1));
  }
  SECTION("save and load round trip")
  {
    Config c;
    c.user = {"Zoë Quote: \"x\"", "z@example.org"};
    c.link = mlake::store::LinkMode::symlink;
    c.metafeatures_max_bytes = 0;
    c.save(path);
    Config back = Config::load(path);
    CHECK(back.user.name == c.user.name);
    CHECK(back.user.email == c.user.email);
    CHECK(back.link == c.link);
    CHECK(back.metafeatures_max_bytes == 0);
  }
  for (const char* text : {"version: 1\ncolour: blue\n",
                           "link: teleport\n",
                           "user:\n  name: Bo\n  phone: 123\n",
                           "user: Bo\n",
                           "version: 2\n",
                           "- a\n- b\n",
                           "user: {name: [unclosed\n"}) {
    write_file(path, text);
    INFO(text);
    auto error = error_of([&] { Config::load(path); });
    REQUIRE(error);
    CHECK(error->code() == Exit::usage);
    CHECK(std::string(error->what()).find("config.yaml") != std::string::npos);
  }
}

TEST_CASE("current_identity prefers the environment", "[lake]")
{
  mlake::test::set_test_identity();
  auto who = mlake::lake::current_identity({"Config Name", "config@x"});
  CHECK(who.name == "Ada Tester");
  CHECK(who.email == "ada@example.org");
  ::setenv("MLAKE_USER_NAME", "", 1);
  who = mlake::lake::current_identity({"Config Name", "config@x"});
  CHECK(who.name == "Config Name");
  CHECK(who.email == "ada@example.org");
  mlake::test::set_test_identity();
}
