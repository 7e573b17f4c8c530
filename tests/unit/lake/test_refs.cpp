#include <mlake/lake/lake.hpp>
#include <mlake/lake/refs.hpp>
#include <mlake/lake/workspace.hpp>
#include <mlake/util/error.hpp>
#include <mlake/util/hash.hpp>

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "test_support.hpp"

using mlake::Exit;
using mlake::lake::resolve_ref;
using mlake::lake::resolve_version;
using mlake::lake::Resolved;
using mlake::test::error_of;
using mlake::test::LakeFixture;
using mlake::test::slurp;
using mlake::test::write_file;
using mlake::util::sha256_hex;
namespace fs = std::filesystem;
namespace lake = mlake::lake;

namespace {

const std::string v1 = slurp(mlake::test::testdata("iris.csv"));
const std::string v2 = v1 + "6.2,3.4,5.4,2.3,virginica\n";
const std::string v3 = v2 + "5.9,3.0,5.1,1.8,virginica\n";

// A lake where data/iris.csv has three versions and models/clf.pt, added
// under the name "clf", has one.
struct RefsFixture : LakeFixture
{
  std::vector<std::string> nodes;
  std::string clf_node;

  RefsFixture()
  {
    for (const auto& content : {v1, v2, v3}) {
      write_file(root / "data" / "iris.csv", content);
      nodes.push_back(add({"data/iris.csv"}, "iris version"));
    }
    write_file(root / "models" / "clf.pt", "model bytes");
    lake::AddOptions options;
    options.paths = {"models/clf.pt"};
    options.cwd = root;
    options.message = "classifier";
    options.name = "clf";
    clf_node = *lake::add(lake, options).node;
  }

  std::string
  add(std::vector<std::string> paths, const std::string& message)
  {
    lake::AddOptions options;
    options.paths = std::move(paths);
    options.cwd = root;
    options.message = message;
    auto result = lake::add(lake, options);
    REQUIRE(result.node);
    return *result.node;
  }
};

// A prefix of `full` that no other string in `others` shares.
std::string
unique_prefix(const std::string& full,
              const std::vector<std::string>& others,
              std::size_t at_least)
{
  for (std::size_t n = at_least; n <= full.size(); ++n) {
    std::string prefix = full.substr(0, n);
    bool shared = false;
    for (const auto& o : others) {
      shared = shared || (o != full && o.rfind(prefix, 0) == 0);
    }
    if (!shared) {
      return prefix;
    }
  }
  return full;
}

} // namespace

TEST_CASE("resolve_version by name, ordinal and latest", "[lake]")
{
  RefsFixture f;
  auto latest = resolve_version(f.lake, "data/iris.csv", f.root);
  CHECK(latest.artifact == "data/iris.csv");
  CHECK(latest.hash == sha256_hex(v3));
  CHECK(latest.ordinal == 3);
  CHECK(latest.node == f.nodes[2]);
  CHECK(latest.path == "data/iris.csv");
  CHECK(latest.type == "file");
  CHECK(latest.size == v3.size());

  CHECK(resolve_version(f.lake, "data/iris.csv@latest", f.root).hash ==
        sha256_hex(v3));
  auto first = resolve_version(f.lake, "data/iris.csv@1", f.root);
  CHECK(first.hash == sha256_hex(v1));
  CHECK(first.ordinal == 1);
  CHECK(first.node == f.nodes[0]);
  CHECK(first.message == "iris version");
  CHECK(first.user_name == "Ada Tester");
  CHECK(resolve_version(f.lake, "data/iris.csv@2", f.root).hash ==
        sha256_hex(v2));
  CHECK(resolve_version(f.lake, "data/iris.csv@3", f.root).hash ==
        sha256_hex(v3));

  auto clf = resolve_version(f.lake, "clf@1", f.root);
  CHECK(clf.artifact == "clf");
  CHECK(clf.hash == sha256_hex("model bytes"));
  CHECK(clf.path == "models/clf.pt");
}

TEST_CASE("resolve_version by content hash prefix and node id prefix", "[lake]")
{
  RefsFixture f;
  const std::vector<std::string> hashes = {
      sha256_hex(v1), sha256_hex(v2), sha256_hex(v3)};
  std::vector<std::string> all = hashes;
  all.insert(all.end(), f.nodes.begin(), f.nodes.end());

  for (std::size_t i = 0; i < 3; ++i) {
    INFO("version " << i + 1);
    const std::string by_hash = unique_prefix(hashes[i], all, 7);
    auto v = resolve_version(f.lake, "data/iris.csv@" + by_hash, f.root);
    CHECK(v.ordinal == int(i + 1));
    CHECK(v.hash == hashes[i]);
    // The whole hash works too.
    CHECK(
        resolve_version(f.lake, "data/iris.csv@" + hashes[i], f.root).ordinal ==
        int(i + 1));

    const std::string by_node = unique_prefix(f.nodes[i], all, 7);
    auto n = resolve_version(f.lake, "data/iris.csv@" + by_node, f.root);
    CHECK(n.ordinal == int(i + 1));
    CHECK(n.node == f.nodes[i]);
  }
}

