#include <mlake/governance/records.hpp>
#include <mlake/lake/erasure.hpp>
#include <mlake/lake/lake.hpp>
#include <mlake/lake/maintenance.hpp>
#include <mlake/lake/query.hpp>
#include <mlake/lake/workspace.hpp>
#include <mlake/lineage/run.hpp>
#include <mlake/util/error.hpp>
#include <mlake/util/hash.hpp>

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "test_support.hpp"

using mlake::Exit;
using mlake::json;
using mlake::lake::Lake;
using mlake::test::error_of;
using mlake::test::LakeFixture;
using mlake::test::write_file;
using mlake::util::sha256_hex;
namespace fs = std::filesystem;
namespace lake = mlake::lake;
namespace governance = mlake::governance;

namespace {

std::string
add(Lake& l, const std::string& path, const std::string& message)
{
  lake::AddOptions options;
  options.paths = {path};
  options.cwd = l.root();
  options.message = message;
  auto result = lake::add(l, options);
  REQUIRE(result.node);
  return *result.node;
}

json
purge(Lake& l, const std::string& ref, bool force = false)
{
  governance::PurgeOptions options;
  options.ref = ref;
  options.cwd = l.root();
  options.reason = "erasure request";
  options.force = force;
  return governance::purge(l, options);
}

} // namespace

TEST_CASE("a purge erases the content, keeps the node, and fsck and gc agree",
          "[erasure]")
{
  LakeFixture f;
  write_file(f.root / "data.csv", "a\n1\n");
  add(f.lake, "data.csv", "v1");
  write_file(f.root / "data.csv", "a\n1\n2\n");
  const std::string node2 = add(f.lake, "data.csv", "v2");
  const std::string hash2 = sha256_hex("a\n1\n2\n");

  json r = purge(f.lake, "data.csv@2");
  CHECK(r["erased"]["objects"] == 1);
  CHECK(r["erased"]["workspace"] == json::array({"data.csv"}));
  CHECK_FALSE(f.lake.objects().contains(hash2));
  CHECK_FALSE(fs::exists(f.root / "data.csv"));

  lake::Erasure erasure = lake::load_erasure(f.lake);
  CHECK(erasure.purged("data.csv", node2));
  CHECK(erasure.content.count(hash2));
  REQUIRE(erasure.rows.size() == 1);
  CHECK(erasure.rows[0].role == "purged");
  CHECK(erasure.rows[0].message == "erasure request");

  lake::FsckReport report = lake::fsck(f.lake);
  CHECK(report.faults.empty());
  CHECK(report.purged == 1);
  CHECK(report.purged_stored == 0);

  // The version itself is still there to be shown; its content is not.
  json shown = lake::show(f.lake, "data.csv@2", f.root);
  CHECK(shown["taint"]["purged"] == true);
  lake::CheckoutOptions checkout;
  checkout.refs = {"data.csv@2"};
  checkout.cwd = f.root;
  auto error = error_of([&] { lake::checkout(f.lake, checkout); });
  REQUIRE(error);
  CHECK(error->code() == Exit::not_found);
  CHECK(std::string(error->what()).find("erasure request") !=
        std::string::npos);
}

TEST_CASE("content shared with another version is erased only with force",
          "[erasure]")
{
  LakeFixture f;
  write_file(f.root / "a.csv", "same bytes\n");
  write_file(f.root / "b.csv", "same bytes\n");
  const std::string node_a = add(f.lake, "a.csv", "a");
  const std::string node_b = add(f.lake, "b.csv", "b");
  const std::string hash = sha256_hex("same bytes\n");

  auto error = error_of([&] { purge(f.lake, "a.csv@1"); });
  REQUIRE(error);
  CHECK(error->code() == Exit::usage);
  CHECK(std::string(error->what()).find("b.csv@1") != std::string::npos);
  CHECK(f.lake.objects().contains(hash));
  CHECK(lake::load_erasure(f.lake).empty());

  json r = purge(f.lake, "a.csv@1", true);
  REQUIRE(r["affected"].size() == 1);
  CHECK(r["affected"][0]["ref"] == "b.csv@1");
  lake::Erasure erasure = lake::load_erasure(f.lake);
  CHECK(erasure.purged("a.csv", node_a));
  CHECK(erasure.purged("b.csv", node_b));
  CHECK_FALSE(f.lake.objects().contains(hash));
  CHECK(lake::fsck(f.lake).faults.empty());
}

