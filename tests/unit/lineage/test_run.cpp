#include <mlake/lake/lake.hpp>
#include <mlake/lake/lock_file.hpp>
#include <mlake/lineage/run.hpp>
#include <mlake/store/node_store.hpp>
#include <mlake/util/error.hpp>
#include <mlake/util/hash.hpp>

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "lineage/lineage_support.hpp"
#include "test_support.hpp"

using mlake::Exit;
using mlake::json;
using mlake::lake::LockFile;
using mlake::test::add_paths;
using mlake::test::error_of;
using mlake::test::LakeFixture;
using mlake::test::node_files;
using mlake::test::sh_run;
using mlake::test::slurp;
using mlake::test::write_file;
using mlake::util::sha256_hex;
namespace fs = std::filesystem;
namespace lineage = mlake::lineage;

TEST_CASE("run records its input version, output, params and exit code",
          "[lineage]")
{
  LakeFixture f;
  write_file(f.root / "in.txt", "hello\n");
  auto added = add_paths(f, {"in.txt"}, "the input");
  REQUIRE(added.node);

  auto options = sh_run(
      f, "cat in.txt > out.txt", {"in.txt"}, {"out.txt"}, "copy the input");
  options.params = {"lr=0.1", "epochs=3", "optimizer=adam", "shuffle=true"};
  auto result = lineage::run(f.lake, options);

  CHECK(result.exit_code == 0);
  REQUIRE(result.node);
  // The input was tracked and unchanged: no add before the run.
  CHECK_FALSE(result.inputs_node.has_value());
  CHECK(result.run_id.size() == 32);
  REQUIRE(result.outputs.size() == 1);
  CHECK(result.outputs[0].path == "out.txt");
  CHECK(result.outputs[0].artifact == "out.txt");
  CHECK(result.outputs[0].hash == sha256_hex("hello\n"));
  CHECK(result.outputs[0].version == 1);
  CHECK(slurp(f.root / "out.txt") == "hello\n");

  auto node = f.lake.nodes().read(*result.node);
  REQUIRE(node);
  CHECK_FALSE(mlake::store::node_shape_problem(*node).has_value());
  CHECK((*node)["kind"] == "process");
  CHECK((*node)["message"] == "copy the input");
  CHECK((*node)["command"] == json({"sh", "-c", "cat in.txt > out.txt"}));
  CHECK((*node)["cwd"] == ".");
  CHECK((*node)["exit_code"] == 0);
  CHECK((*node)["run_id"] == result.run_id);
  CHECK((*node)["user"]["name"] == "Ada Tester");

  REQUIRE((*node)["inputs"].size() == 1);
  const json& in = (*node)["inputs"][0];
  CHECK(in["artifact"] == "in.txt");
  CHECK(in["path"] == "in.txt");
  CHECK(in["hash"] == sha256_hex("hello\n"));
  CHECK(in["role"] == "input");
  CHECK(in["type"] == "file");
  CHECK(in["size"] == 6);
  // The add node that recorded this version.
  CHECK(in["node"] == *added.node);

  REQUIRE((*node)["outputs"].size() == 1);
  CHECK((*node)["outputs"][0]["artifact"] == "out.txt");
  CHECK((*node)["outputs"][0]["hash"] == sha256_hex("hello\n"));

  json params = {
      {"lr", 0.1}, {"epochs", 3}, {"optimizer", "adam"}, {"shuffle", true}};
  CHECK((*node)["params"] == params);
  CHECK((*node)["metrics"] == json::object());

  // mlake.lock names the run as the output's recording node.
  auto lock = LockFile::load(f.root);
  REQUIRE(lock.entries.count("out.txt") == 1);
  CHECK(lock.entries.at("out.txt").node == *result.node);
  CHECK(lock.entries.at("out.txt").hash == sha256_hex("hello\n"));
  CHECK(f.lake.nodes().list().size() == 2);
}

TEST_CASE("run gives the command MLAKE_RUN_ID and MLAKE_DIR", "[lineage]")
{
  LakeFixture f;
  auto options = sh_run(f,
                        "printf '%s\\n%s' \"$MLAKE_RUN_ID\" \"$MLAKE_DIR\" "
                        "> env.txt",
                        {},
                        {"env.txt"},
                        "print the environment");
  auto result = lineage::run(f.lake, options);
  REQUIRE(result.exit_code == 0);
  CHECK(slurp(f.root / "env.txt") ==
        result.run_id + "\n" + f.lake.dir().string());
}

