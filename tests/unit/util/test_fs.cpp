#include <mlake/util/error.hpp>
#include <mlake/util/fs.hpp>

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <set>
#include <string>
#include <vector>

#include "test_support.hpp"

using mlake::Exit;
using mlake::test::error_of;
using mlake::test::mode_of;
using mlake::test::names_in;
using mlake::test::slurp;
using mlake::test::TempDir;
using mlake::test::write_file;
namespace fs = std::filesystem;
namespace util = mlake::util;

TEST_CASE("AtomicFile commit publishes the content and leaves no temp file",
          "[util]")
{
  TempDir dir;
  fs::create_directories(dir / "tmp");
  fs::create_directories(dir / "out");
  const fs::path final_path = dir / "out" / "data.bin";

  auto sync = GENERATE(util::AtomicFile::Sync::none,
                       util::AtomicFile::Sync::file,
                       util::AtomicFile::Sync::file_dir);
  {
    util::AtomicFile file(dir / "tmp", "data.bin");
    CHECK(file.tmp_path().parent_path() == dir / "tmp");
    CHECK(fs::exists(file.tmp_path()));
    file.write("first part, ");
    file.write(std::string("second part\0with a NUL", 22));
    // Nothing is visible under the final name before commit().
    CHECK_FALSE(fs::exists(final_path));
    file.commit(final_path, sync);
  }
  CHECK(slurp(final_path) ==
        std::string("first part, second part\0with a NUL", 34));
  CHECK(names_in(dir / "tmp").empty());
  CHECK(names_in(dir / "out") == std::vector<std::string>{"data.bin"});
}

TEST_CASE("AtomicFile commit replaces an existing file", "[util]")
{
  TempDir dir;
  write_file(dir / "target.txt", "old content that is longer");
  {
    util::AtomicFile file(dir.path(), "target.txt");
    file.write("new");
    file.commit(dir / "target.txt", util::AtomicFile::Sync::file);
  }
  CHECK(slurp(dir / "target.txt") == "new");
  CHECK(names_in(dir.path()) == std::vector<std::string>{"target.txt"});
}

TEST_CASE("AtomicFile creates the file with the mode asked for", "[util]")
{
  TempDir dir;
  {
    util::AtomicFile file(dir.path(), "ro", 0444);
    file.write("x");
    file.commit(dir / "ro", util::AtomicFile::Sync::none);
  }
  CHECK(mode_of(dir / "ro") == 0444);
}

TEST_CASE("AtomicFile discard and destruction leave nothing behind", "[util]")
{
  TempDir dir;
  fs::path tmp_path;
  SECTION("discard")
  {
    util::AtomicFile file(dir.path(), "x");
    tmp_path = file.tmp_path();
    file.write("half-written");
    REQUIRE(fs::exists(tmp_path));
    file.discard();
    CHECK_FALSE(fs::exists(tmp_path));
    file.discard(); // a second discard is harmless
  }
  SECTION("destroyed without commit")
  {
    {
      util::AtomicFile file(dir.path(), "x");
      tmp_path = file.tmp_path();
      file.write("half-written");
      REQUIRE(fs::exists(tmp_path));
    }
    CHECK_FALSE(fs::exists(tmp_path));
  }
  SECTION("an exception unwinds through it")
  {
    try {
      util::AtomicFile file(dir.path(), "x");
      tmp_path = file.tmp_path();
      file.write("half-written");
      throw std::runtime_error("interrupted");
    } catch (const std::runtime_error&) {
    }
    CHECK_FALSE(fs::exists(tmp_path));
  }
  CHECK(names_in(dir.path()).empty());
}

TEST_CASE("a failed AtomicFile commit removes the temporary file", "[util]")
{
  TempDir dir;
  fs::path tmp_path;
  auto error = error_of([&] {
    util::AtomicFile file(dir.path(), "x");
    tmp_path = file.tmp_path();
    file.write("content");
    file.commit(dir / "missing-folder" / "x", util::AtomicFile::Sync::file);
  });
  REQUIRE(error);
  CHECK(std::string(error->what()).find("missing-folder") != std::string::npos);
  CHECK_FALSE(fs::exists(tmp_path));
  CHECK(names_in(dir.path()).empty());
}

TEST_CASE("AtomicFile in a missing folder throws mlake::Error", "[util]")
{
  TempDir dir;
  auto error =
      error_of([&] { util::AtomicFile file(dir / "no" / "such" / "dir"); });
  REQUIRE(error);
  CHECK(std::string(error->what()).find("no/such/dir") != std::string::npos);
}

TEST_CASE("temp_name gives distinct hidden names in the folder", "[util]")
{
  TempDir dir;
  std::set<fs::path> names;
  for (int i = 0; i < 200; ++i) {
    fs::path name = util::temp_name(dir.path(), "obj");
    CHECK(name.parent_path() == dir.path());
    CHECK(name.filename().string().rfind(".obj.tmp-", 0) == 0);
    names.insert(name);
  }
  CHECK(names.size() == 200);
}

