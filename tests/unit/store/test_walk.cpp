#include <mlake/store/walk.hpp>
#include <mlake/util/error.hpp>

#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <string>
#include <vector>

#include "test_support.hpp"

using mlake::Exit;
using mlake::store::walk_files;
using mlake::test::error_of;
using mlake::test::TempDir;
using mlake::test::write_file;
namespace fs = std::filesystem;

namespace {

std::vector<std::string>
paths_of(const std::vector<mlake::store::WalkedFile>& files)
{
  std::vector<std::string> out;
  for (const auto& f : files) {
    out.push_back(f.path);
  }
  return out;
}

bool
contains(const std::string& text, const std::string& part)
{
  return text.find(part) != std::string::npos;
}

} // namespace

TEST_CASE("walk_files lists regular files sorted bytewise", "[store]")
{
  TempDir dir;
  const fs::path root = dir / "data";
  write_file(root / "b.txt", "bb");
  write_file(root / "a" / "z.txt", "zzz");
  write_file(root / "a" / "b" / "c.txt", "c");
  write_file(root / "a.txt", "a.txt!");
  write_file(root / "a-b", "-");
  write_file(root / "B", "upper");
  write_file(root / ".hidden", "h");
  write_file(root / "run.sh", "#!/bin/sh\n", true);
  fs::create_directories(root / "empty" / "folder");

  auto files = walk_files(root, dir.path());
  CHECK(paths_of(files) == std::vector<std::string>{".hidden",
                                                    "B",
                                                    "a-b",
                                                    "a.txt",
                                                    "a/b/c.txt",
                                                    "a/z.txt",
                                                    "b.txt",
                                                    "run.sh"});
  REQUIRE(files.size() == 8);
  CHECK(files[3].st.size == 6);
  CHECK(files[5].st.size == 3);
  CHECK(files[5].st.is_regular());
  CHECK(files[7].st.is_exec());
  CHECK_FALSE(files[6].st.is_exec());
}

TEST_CASE("walk_files skips .git and .mlake folders at any depth", "[store]")
{
  TempDir dir;
  const fs::path root = dir / "project";
  write_file(root / "keep.csv", "1");
  write_file(root / ".git" / "config", "[core]");
  write_file(root / ".mlake" / "objects" / "ab" / "cd", "x");
  write_file(root / "sub" / ".git" / "HEAD", "ref");
  write_file(root / "sub" / "keep.py", "print()");
  write_file(root / "sub" / ".gitignore", "x");
  // A file (not a folder) named .git, as in a git worktree, is a file.
  write_file(root / "wt" / ".git", "gitdir: elsewhere");
  auto files = walk_files(root, dir.path());
  CHECK(paths_of(files) ==
        std::vector<std::string>{
            "keep.csv", "sub/.gitignore", "sub/keep.py", "wt/.git"});
}

TEST_CASE("walk_files follows a symbolic link to a file inside the boundary",
          "[store]")
{
  TempDir dir;
  const fs::path project = dir / "project";
  write_file(project / "real" / "iris.csv", "sepal,petal\n5.1,1.4\n");
  write_file(project / "data" / "own.txt", "own");
  fs::create_symlink("../real/iris.csv", project / "data" / "link.csv");

  auto files = walk_files(project / "data", project);
  REQUIRE(paths_of(files) == std::vector<std::string>{"link.csv", "own.txt"});
  // The stat is the target's, not the link's.
  CHECK(files[0].st.is_regular());
  CHECK_FALSE(files[0].st.is_symlink());
  CHECK(files[0].st.size == 20);
  auto target = mlake::util::stat_path(project / "real" / "iris.csv");
  REQUIRE(target);
  CHECK(files[0].st.ino == target->ino);
}

TEST_CASE("walk_files refuses a symbolic link leading outside the boundary",
          "[store]")
{
  TempDir dir;
  const fs::path project = dir / "project";
  write_file(dir / "outside.txt", "secret");
  write_file(project / "data" / "ok.txt", "ok");
  fs::create_symlink(dir / "outside.txt", project / "data" / "escape.txt");
  auto error = error_of([&] { walk_files(project / "data", project); });
  REQUIRE(error);
  CHECK(error->code() == Exit::usage);
  INFO(error->what());
  CHECK(contains(error->what(), "escape.txt"));
}

TEST_CASE("walk_files refuses a link to a folder, and a dangling link",
          "[store]")
{
  TempDir dir;
  const fs::path project = dir / "project";
  write_file(project / "other" / "x.txt", "x");
  fs::create_directories(project / "data");
  SECTION("a link to a folder inside the project")
  {
    fs::create_directory_symlink("../other", project / "data" / "dirlink");
    auto error = error_of([&] { walk_files(project / "data", project); });
    REQUIRE(error);
    CHECK(error->code() == Exit::usage);
    CHECK(contains(error->what(), "dirlink"));
  }
  SECTION("a dangling link")
  {
    fs::create_symlink("nowhere.txt", project / "data" / "dangling");
    auto error = error_of([&] { walk_files(project / "data", project); });
    REQUIRE(error);
    CHECK(error->code() == Exit::usage);
    CHECK(contains(error->what(), "dangling"));
  }
}

TEST_CASE("walk_files refuses a fifo", "[store]")
{
  TempDir dir;
  const fs::path root = dir / "data";
  write_file(root / "a.txt", "a");
  REQUIRE(::mkfifo((root / "pipe").c_str(), 0644) == 0);
  auto error = error_of([&] { walk_files(root, dir.path()); });
  REQUIRE(error);
  CHECK(error->code() == Exit::usage);
  CHECK(contains(error->what(), "pipe"));
}

TEST_CASE("walk_files of an empty or missing folder", "[store]")
{
  TempDir dir;
  fs::create_directories(dir / "empty");
  CHECK(walk_files(dir / "empty", dir.path()).empty());
  auto error = error_of([&] { walk_files(dir / "missing", dir.path()); });
  REQUIRE(error);
  CHECK(error->code() == Exit::not_found);
}
