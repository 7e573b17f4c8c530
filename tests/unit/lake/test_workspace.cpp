#include <mlake/lake/lake.hpp>
#include <mlake/lake/lock_file.hpp>
#include <mlake/lake/refs.hpp>
#include <mlake/lake/workspace.hpp>
#include <mlake/store/tree.hpp>
#include <mlake/util/error.hpp>
#include <mlake/util/hash.hpp>

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "test_support.hpp"

using mlake::Exit;
using mlake::json;
using mlake::lake::AddOptions;
using mlake::lake::CheckoutOptions;
using mlake::lake::LockFile;
using mlake::test::error_of;
using mlake::test::LakeFixture;
using mlake::test::names_in;
using mlake::test::slurp;
using mlake::test::write_file;
using mlake::util::sha256_hex;
namespace fs = std::filesystem;
namespace lake = mlake::lake;

namespace {

lake::AddResult
add(LakeFixture& f,
    std::vector<std::string> paths,
    const std::string& message,
    const fs::path& cwd = {})
{
  AddOptions options;
  options.paths = std::move(paths);
  options.cwd = cwd.empty() ? f.root : cwd;
  options.message = message;
  return lake::add(f.lake, options);
}

lake::StatusResult
status(LakeFixture& f, std::vector<std::string> paths = {})
{
  return lake::status(f.lake, paths, f.root);
}

lake::CheckoutResult
checkout(LakeFixture& f, std::vector<std::string> refs, bool force = false)
{
  CheckoutOptions options;
  options.refs = std::move(refs);
  options.cwd = f.root;
  options.force = force;
  return lake::checkout(f.lake, options);
}

std::vector<std::string>
describe(const lake::StatusResult& result)
{
  std::vector<std::string> out;
  for (const auto& c : result.changes) {
    out.push_back(c.change + " " + c.path + " (" + c.artifact + ")");
  }
  return out;
}

const std::string iris = slurp(mlake::test::testdata("iris.csv"));

} // namespace

TEST_CASE("add stores a file and records one add node", "[lake]")
{
  LakeFixture f;
  write_file(f.root / "data" / "iris.csv", iris);
  auto result = add(f, {"data/iris.csv"}, "add the iris data");

  REQUIRE(result.node);
  REQUIRE(result.paths.size() == 1);
  const auto& p = result.paths[0];
  CHECK(p.path == "data/iris.csv");
  CHECK(p.artifact == "data/iris.csv");
  CHECK(p.type == "file");
  CHECK(p.hash == sha256_hex(iris));
  CHECK(p.size == iris.size());
  CHECK(p.files == 1);
  CHECK(p.changed);
  CHECK(p.new_artifact);
  CHECK(p.version == 1);
  CHECK(result.files_stored == 1);
  CHECK(result.bytes_stored == iris.size());
  CHECK(f.lake.objects().read(p.hash) == iris);

  // The node on disk.
  auto node = f.lake.nodes().read(*result.node);
  REQUIRE(node);
  CHECK((*node)["kind"] == "add");
  CHECK((*node)["message"] == "add the iris data");
  CHECK((*node)["parents"] == json::array());
  CHECK((*node)["user"]["name"] == "Ada Tester");
  REQUIRE((*node)["outputs"].size() == 1);
  CHECK((*node)["outputs"][0]["hash"] == sha256_hex(iris));
  CHECK((*node)["outputs"][0]["artifact"] == "data/iris.csv");
  CHECK_FALSE(mlake::store::node_shape_problem(*node).has_value());
  CHECK((*node)["time"]["start"].get<std::string>() <=
        (*node)["time"]["end"].get<std::string>());

  // mlake.lock names it.
  auto lock = LockFile::load(f.root);
  REQUIRE(lock.entries.count("data/iris.csv") == 1);
  const auto& entry = lock.entries.at("data/iris.csv");
  CHECK(entry.artifact == "data/iris.csv");
  CHECK(entry.hash == sha256_hex(iris));
  CHECK(entry.type == "file");
  CHECK(entry.size == iris.size());
  CHECK(entry.kind == "dataset");
  CHECK(entry.node == *result.node);

  // The index knows the artifact, with the kind inferred from .csv.
  auto art = f.lake.index().artifact("data/iris.csv");
  REQUIRE(art);
  CHECK(art->field("kind") == "dataset");
  CHECK(art->version_count == 1);
  // The workspace file is untouched.
  CHECK(slurp(f.root / "data" / "iris.csv") == iris);
}