TEST_CASE("run adds an untracked input first, in its own node", "[lineage]")
{
  LakeFixture f;
  write_file(f.root / "data" / "in.txt", "raw\n");
  auto options = sh_run(f,
                        "tr a-z A-Z < data/in.txt > out.txt",
                        {"data/in.txt"},
                        {"out.txt"},
                        "shout");
  auto result = lineage::run(f.lake, options);
  REQUIRE(result.exit_code == 0);
  REQUIRE(result.inputs_node);
  REQUIRE(result.node);
  CHECK(*result.inputs_node != *result.node);

  auto add = f.lake.nodes().read(*result.inputs_node);
  REQUIRE(add);
  CHECK((*add)["kind"] == "add");
  CHECK((*add)["message"] == "Inputs of: shout");
  REQUIRE((*add)["outputs"].size() == 1);
  CHECK((*add)["outputs"][0]["artifact"] == "data/in.txt");
  CHECK((*add)["outputs"][0]["hash"] == sha256_hex("raw\n"));

  auto node = f.lake.nodes().read(*result.node);
  REQUIRE(node);
  REQUIRE((*node)["inputs"].size() == 1);
  CHECK((*node)["inputs"][0]["artifact"] == "data/in.txt");
  CHECK((*node)["inputs"][0]["node"] == *result.inputs_node);
  REQUIRE((*node)["outputs"].size() == 1);
  CHECK((*node)["outputs"][0]["hash"] == sha256_hex("RAW\n"));
  CHECK(LockFile::load(f.root).entries.at("data/in.txt").node ==
        *result.inputs_node);
  CHECK(f.lake.nodes().list().size() == 2);
}

TEST_CASE("run adds a tracked input that changed", "[lineage]")
{
  LakeFixture f;
  write_file(f.root / "in.txt", "one\n");
  auto first = add_paths(f, {"in.txt"}, "first");
  REQUIRE(first.node);
  write_file(f.root / "in.txt", "two\n");

  auto result = lineage::run(
      f.lake,
      sh_run(f, "cat in.txt > out.txt", {"in.txt"}, {"out.txt"}, "copy"));
  REQUIRE(result.inputs_node);
  CHECK(*result.inputs_node != *first.node);
  auto node = f.lake.nodes().read(*result.node);
  REQUIRE(node);
  CHECK((*node)["inputs"][0]["hash"] == sha256_hex("two\n"));
  CHECK((*node)["inputs"][0]["node"] == *result.inputs_node);
  auto lock = LockFile::load(f.root);
  CHECK(lock.entries.at("in.txt").hash == sha256_hex("two\n"));
}

TEST_CASE("a failing command is recorded with its exit code and no outputs",
          "[lineage]")
{
  LakeFixture f;
  auto result = lineage::run(
      f.lake,
      sh_run(f, "echo partial > out.txt; exit 4", {}, {"out.txt"}, "it fails"));
  CHECK(result.exit_code == 4);
  REQUIRE(result.node);
  CHECK(result.outputs.empty());
  auto node = f.lake.nodes().read(*result.node);
  REQUIRE(node);
  CHECK((*node)["exit_code"] == 4);
  CHECK((*node)["outputs"] == json::array());
  // The half-written output is not versioned.
  CHECK(LockFile::load(f.root).entries.count("out.txt") == 0);
  CHECK_FALSE(f.lake.index().artifact("out.txt").has_value());
  CHECK(f.lake.nodes().list().size() == 1);
}

TEST_CASE("a command ended by a signal exits with 128 + N", "[lineage]")
{
  LakeFixture f;
  auto result =
      lineage::run(f.lake, sh_run(f, "kill -TERM $$", {}, {}, "killed"));
  CHECK(result.exit_code == 128 + 15);
  REQUIRE(result.node);
  CHECK((*f.lake.nodes().read(*result.node))["exit_code"] == 143);
}

TEST_CASE("run with a missing input records nothing and runs nothing",
          "[lineage]")
{
  LakeFixture f;
  std::size_t before = node_files(f);
  auto options =
      sh_run(f, "touch ran.txt", {"missing.txt"}, {"ran.txt"}, "no input");
  auto error = error_of([&] { lineage::run(f.lake, options); });
  REQUIRE(error);
  CHECK(error->code() == Exit::not_found);
  CHECK_THAT(error->what(), Catch::Contains("missing.txt"));
  CHECK(node_files(f) == before);
  CHECK_FALSE(fs::exists(f.root / "ran.txt"));
}

