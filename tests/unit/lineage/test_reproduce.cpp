#include <mlake/lake/lake.hpp>
#include <mlake/lineage/reproduce.hpp>
#include <mlake/lineage/run.hpp>
#include <mlake/util/error.hpp>
#include <mlake/util/hash.hpp>

#include <catch2/catch.hpp>

#include <stdlib.h>

#include <string>

#include "lineage/lineage_support.hpp"
#include "test_support.hpp"

using mlake::Exit;
using mlake::json;
using mlake::lineage::ReproduceOptions;
using mlake::test::add_paths;
using mlake::test::error_of;
using mlake::test::LakeFixture;
using mlake::test::sh_run;
using mlake::test::slurp;
using mlake::test::write_file;
using mlake::util::sha256_hex;
namespace fs = std::filesystem;
namespace lineage = mlake::lineage;

namespace {

ReproduceOptions
reproduce_options(const LakeFixture& f, const std::string& ref)
{
  ReproduceOptions options;
  options.ref = ref;
  options.cwd = f.root;
  return options;
}

// Sets an environment variable for the scope, and unsets it after.
class ScopedEnv
{
public:
  ScopedEnv(const char* name, const char* value) : m_name(name)
  {
    ::setenv(name, value, 1);
  }
  ~ScopedEnv()
  {
    ::unsetenv(m_name);
  }
  void
  set(const char* value)
  {
    ::setenv(m_name, value, 1);
  }

private:
  const char* m_name;
};

} // namespace

TEST_CASE("a deterministic run reproduces", "[lineage]")
{
  LakeFixture f;
  write_file(f.root / "data" / "in.txt", "hello\n");
  write_file(f.root / "shout.sh", "tr a-z A-Z < data/in.txt > out.txt\n");
  lineage::RunOptions options;
  options.command = {"sh", "shout.sh"};
  options.inputs = {"data/in.txt"};
  options.outputs = {"out.txt"};
  options.message = "shout";
  options.cwd = f.root;
  auto run = lineage::run(f.lake, options);
  REQUIRE(run.exit_code == 0);
  REQUIRE(run.node);
  // The workspace no longer holds what the run read or ran.
  fs::remove(f.root / "data" / "in.txt");
  fs::remove(f.root / "shout.sh");
  fs::remove(f.root / "out.txt");

  auto result = lineage::reproduce(f.lake, reproduce_options(f, "out.txt"));
  CHECK(result.node == *run.node);
  CHECK(result.exit_code == 0);
  CHECK(result.recorded_exit_code == 0);
  CHECK(result.reproduced);
  CHECK_FALSE(result.kept);
  REQUIRE(result.outputs.size() == 1);
  CHECK(result.outputs[0].artifact == "out.txt");
  CHECK(result.outputs[0].path == "out.txt");
  CHECK(result.outputs[0].recorded == sha256_hex("HELLO\n"));
  CHECK(result.outputs[0].reproduced == sha256_hex("HELLO\n"));
  CHECK(result.outputs[0].same);
  // The scratch workspace is gone, and the project is untouched.
  CHECK_FALSE(result.workspace.empty());
  CHECK_FALSE(fs::exists(result.workspace));
  CHECK_FALSE(fs::exists(f.root / "out.txt"));

  // By node id, into a folder that is kept.
  auto keep = reproduce_options(f, *run.node);
  keep.to = f.dir / "scratch";
  auto kept = lineage::reproduce(f.lake, keep);
  CHECK(kept.reproduced);
  CHECK(kept.kept);
  CHECK(kept.workspace == f.dir / "scratch");
  CHECK(slurp(f.dir / "scratch" / "out.txt") == "HELLO\n");
  CHECK(slurp(f.dir / "scratch" / "data" / "in.txt") == "hello\n");
  CHECK(slurp(f.dir / "scratch" / "shout.sh") ==
        "tr a-z A-Z < data/in.txt > out.txt\n");

  // --to a folder that is not empty is refused.
  auto error = error_of([&] { lineage::reproduce(f.lake, keep); });
  REQUIRE(error);
  CHECK(error->code() == Exit::usage);
}

TEST_CASE("a run that depends on the environment does not reproduce",
          "[lineage]")
{
  LakeFixture f;
  ScopedEnv mode("MLAKE_UNIT_MODE", "alpha");
  auto run = lineage::run(f.lake,
                          sh_run(f,
                                 "printf '%s\\n' \"$MLAKE_UNIT_MODE\" > "
                                 "mode.txt",
                                 {},
                                 {"mode.txt"},
                                 "write the mode"));
  REQUIRE(run.exit_code == 0);
  REQUIRE(slurp(f.root / "mode.txt") == "alpha\n");

  mode.set("beta");
  auto changed = lineage::reproduce(f.lake, reproduce_options(f, "mode.txt@1"));
  CHECK_FALSE(changed.reproduced);
  CHECK(changed.exit_code == 0);
  REQUIRE(changed.outputs.size() == 1);
  CHECK(changed.outputs[0].artifact == "mode.txt");
  CHECK_FALSE(changed.outputs[0].same);
  CHECK(changed.outputs[0].recorded == sha256_hex("alpha\n"));
  CHECK(changed.outputs[0].reproduced == sha256_hex("beta\n"));

  // With the value it had, it reproduces.
  mode.set("alpha");
  auto same = lineage::reproduce(f.lake, reproduce_options(f, "mode.txt"));
  CHECK(same.reproduced);
  REQUIRE(same.outputs.size() == 1);
  CHECK(same.outputs[0].same);
}