TEST_CASE("adding unchanged content makes no node", "[lake]")
{
  LakeFixture f;
  write_file(f.root / "data" / "iris.csv", iris);
  auto first = add(f, {"data/iris.csv"}, "first");
  REQUIRE(first.node);
  auto again = add(f, {"data/iris.csv"}, "again");
  CHECK_FALSE(again.node.has_value());
  REQUIRE(again.paths.size() == 1);
  CHECK_FALSE(again.paths[0].changed);
  CHECK_FALSE(again.paths[0].new_artifact);
  CHECK(again.paths[0].version == 1);
  CHECK(again.files_stored == 0);
  CHECK(f.lake.nodes().list().size() == 1);
  CHECK(f.lake.index().versions("data/iris.csv").size() == 1);

  SECTION("and the same content under a new name is a new artifact")
  {
    write_file(f.root / "copy.csv", iris);
    auto copy = add(f, {"copy.csv"}, "copy");
    REQUIRE(copy.node);
    CHECK(copy.paths[0].new_artifact);
    CHECK(copy.files_stored == 0); // the content was there already
  }
}

TEST_CASE("adding changed content makes a new version", "[lake]")
{
  LakeFixture f;
  write_file(f.root / "data" / "iris.csv", iris);
  auto v1 = add(f, {"data/iris.csv"}, "v1");
  const std::string v2_content = iris + "5.9,3.0,5.1,1.8,virginica\n";
  write_file(f.root / "data" / "iris.csv", v2_content);
  auto v2 = add(f, {"data/iris.csv"}, "v2");
  REQUIRE(v2.node);
  CHECK(v2.paths[0].version == 2);
  CHECK_FALSE(v2.paths[0].new_artifact);
  CHECK(v2.paths[0].hash == sha256_hex(v2_content));
  auto node = f.lake.nodes().read(*v2.node);
  CHECK((*node)["parents"] == json::array({*v1.node}));
  auto versions = f.lake.index().versions("data/iris.csv");
  REQUIRE(versions.size() == 2);
  CHECK(versions[0].hash == sha256_hex(iris));
  CHECK(versions[1].hash == sha256_hex(v2_content));
  CHECK(LockFile::load(f.root).entries.at("data/iris.csv").hash ==
        sha256_hex(v2_content));
}

TEST_CASE("add stores a folder as one tree", "[lake]")
{
  LakeFixture f;
  const fs::path images = f.root / "data" / "images";
  write_file(images / "a.png", "PNG a");
  write_file(images / "b.png", "PNG bb");
  write_file(images / "sub" / "c.png", "PNG ccc");
  write_file(images / "prep.sh", "#!/bin/sh\n", true);
  auto result = add(f, {"data/images"}, "add images");
  REQUIRE(result.node);
  const auto& p = result.paths.at(0);
  CHECK(p.type == "dir");
  CHECK(p.files == 4);
  CHECK(p.size == 5 + 6 + 7 + 10);
  CHECK(result.files_stored == 4);

  mlake::store::Tree expected;
  expected.entries = {{"a.png", 5, false, sha256_hex("PNG a")},
                      {"b.png", 6, false, sha256_hex("PNG bb")},
                      {"prep.sh", 10, true, sha256_hex("#!/bin/sh\n")},
                      {"sub/c.png", 7, false, sha256_hex("PNG ccc")}};
  CHECK(p.hash == sha256_hex(mlake::store::serialize_tree(expected)));
  auto tree_bytes = f.lake.objects().read(p.hash);
  REQUIRE(tree_bytes);
  CHECK(mlake::store::parse_tree(*tree_bytes, "t").entries == expected.entries);
  for (const auto& e : expected.entries) {
    CHECK(f.lake.objects().contains(e.hash));
  }
  auto art = f.lake.index().artifact("data/images");
  REQUIRE(art);
  CHECK(art->field("kind") == "dataset");
  REQUIRE(art->latest);
  CHECK(art->latest->files == 4);
}