TEST_CASE("the same bytes tracked again after a purge are kept", "[erasure]")
{
  LakeFixture f;
  write_file(f.root / "data.csv", "personal\n");
  add(f.lake, "data.csv", "v1");
  purge(f.lake, "data.csv@1");
  const std::string hash = sha256_hex("personal\n");
  CHECK_FALSE(f.lake.objects().contains(hash));

  // Someone adds the same bytes again: a new version, content the lake
  // keeps, that neither gc nor a later erasure pass removes.
  write_file(f.root / "again.csv", "personal\n");
  add(f.lake, "again.csv", "re-added");
  CHECK(f.lake.objects().contains(hash));
  lake::Erasure erasure = lake::load_erasure(f.lake);
  CHECK_FALSE(erasure.content.count(hash));
  lake::erase_content(f.lake, erasure);
  lake::gc(f.lake, false);
  CHECK(f.lake.objects().contains(hash));
  lake::FsckReport report = lake::fsck(f.lake);
  CHECK(report.faults.empty());
  CHECK(report.purged == 0);
}

TEST_CASE("erased content still stored (an interrupted purge) is gc's to "
          "remove",
          "[erasure]")
{
  LakeFixture f;
  write_file(f.root / "data.csv", "x\n");
  add(f.lake, "data.csv", "v1");
  const std::string hash = sha256_hex("x\n");
  const std::string bytes = *f.lake.objects().read(hash);
  purge(f.lake, "data.csv@1");
  // As if the purge stopped between its node and the removal.
  f.lake.objects().put_bytes(bytes);
  REQUIRE(f.lake.objects().contains(hash));

  lake::FsckReport report = lake::fsck(f.lake);
  CHECK(report.faults.empty());
  CHECK(report.purged_stored == 1);
  auto removed = lake::gc(f.lake, false).removed;
  CHECK(removed == std::vector<std::string>{hash});
  CHECK_FALSE(f.lake.objects().contains(hash));
}

TEST_CASE("taint follows the lineage down, not up or sideways", "[erasure]")
{
  LakeFixture f;
  write_file(f.root / "raw.csv", "raw\n");
  write_file(f.root / "other.csv", "other\n");
  add(f.lake, "raw.csv", "raw");
  const std::string other_node = add(f.lake, "other.csv", "other");
  mlake::lineage::RunOptions run;
  run.cwd = f.root;
  run.kind = "train";
  run.inputs = {"raw.csv"};
  run.outputs = {"model.bin"};
  run.command = {"sh", "-c", "cp raw.csv model.bin; echo m >> model.bin"};
  run.message = "train";
  auto trained = mlake::lineage::run(f.lake, run);
  REQUIRE(trained.node);
  const std::string train_node = *trained.node;

  purge(f.lake, "raw.csv@1");
  lake::Erasure erasure = lake::load_erasure(f.lake);
  auto& idx = f.lake.index();
  auto model_taint = lake::taint_of(idx, erasure, "model.bin", train_node);
  REQUIRE(model_taint.size() == 1);
  CHECK(model_taint[0].artifact == "raw.csv");
  CHECK(lake::taint_of(idx, erasure, "other.csv", other_node).empty());

  // The index is a projection: rebuilt from the nodes, it says the same.
  f.lake.reindex();
  lake::Erasure again = lake::load_erasure(f.lake);
  CHECK(again.versions == erasure.versions);
  CHECK(again.content == erasure.content);
  CHECK(lake::taint_of(f.lake.index(), again, "model.bin", train_node).size() ==
        1);
}