TEST_CASE("reproduce compares the exit code too", "[lineage]")
{
  LakeFixture f;
  ScopedEnv code("MLAKE_UNIT_EXIT", "3");
  auto run = lineage::run(
      f.lake, sh_run(f, "exit \"$MLAKE_UNIT_EXIT\"", {}, {}, "exits"));
  REQUIRE(run.exit_code == 3);
  REQUIRE(run.node);

  auto same = lineage::reproduce(f.lake, reproduce_options(f, *run.node));
  CHECK(same.recorded_exit_code == 3);
  CHECK(same.exit_code == 3);
  CHECK(same.reproduced);

  code.set("0");
  auto other = lineage::reproduce(f.lake, reproduce_options(f, *run.node));
  CHECK(other.exit_code == 0);
  CHECK_FALSE(other.reproduced);
}

TEST_CASE("reproduce gives code files and inputs their executable bits",
          "[lineage]")
{
  LakeFixture f;
  write_file(
      f.root / "make.sh", "#!/bin/sh\n./tools/stamp.sh >made.txt\n", true);
  write_file(f.root / "tools" / "stamp.sh", "#!/bin/sh\necho made\n", true);
  write_file(f.root / "notes.sh", "# not run\n");
  lineage::RunOptions options;
  options.command = {"./make.sh"};
  options.code = {"make.sh", "notes.sh"};
  options.inputs = {"tools/stamp.sh"};
  options.outputs = {"made.txt"};
  options.message = "an executable";
  options.cwd = f.root;
  auto run = lineage::run(f.lake, options);
  REQUIRE(run.exit_code == 0);
  json node = f.lake.nodes().read(*run.node).value();
  const json& files = node["code"]["files"];
  REQUIRE(files.size() == 2);
  CHECK(files[0]["exec"] == true);
  CHECK(files[1]["exec"] == false);
  CHECK(node["inputs"][0]["exec"] == true);

  auto keep = reproduce_options(f, "made.txt");
  keep.to = f.dir / "again";
  auto result = lineage::reproduce(f.lake, keep);
  CHECK(result.exit_code == 0);
  CHECK(result.reproduced);
  CHECK(mlake::test::mode_of(f.dir / "again" / "make.sh") == 0755);
  CHECK(mlake::test::mode_of(f.dir / "again" / "tools" / "stamp.sh") == 0755);
  CHECK(mlake::test::mode_of(f.dir / "again" / "notes.sh") == 0644);

  // A node recorded before code files kept their bit: the workspace
  // file's is taken.
  for (json& file : node["code"]["files"]) {
    file.erase("exec");
  }
  node.erase("parents");
  f.lake.lock("test");
  const std::string old = f.lake.commit(node);
  f.lake.unlock();
  auto from_old = lineage::reproduce(f.lake, reproduce_options(f, old));
  CHECK(from_old.exit_code == 0);
  CHECK(from_old.reproduced);
}

TEST_CASE("reproduce puts back the --params file the command reads",
          "[lineage]")
{
  LakeFixture f;
  write_file(f.root / "conf" / "params.yaml", "lr: 0.5\n");
  auto options =
      sh_run(f, "cat conf/params.yaml > used.txt", {}, {"used.txt"}, "params");
  options.params_file = "conf/params.yaml";
  auto run = lineage::run(f.lake, options);
  REQUIRE(run.exit_code == 0);
  fs::remove_all(f.root / "conf");
  auto result = lineage::reproduce(f.lake, reproduce_options(f, "used.txt"));
  CHECK(result.exit_code == 0);
  CHECK(result.reproduced);
}

TEST_CASE("reproduce of a version no command made is a usage error",
          "[lineage]")
{
  LakeFixture f;
  write_file(f.root / "in.txt", "hello\n");
  REQUIRE(add_paths(f, {"in.txt"}, "added").node);
  auto error = error_of(
      [&] { lineage::reproduce(f.lake, reproduce_options(f, "in.txt")); });
  REQUIRE(error);
  CHECK(error->code() == Exit::usage);

  error = error_of(
      [&] { lineage::reproduce(f.lake, reproduce_options(f, "nothing.txt")); });
  REQUIRE(error);
  CHECK(error->code() == Exit::not_found);
}