TEST_CASE("add with a name, kind, owner and tags", "[lake]")
{
  LakeFixture f;
  write_file(f.root / "models" / "clf.pt", "torch bytes");
  AddOptions options;
  options.paths = {"models/clf.pt"};
  options.cwd = f.root;
  options.message = "first classifier";
  options.name = "iris-classifier";
  options.owner = "ada";
  options.description = "a small MLP";
  options.security = "confidential";
  options.tags = {"baseline", "mlp"};
  auto result = lake::add(f.lake, options);
  CHECK(result.paths.at(0).artifact == "iris-classifier");
  auto art = f.lake.index().artifact("iris-classifier");
  REQUIRE(art);
  CHECK(art->field("kind") == "model");
  CHECK(art->field("owner") == "ada");
  CHECK(art->field("description") == "a small MLP");
  CHECK(art->field("security") == "confidential");
  CHECK(art->tags == std::vector<std::string>{"baseline", "mlp"});
  CHECK(LockFile::load(f.root).entries.at("models/clf.pt").artifact ==
        "iris-classifier");
}

TEST_CASE("add records why a CSV has no metafeatures, naming its path",
          "[lake]")
{
  LakeFixture f;
  write_file(f.root / "data" / "broken.csv", "a,b\n1,\"not closed\n2,3\n");
  auto result = add(f, {"data/broken.csv"}, "a broken table");
  REQUIRE(result.node);
  auto node = f.lake.nodes().read(*result.node);
  REQUIRE(node);
  const json& mf = (*node)["outputs"][0]["metafeatures"];
  REQUIRE(mf.contains("error"));
  const std::string error = mf["error"];
  CHECK_THAT(error, Catch::StartsWith("cannot read 'data/broken.csv': line 2"));
  CHECK_THAT(error, !Catch::Contains(".mlake"));
}

TEST_CASE("add describes tables up to metafeatures_max_bytes, none at 0",
          "[lake]")
{
  LakeFixture f;
  // 8 and 12 bytes, each 4 more after every add.
  write_file(f.root / "small.csv", "a,b\n1,2\n");
  write_file(f.root / "large.csv", "a,b\n1,2\n3,4\n");
  write_file(f.root / "empty.csv", "");
  auto described = [&](std::uint64_t limit) {
    lake::Config config = f.lake.config();
    config.metafeatures_max_bytes = limit;
    config.save(f.lake.dir() / "config.yaml");
    lake::Lake lake = lake::Lake::open(f.root);
    AddOptions options;
    options.paths = {"small.csv", "large.csv", "empty.csv"};
    options.cwd = f.root;
    options.message = "limit " + std::to_string(limit);
    auto result = lake::add(lake, options);
    std::vector<std::string> out;
    const json node = lake.nodes().read(*result.node).value();
    for (const json& o : node.at("outputs")) {
      if (o.contains("metafeatures")) {
        out.push_back(o["path"]);
      }
    }
    // Change both files so that the next add records them again.
    write_file(f.root / "small.csv", slurp(f.root / "small.csv") + "5,6\n");
    write_file(f.root / "large.csv", slurp(f.root / "large.csv") + "5,6\n");
    return out;
  };
  // 0 means none, not even for an empty file (recorded once, here).
  CHECK(described(0).empty());
  CHECK(described(13) == std::vector<std::string>{"small.csv"});
  CHECK(described(1 << 20) ==
        std::vector<std::string>{"small.csv", "large.csv"});
}