TEST_CASE("run checks its options before the command starts", "[lineage]")
{
  LakeFixture f;
  std::size_t before = node_files(f);

  auto bad_kind = sh_run(f, "touch ran.txt", {}, {}, "bad kind");
  bad_kind.kind = "fit";
  auto error = error_of([&] { lineage::run(f.lake, bad_kind); });
  REQUIRE(error);
  CHECK(error->code() == Exit::usage);

  auto outside = sh_run(f, "touch ran.txt", {"../elsewhere.txt"}, {}, "out");
  write_file(f.dir / "elsewhere.txt", "x\n");
  error = error_of([&] { lineage::run(f.lake, outside); });
  REQUIRE(error);
  CHECK(error->code() == Exit::usage);

  auto no_command = sh_run(f, "", {}, {}, "nothing");
  no_command.command.clear();
  error = error_of([&] { lineage::run(f.lake, no_command); });
  REQUIRE(error);
  CHECK(error->code() == Exit::usage);

  auto bad_param = sh_run(f, "touch ran.txt", {}, {}, "bad param");
  bad_param.params = {"novalue"};
  error = error_of([&] { lineage::run(f.lake, bad_param); });
  REQUIRE(error);
  CHECK(error->code() == Exit::usage);

  auto missing_code = sh_run(f, "touch ran.txt", {}, {}, "no code");
  missing_code.code = {"train.py"};
  error = error_of([&] { lineage::run(f.lake, missing_code); });
  REQUIRE(error);
  CHECK(error->code() == Exit::not_found);

  CHECK(node_files(f) == before);
  CHECK_FALSE(fs::exists(f.root / "ran.txt"));
}

TEST_CASE("run refuses an output that overlaps a tracked path before the "
          "command starts",
          "[lineage]")
{
  LakeFixture f;
  write_file(f.root / "tracked" / "one.txt", "1\n");
  write_file(f.root / "models" / "old.pt", "old\n");
  REQUIRE(add_paths(f, {"tracked", "models/old.pt"}, "setup").node);
  write_file(f.root / "untracked.txt", "u\n");
  std::size_t before = node_files(f);
  for (const char* output : {"tracked/two.txt", "models"}) {
    INFO(output);
    // The untracked input would be added first, in a node of its own.
    auto options = sh_run(
        f, "touch ran.txt", {"untracked.txt"}, {output}, "overlapping output");
    auto error = error_of([&] { lineage::run(f.lake, options); });
    REQUIRE(error);
    CHECK(error->code() == Exit::usage);
    CHECK_THAT(error->what(),
               Catch::Contains(std::string(output) == "models"
                                   ? "'models' contains the tracked path "
                                     "'models/old.pt'"
                                   : "'tracked/two.txt' is inside the "
                                     "tracked folder 'tracked'"));
    CHECK_FALSE(fs::exists(f.root / "ran.txt"));
  }
  CHECK(node_files(f) == before);
}

TEST_CASE("a metrics file the command did not write records nothing",
          "[lineage]")
{
  LakeFixture f;
  std::size_t before = node_files(f);
  auto options = sh_run(f, "echo x > out.txt", {}, {"out.txt"}, "no metrics");
  options.metrics_files = {"metrics.json"};
  auto error = error_of([&] { lineage::run(f.lake, options); });
  REQUIRE(error);
  CHECK(error->code() == Exit::not_found);
  CHECK_THAT(error->what(), Catch::Contains("metrics.json"));
  CHECK(node_files(f) == before);
  CHECK(LockFile::load(f.root).entries.count("out.txt") == 0);
}

TEST_CASE("an output the command did not write records nothing", "[lineage]")
{
  LakeFixture f;
  std::size_t before = node_files(f);
  auto options = sh_run(f, "true", {}, {"model.pt"}, "no output");
  auto error = error_of([&] { lineage::run(f.lake, options); });
  REQUIRE(error);
  CHECK(error->code() == Exit::not_found);
  CHECK_THAT(error->what(), Catch::Contains("model.pt"));
  CHECK(node_files(f) == before);
}