TEST_CASE("write_file_atomic writes and replaces a file", "[util]")
{
  TempDir dir;
  const fs::path path = dir / "config.yaml";
  util::write_file_atomic(path, "version: 1\n");
  CHECK(slurp(path) == "version: 1\n");
  util::write_file_atomic(path, "v2");
  CHECK(slurp(path) == "v2");
  util::write_file_atomic(path, "");
  CHECK(slurp(path).empty());
  CHECK(names_in(dir.path()) == std::vector<std::string>{"config.yaml"});

  SECTION("through a separate temporary folder")
  {
    fs::create_directories(dir / "tmp");
    util::write_file_atomic(
        path, "via tmp", util::AtomicFile::Sync::none, dir / "tmp");
    CHECK(slurp(path) == "via tmp");
    CHECK(names_in(dir / "tmp").empty());
  }
}

TEST_CASE("read_file and read_file_if_exists", "[util]")
{
  TempDir dir;
  std::string binary("a\0b\xff\n", 5);
  write_file(dir / "f.bin", binary);
  CHECK(util::read_file(dir / "f.bin") == binary);
  CHECK(util::read_file_if_exists(dir / "f.bin") == binary);
  CHECK_FALSE(util::read_file_if_exists(dir / "missing").has_value());
  auto error = error_of([&] { util::read_file(dir / "missing"); });
  REQUIRE(error);
  CHECK(error->code() == Exit::not_found);
  CHECK(std::string(error->what()).find("missing") != std::string::npos);
}

TEST_CASE("lstat_path and stat_path", "[util]")
{
  TempDir dir;
  write_file(dir / "script.sh", "#!/bin/sh\n", true);
  fs::create_symlink("script.sh", dir / "link");

  auto st = util::lstat_path(dir / "script.sh");
  REQUIRE(st);
  CHECK(st->is_regular());
  CHECK(st->is_exec());
  CHECK(st->size == 10);
  CHECK_FALSE(st->is_dir());

  auto link = util::lstat_path(dir / "link");
  REQUIRE(link);
  CHECK(link->is_symlink());
  auto followed = util::stat_path(dir / "link");
  REQUIRE(followed);
  CHECK(followed->is_regular());
  CHECK(followed->ino == st->ino);

  CHECK_FALSE(util::lstat_path(dir / "missing").has_value());
  CHECK_FALSE(util::stat_path(dir / "script.sh" / "below").has_value());
  auto d = util::stat_path(dir.path());
  REQUIRE(d);
  CHECK(d->is_dir());
}

TEST_CASE("absolute_normal", "[util]")
{
  CHECK(util::absolute_normal("/a/b/../c/./d") == fs::path("/a/c/d"));
  CHECK(util::absolute_normal("/a/b/") == fs::path("/a/b"));
  CHECK(util::absolute_normal("/") == fs::path("/"));
  CHECK(util::absolute_normal("x/../y") == fs::current_path() / "y");
}

TEST_CASE("is_within", "[util]")
{
  CHECK(util::is_within("/a/b", "/a"));
  CHECK(util::is_within("/a/b/c.txt", "/a/b"));
  CHECK(util::is_within("/a", "/a"));
  CHECK(util::is_within("/a/b", "/"));
  CHECK_FALSE(util::is_within("/ab", "/a"));
  CHECK_FALSE(util::is_within("/a", "/a/b"));
  CHECK_FALSE(util::is_within("/b/a", "/a"));
  CHECK_FALSE(util::is_within("/project-old/x", "/project"));
}

TEST_CASE("relative_to", "[util]")
{
  CHECK(util::relative_to("/a/b/c.txt", "/a") == "b/c.txt");
  CHECK(util::relative_to("/a/b", "/a") == "b");
  CHECK(util::relative_to("/p/data/x/y.csv", "/p") == "data/x/y.csv");
}

TEST_CASE("is_safe_relative_path accepts normal relative paths", "[util]")
{
  for (const char* path : {"a",
                           "a/b",
                           "data/iris.csv",
                           "x/y/z/w.bin",
                           ".hidden",
                           "a/.b",
                           "a..b"}) {
    INFO(path);
    CHECK(util::is_safe_relative_path(path));
  }
}

TEST_CASE("is_safe_relative_path rejects what could escape or is not normal",
          "[util]")
{
  for (const char* path : {"",
                           "/a",
                           "/",
                           "a/../b",
                           "..",
                           "../a",
                           "a/..",
                           "a//b",
                           "./a",
                           "a/./b",
                           ".",
                           "a/",
                           "a/b/"}) {
    INFO(path);
    CHECK_FALSE(util::is_safe_relative_path(path));
  }
  CHECK_FALSE(util::is_safe_relative_path(std::string("a\0b", 3)));
}

TEST_CASE("write_all writes everything to a descriptor", "[util]")
{
  TempDir dir;
  const fs::path path = dir / "big";
  std::string data(3 << 20, 'q');
  data[12345] = 'Z';
  util::UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644));
  REQUIRE(fd);
  util::write_all(fd.get(), data.data(), data.size(), path);
  fd.reset();
  CHECK(slurp(path) == data);
}

TEST_CASE("UniqueFd closes and moves its descriptor", "[util]")
{
  TempDir dir;
  write_file(dir / "f", "x");
  int raw = ::open((dir / "f").c_str(), O_RDONLY);
  REQUIRE(raw >= 0);
  {
    util::UniqueFd a(raw);
    util::UniqueFd b(std::move(a));
    CHECK_FALSE(a);
    CHECK(b.get() == raw);
  }
  // Closed: fcntl on it fails with EBADF.
  CHECK(::fcntl(raw, F_GETFD) == -1);
}