TEST_CASE("add refuses bad input and leaves the lake unchanged", "[lake]")
{
  LakeFixture f;
  write_file(f.root / "data" / "iris.csv", iris);
  write_file(f.dir / "outside.csv", "outside");
  AddOptions options;
  options.cwd = f.root;
  options.message = "a message";
  Exit expected = Exit::usage;
  std::string expected_what;

  SECTION("no message")
  {
    options.paths = {"data/iris.csv"};
    options.message = " \n";
  }
  SECTION("no path")
  {
    options.paths = {};
  }
  SECTION("a missing path, even next to a good one")
  {
    options.paths = {"data/iris.csv", "data/missing.csv"};
    expected = Exit::not_found;
  }
  SECTION("a path outside the project")
  {
    options.paths = {"../outside.csv"};
  }
  SECTION("a path inside .mlake")
  {
    options.paths = {".mlake/config.yaml"};
  }
  SECTION("the project root")
  {
    options.paths = {"."};
  }
  SECTION("an unknown kind")
  {
    options.paths = {"data/iris.csv"};
    options.kind = "spreadsheet";
  }
  SECTION("a tag with a space")
  {
    options.paths = {"data/iris.csv"};
    options.tags = {"two words"};
  }
  SECTION("a symbolic link leading outside")
  {
    fs::create_symlink(f.dir / "outside.csv", f.root / "link.csv");
    options.paths = {"link.csv"};
  }
  SECTION("a folder and a file inside it")
  {
    options.paths = {"data", "data/iris.csv"};
  }
  SECTION("a --target column the table does not have")
  {
    options.paths = {"data/iris.csv"};
    options.target = "colour";
    expected_what = "no column 'colour' in 'data/iris.csv'";
  }
  auto error = error_of([&] { lake::add(f.lake, options); });
  REQUIRE(error);
  CHECK(error->code() == expected);
  if (!expected_what.empty()) {
    CHECK(error->what() == expected_what);
  }
  CHECK(f.lake.nodes().list().empty());
  CHECK_FALSE(fs::exists(f.root / "mlake.lock"));
  CHECK(f.lake.index().node_count() == 0);
  CHECK(names_in(f.lake.objects().objects_dir()).empty());
  CHECK(names_in(f.lake.dir() / "tmp").empty());
}

TEST_CASE("add refuses a path inside a tracked folder", "[lake]")
{
  LakeFixture f;
  write_file(f.root / "data" / "a.csv", "a");
  add(f, {"data"}, "the folder");
  write_file(f.root / "data" / "b.csv", "b");
  auto error = error_of([&] { add(f, {"data/b.csv"}, "inside"); });
  REQUIRE(error);
  CHECK(error->code() == Exit::usage);
  CHECK(f.lake.nodes().list().size() == 1);
}

TEST_CASE("add takes paths relative to cwd", "[lake]")
{
  LakeFixture f;
  write_file(f.root / "data" / "iris.csv", iris);
  write_file(f.root / "data" / "images" / "a.png", "a");
  auto result =
      add(f, {"iris.csv", "./images/"}, "from data/", f.root / "data");
  REQUIRE(result.paths.size() == 2);
  CHECK(result.paths[0].path == "data/iris.csv");
  CHECK(result.paths[0].artifact == "data/iris.csv");
  CHECK(result.paths[1].path == "data/images");
  CHECK(result.paths[1].type == "dir");
  auto lock = LockFile::load(f.root);
  CHECK(lock.entries.count("data/images") == 1);
  CHECK(lock.entries.count("data/iris.csv") == 1);
}

TEST_CASE("status of an unchanged workspace is clean", "[lake]")
{
  LakeFixture f;
  write_file(f.root / "data" / "iris.csv", iris);
  write_file(f.root / "data" / "images" / "a.png", "a");
  add(f, {"data/iris.csv", "data/images"}, "both");
  auto result = status(f);
  CHECK(result.tracked == 2);
  CHECK(describe(result).empty());
  // A second time (from the stat cache, if it was filled) too.
  CHECK(describe(status(f)).empty());
}