TEST_CASE("run records metrics and params files, flattened", "[lineage]")
{
  LakeFixture f;
  write_file(f.root / "params.yaml",
             "model:\n  lr: 0.1\n  depth: 4\nseed: 1\n");
  auto options =
      sh_run(f,
             "printf 'accuracy: 0.9\\nloss:\\n  train: 0.25\\n' > metrics.yaml",
             {},
             {},
             "measure");
  options.params_file = "params.yaml";
  options.params = {"seed=7"}; // -p overrides the file
  options.metrics_files = {"metrics.yaml"};
  auto result = lineage::run(f.lake, options);
  REQUIRE(result.exit_code == 0);
  json metrics = {{"accuracy", 0.9}, {"loss.train", 0.25}};
  CHECK(result.metrics == metrics);
  auto node = f.lake.nodes().read(*result.node);
  REQUIRE(node);
  CHECK((*node)["metrics"] == metrics);
  json params = {{"model.lr", 0.1}, {"model.depth", 4}, {"seed", 7}};
  CHECK((*node)["params"] == params);
  // The params file itself is kept as a code file of the run, so that
  // reproduce can put it back.
  const json& files = (*node)["code"]["files"];
  REQUIRE(files.size() == 1);
  CHECK(files[0]["path"] == "params.yaml");
  CHECK(files[0]["role"] == "params");
  CHECK(files[0]["hash"] == sha256_hex(slurp(f.root / "params.yaml")));
  CHECK(f.lake.objects().contains(files[0]["hash"].get<std::string>()));
}

TEST_CASE("a params file outside the project is not kept as code", "[lineage]")
{
  LakeFixture f;
  write_file(f.dir / "params.yaml", "seed: 3\n");
  auto options = sh_run(f, "true", {}, {}, "outside");
  options.params_file = "../params.yaml";
  auto result = lineage::run(f.lake, options);
  auto node = f.lake.nodes().read(*result.node);
  REQUIRE(node);
  CHECK((*node)["params"] == json({{"seed", 3}}));
  CHECK((*node)["code"]["files"] == json::array());
}

TEST_CASE("run snapshots the script it runs and the code files named",
          "[lineage]")
{
  LakeFixture f;
  const std::string script = "echo trained > model.pt\n";
  const std::string helper = "# helper\n";
  write_file(f.root / "train.sh", script);
  write_file(f.root / "lib" / "helper.sh", helper);
  lineage::RunOptions options;
  options.kind = "train";
  options.command = {"sh", "train.sh"};
  options.outputs = {"model.pt"};
  options.code = {"lib/helper.sh"};
  options.algorithm = "shell";
  options.message = "train";
  options.cwd = f.root;
  auto result = lineage::run(f.lake, options);
  REQUIRE(result.exit_code == 0);
  auto node = f.lake.nodes().read(*result.node);
  REQUIRE(node);
  CHECK((*node)["kind"] == "train");
  CHECK((*node)["algorithm"] == "shell");
  const json& files = (*node)["code"]["files"];
  REQUIRE(files.size() == 2);
  CHECK(files[0]["path"] == "lib/helper.sh");
  CHECK(files[0]["hash"] == sha256_hex(helper));
  CHECK(files[0]["role"] == "code");
  CHECK(files[1]["path"] == "train.sh");
  CHECK(files[1]["hash"] == sha256_hex(script));
  CHECK(files[1]["size"] == script.size());
  // The snapshot is in the lake.
  CHECK(f.lake.objects().read(sha256_hex(script)) == script);
  CHECK(slurp(f.root / "model.pt") == "trained\n");
}

TEST_CASE("run in a subfolder records the folder and relative paths",
          "[lineage]")
{
  LakeFixture f;
  write_file(f.root / "exp" / "in.txt", "abc\n");
  auto options =
      sh_run(f, "cat in.txt > out.txt", {"in.txt"}, {"out.txt"}, "in sub");
  options.cwd = f.root / "exp";
  auto result = lineage::run(f.lake, options);
  REQUIRE(result.exit_code == 0);
  auto node = f.lake.nodes().read(*result.node);
  REQUIRE(node);
  CHECK((*node)["cwd"] == "exp");
  CHECK((*node)["inputs"][0]["path"] == "exp/in.txt");
  CHECK((*node)["outputs"][0]["path"] == "exp/out.txt");
  CHECK(slurp(f.root / "exp" / "out.txt") == "abc\n");
}