TEST_CASE("resolve_version by a hash prefix made only of decimal digits",
          "[lake]")
{
  // sha256("model weights 77\n") = 26512815190ce13c..., so its first seven
  // (and eleven) digits look like a version number. About one version in
  // 27 has such a hash; it must still be reachable by a 7-digit prefix.
  RefsFixture f;
  const std::string content = "model weights 77\n";
  const std::string hash = sha256_hex(content);
  REQUIRE(hash.substr(0, 11) == "26512815190");
  write_file(f.root / "weights.bin", content);
  f.add({"weights.bin"}, "weights");
  CHECK(resolve_version(f.lake, "weights.bin@" + hash, f.root).hash == hash);
  CHECK(resolve_version(f.lake, "weights.bin@26512815190c", f.root).hash ==
        hash);
  CHECK(resolve_version(f.lake, "weights.bin@1", f.root).hash == hash);
  for (const char* prefix : {"2651281", "26512815190"}) {
    std::string got;
    auto error = error_of([&] {
      got =
          resolve_version(f.lake, std::string("weights.bin@") + prefix, f.root)
              .hash;
    });
    INFO(prefix << ": " << (error ? error->what() : "resolved"));
    CHECK_FALSE(error.has_value());
    CHECK(got == hash);
  }
}

TEST_CASE("resolve_version takes paths relative to cwd", "[lake]")
{
  RefsFixture f;
  const fs::path data = f.root / "data";
  CHECK(resolve_version(f.lake, "iris.csv", data).hash == sha256_hex(v3));
  CHECK(resolve_version(f.lake, "iris.csv@1", data).hash == sha256_hex(v1));
  CHECK(resolve_version(f.lake, "./iris.csv@2", data).hash == sha256_hex(v2));
  CHECK(resolve_version(f.lake, "../data/iris.csv@1", data).hash ==
        sha256_hex(v1));
  // An artifact with its own name is found by its path as well.
  auto clf = resolve_version(f.lake, "clf.pt", f.root / "models");
  CHECK(clf.artifact == "clf");
  CHECK(resolve_version(f.lake, "models/clf.pt@1", f.root).artifact == "clf");
}

TEST_CASE("resolve_version of something unknown is not_found", "[lake]")
{
  RefsFixture f;
  for (const char* text : {"nothing",
                           "nothing@1",
                           "data/iris.csv@4",
                           "data/iris.csv@0",
                           "data/iris.csv@99999999999999",
                           "data/iris.csv@nope",
                           "data/iris.csv@0000000000",
                           "iris.csv", // relative to the root, not data/
                           "data",
                           "@1",
                           ""}) {
    INFO("'" << text << "'");
    auto error = error_of([&] { resolve_version(f.lake, text, f.root); });
    REQUIRE(error);
    CHECK(error->code() == Exit::not_found);
  }
  // A name or path outside the project.
  auto error = error_of(
      [&] { resolve_version(f.lake, "../elsewhere/iris.csv", f.root); });
  REQUIRE(error);
  CHECK(error->code() == Exit::not_found);
}

TEST_CASE("resolve_ref tells artifacts, versions and nodes apart", "[lake]")
{
  RefsFixture f;
  auto artifact = resolve_ref(f.lake, "data/iris.csv", f.root);
  CHECK(artifact.kind == Resolved::Kind::artifact);
  CHECK(artifact.artifact == "data/iris.csv");

  auto version = resolve_ref(f.lake, "clf@1", f.root);
  CHECK(version.kind == Resolved::Kind::version);
  CHECK(version.artifact == "clf");
  REQUIRE(version.version);
  CHECK(version.version->hash == sha256_hex("model bytes"));

  std::vector<std::string> all_nodes = f.nodes;
  all_nodes.push_back(f.clf_node);
  const std::string prefix = unique_prefix(f.nodes[1], all_nodes, 4);
  auto node = resolve_ref(f.lake, prefix, f.root);
  CHECK(node.kind == Resolved::Kind::node);
  CHECK(node.node == f.nodes[1]);
  CHECK(resolve_ref(f.lake, f.nodes[1], f.root).node == f.nodes[1]);

  auto error = error_of([&] { resolve_ref(f.lake, "nothing", f.root); });
  REQUIRE(error);
  CHECK(error->code() == Exit::not_found);
  // Too short to be taken for a node.
  auto short_prefix =
      error_of([&] { resolve_ref(f.lake, f.nodes[1].substr(0, 3), f.root); });
  REQUIRE(short_prefix);
  CHECK(short_prefix->code() == Exit::not_found);
}

TEST_CASE("find_artifact by name or by path", "[lake]")
{
  RefsFixture f;
  CHECK(lake::find_artifact(f.lake, "clf", f.root) == "clf");
  CHECK(lake::find_artifact(f.lake, "models/clf.pt", f.root) == "clf");
  CHECK(lake::find_artifact(f.lake, "iris.csv", f.root / "data") ==
        "data/iris.csv");
  CHECK_FALSE(lake::find_artifact(f.lake, "", f.root).has_value());
  CHECK_FALSE(lake::find_artifact(f.lake, ".", f.root).has_value());
  CHECK_FALSE(lake::find_artifact(f.lake, "models", f.root).has_value());
}