TEST_CASE("status sees modified, deleted and new files", "[lake]")
{
  LakeFixture f;
  write_file(f.root / "data" / "iris.csv", iris);
  write_file(f.root / "model.pt", "weights v1");
  write_file(f.root / "data" / "images" / "a.png", "a");
  write_file(f.root / "data" / "images" / "b.png", "b");
  write_file(f.root / "data" / "images" / "c.png", "c");
  add(f, {"data/iris.csv", "model.pt", "data/images"}, "all");
  REQUIRE(describe(status(f)).empty());

  // Same size, new content, straight after the add: the stat cache must
  // not hide it.
  write_file(f.root / "model.pt", "weights v2");
  fs::remove(f.root / "data" / "iris.csv");
  write_file(f.root / "data" / "images" / "a.png", "A");
  fs::remove(f.root / "data" / "images" / "b.png");
  write_file(f.root / "data" / "images" / "d.png", "d");
  // A new file outside every tracked path is not reported.
  write_file(f.root / "notes.txt", "untracked");

  auto result = status(f);
  CHECK(result.tracked == 3);
  CHECK(describe(result) == std::vector<std::string>{
                                "modified data/images/a.png (data/images)",
                                "deleted data/images/b.png (data/images)",
                                "new data/images/d.png (data/images)",
                                "deleted data/iris.csv (data/iris.csv)",
                                "modified model.pt (model.pt)",
                            });

  SECTION("limited to some paths")
  {
    CHECK(describe(status(f, {"data/images/a.png"})) ==
          std::vector<std::string>{"modified data/images/a.png (data/images)"});
    CHECK(describe(status(f, {"model.pt"})) ==
          std::vector<std::string>{"modified model.pt (model.pt)"});
    CHECK(describe(status(f, {"data"})).size() == 4);
  }
  SECTION("an untracked path is not_found")
  {
    auto error = error_of([&] { status(f, {"notes.txt"}); });
    REQUIRE(error);
    CHECK(error->code() == Exit::not_found);
  }
}

TEST_CASE("status sees an exec bit change in a folder", "[lake]")
{
  LakeFixture f;
  write_file(f.root / "scripts" / "run.sh", "#!/bin/sh\necho hi\n");
  add(f, {"scripts"}, "scripts");
  ::chmod((f.root / "scripts" / "run.sh").c_str(), 0755);
  CHECK(describe(status(f)) ==
        std::vector<std::string>{"modified scripts/run.sh (scripts)"});
}

TEST_CASE("status sees a same-size rewrite after a cached clean status",
          "[lake]")
{
  LakeFixture f;
  write_file(f.root / "data.bin", "0123456789");
  add(f, {"data.bin"}, "data");
  // Let the stat cache learn the file once it is old enough to be trusted.
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  REQUIRE(describe(status(f)).empty());
  REQUIRE(describe(status(f)).empty());
  write_file(f.root / "data.bin", "9876543210");
  CHECK(describe(status(f)) ==
        std::vector<std::string>{"modified data.bin (data.bin)"});
}

TEST_CASE("status is not fooled by a rewrite that keeps size and mtime",
          "[lake]")
{
  LakeFixture f;
  const fs::path images = f.root / "data" / "images";
  write_file(images / "a.png", "aaaa");
  write_file(images / "b.png", "bbbb");
  write_file(f.root / "single.bin", "1234");
  add(f, {"data/images", "single.bin"}, "images");
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  REQUIRE(describe(status(f)).empty());
  REQUIRE(describe(status(f)).empty());

  // Rewrite in place (same inode, same size), then put the old mtime
  // back, as `touch -r` or a careless tool would.
  for (const fs::path& path : {images / "a.png", f.root / "single.bin"}) {
    struct stat before;
    REQUIRE(::stat(path.c_str(), &before) == 0);
    int fd = ::open(path.c_str(), O_WRONLY);
    REQUIRE(fd >= 0);
    REQUIRE(::write(fd, "zzzz", 4) == 4);
    ::close(fd);
    struct timespec times[2] = {before.st_atim, before.st_mtim};
    REQUIRE(::utimensat(AT_FDCWD, path.c_str(), times, 0) == 0);
  }
  CHECK(describe(status(f)) ==
        std::vector<std::string>{"modified data/images/a.png (data/images)",
                                 "modified single.bin (single.bin)"});
}

TEST_CASE("checkout of NAME@1 restores the old bytes", "[lake]")
{
  LakeFixture f;
  const fs::path path = f.root / "data" / "iris.csv";
  write_file(path, iris);
  auto v1 = add(f, {"data/iris.csv"}, "v1");
  const std::string v2_content = "sepal_length\n5.1\n";
  write_file(path, v2_content);
  add(f, {"data/iris.csv"}, "v2");

  auto result = checkout(f, {"data/iris.csv@1"});
  CHECK(slurp(path) == iris);
  REQUIRE(result.paths.size() == 1);
  CHECK(result.paths[0].path == "data/iris.csv");
  CHECK(result.paths[0].hash == sha256_hex(iris));
  CHECK(result.paths[0].version == 1);
  CHECK(result.files_written == 1);
  CHECK(result.target == f.root);
  // A writable copy, not a link into the store.
  CHECK_FALSE(fs::is_symlink(path));
  CHECK((mlake::test::mode_of(path) & S_IWUSR) != 0);
  CHECK(f.lake.objects().verify(sha256_hex(iris)) == true);
  // mlake.lock follows, and the workspace is clean against it.
  auto entry = LockFile::load(f.root).entries.at("data/iris.csv");
  CHECK(entry.hash == sha256_hex(iris));
  CHECK(entry.node == *v1.node);
  CHECK(describe(status(f)).empty());

  SECTION("and back to the latest")
  {
    auto back = checkout(f, {"data/iris.csv"});
    CHECK(slurp(path) == v2_content);
    CHECK(back.paths.at(0).version == 2);
  }
  SECTION("checking out what is there already writes nothing")
  {
    auto same = checkout(f, {"data/iris.csv@1"});
    CHECK(same.files_written == 0);
    CHECK(same.files_unchanged == 1);
  }
}

TEST_CASE("checkout of a folder version restores every file", "[lake]")
{
  LakeFixture f;
  const fs::path images = f.root / "data" / "images";
  write_file(images / "a.png", "a1");
  write_file(images / "b.png", "b1");
  write_file(images / "run.sh", "#!/bin/sh\n", true);
  add(f, {"data/images"}, "v1");
  write_file(images / "a.png", "a2");
  fs::remove(images / "b.png");
  write_file(images / "new.png", "n2");
  add(f, {"data/images"}, "v2");

  checkout(f, {"data/images@1"});
  CHECK(names_in(images) ==
        std::vector<std::string>{"a.png", "b.png", "run.sh"});
  CHECK(slurp(images / "a.png") == "a1");
  CHECK(slurp(images / "b.png") == "b1");
  CHECK((mlake::test::mode_of(images / "run.sh") & S_IXUSR) != 0);
  CHECK(describe(status(f)).empty());
}

TEST_CASE("checkout from mlake.lock brings back deleted files", "[lake]")
{
  LakeFixture f;
  write_file(f.root / "data" / "iris.csv", iris);
  write_file(f.root / "data" / "images" / "a.png", "a");
  add(f, {"data/iris.csv", "data/images"}, "both");
  fs::remove(f.root / "data" / "iris.csv");
  fs::remove_all(f.root / "data" / "images");
  auto result = checkout(f, {});
  CHECK(slurp(f.root / "data" / "iris.csv") == iris);
  CHECK(slurp(f.root / "data" / "images" / "a.png") == "a");
  CHECK(result.files_written == 2);
  CHECK(describe(status(f)).empty());
}

TEST_CASE("a single tracked file keeps its exec bit", "[lake]")
{
  // A folder's tree records each file's exec bit; a file tracked on its
  // own should not lose it.
  LakeFixture f;
  const fs::path script = f.root / "train.sh";
  write_file(script, "#!/bin/sh\npython train.py\n", true);
  auto added = add(f, {"train.sh"}, "the training script");
  CHECK(added.paths.at(0).exec);
  CHECK(LockFile::load(f.root).entries.at("train.sh").exec);
  fs::remove(script);
  checkout(f, {});
  REQUIRE(fs::exists(script));
  CHECK(slurp(script) == "#!/bin/sh\npython train.py\n");
  CHECK((mlake::test::mode_of(script) & S_IXUSR) != 0);
}

TEST_CASE("status and add see an exec bit change on a single file", "[lake]")
{
  LakeFixture f;
  const fs::path script = f.root / "prepare.py";
  write_file(script, "print('prepare')\n");
  auto first = add(f, {"prepare.py"}, "plain");
  CHECK_FALSE(first.paths.at(0).exec);
  ::chmod(script.c_str(), 0755);
  CHECK(describe(status(f)) ==
        std::vector<std::string>{"modified prepare.py (prepare.py)"});
  auto second = add(f, {"prepare.py"}, "executable now");
  REQUIRE(second.node);
  CHECK(second.paths.at(0).exec);
  CHECK(second.paths.at(0).version == 2);
  CHECK(describe(status(f)).empty());
}

TEST_CASE("checkout refuses to overwrite changes not in the lake", "[lake]")
{
  LakeFixture f;
  const fs::path path = f.root / "data" / "iris.csv";
  write_file(path, iris);
  add(f, {"data/iris.csv"}, "v1");
  write_file(path, "v2 bytes");
  add(f, {"data/iris.csv"}, "v2");
  write_file(path, "precious unsaved work");

  auto error = error_of([&] { checkout(f, {"data/iris.csv@1"}); });
  REQUIRE(error);
  CHECK(error->code() == Exit::check_failed);
  CHECK(slurp(path) == "precious unsaved work");
  CHECK(LockFile::load(f.root).entries.at("data/iris.csv").hash ==
        sha256_hex("v2 bytes"));

  SECTION("unless forced")
  {
    checkout(f, {"data/iris.csv@1"}, true);
    CHECK(slurp(path) == iris);
  }
}

TEST_CASE("checkout into another folder leaves the workspace alone", "[lake]")
{
  LakeFixture f;
  write_file(f.root / "data" / "iris.csv", iris);
  add(f, {"data/iris.csv"}, "v1");
  write_file(f.root / "data" / "iris.csv", "v2");
  add(f, {"data/iris.csv"}, "v2");
  const std::string lock_before = slurp(f.root / "mlake.lock");

  CheckoutOptions options;
  options.refs = {"data/iris.csv@1"};
  options.cwd = f.root;
  options.to = fs::path("export");
  auto result = lake::checkout(f.lake, options);
  CHECK(result.target == f.root / "export");
  CHECK(slurp(f.root / "export" / "data" / "iris.csv") == iris);
  CHECK(slurp(f.root / "data" / "iris.csv") == "v2");
  CHECK(slurp(f.root / "mlake.lock") == lock_before);
}

TEST_CASE("checkout of an unknown version is not_found", "[lake]")
{
  LakeFixture f;
  write_file(f.root / "data" / "iris.csv", iris);
  add(f, {"data/iris.csv"}, "v1");
  for (const char* ref : {"data/iris.csv@2", "nothing", "nothing@1"}) {
    INFO(ref);
    auto error = error_of([&] { checkout(f, {ref}); });
    REQUIRE(error);
    CHECK(error->code() == Exit::not_found);
  }
  CHECK(slurp(f.root / "data" / "iris.csv") == iris);
}
