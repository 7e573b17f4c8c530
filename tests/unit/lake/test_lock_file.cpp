#include <mlake/lake/lock_file.hpp>
#include <mlake/util/error.hpp>
#include <mlake/util/hash.hpp>

#include <catch2/catch.hpp>

#include <cstdint>
#include <string>

#include "test_support.hpp"

using mlake::Exit;
using mlake::lake::lock_file_path;
using mlake::lake::LockEntry;
using mlake::lake::LockFile;
using mlake::test::error_of;
using mlake::test::names_in;
using mlake::test::slurp;
using mlake::test::TempDir;
using mlake::test::write_file;
using mlake::util::sha256_hex;

namespace {

LockEntry
entry(const std::string& artifact,
      const std::string& kind,
      const std::string& type,
      std::uint64_t size,
      std::uint64_t files,
      const std::string& hash,
      const std::string& node,
      bool exec = false)
{
  LockEntry e;
  e.artifact = artifact;
  e.kind = kind;
  e.type = type;
  e.size = size;
  e.files = files;
  e.exec = exec;
  e.hash = hash;
  e.node = node;
  return e;
}

LockFile
sample()
{
  LockFile lock;
  lock.entries["data/iris.csv"] = entry("data/iris.csv",
                                        "dataset",
                                        "file",
                                        818,
                                        1,
                                        sha256_hex("iris"),
                                        sha256_hex("node 1"));
  lock.entries["data/images"] = entry(
      "images", "dataset", "dir", 123456789012ull, 3, sha256_hex("tree"), "");
  lock.entries["models/clf v2.pt"] = entry("clf: the \"best\" one",
                                           "model",
                                           "file",
                                           0,
                                           1,
                                           sha256_hex("empty"),
                                           sha256_hex("node 2"));
  lock.entries["scripts/train.sh"] = entry("scripts/train.sh",
                                           "code",
                                           "file",
                                           42,
                                           1,
                                           sha256_hex("#!/bin/sh"),
                                           sha256_hex("node 3"),
                                           true);
  return lock;
}

void
check_rejected(const std::string& yaml, const std::string& mentions = "")
{
  TempDir dir;
  write_file(lock_file_path(dir.path()), yaml);
  INFO(yaml);
  auto error = error_of([&] { LockFile::load(dir.path()); });
  CHECK(error.has_value());
  if (!error) {
    return;
  }
  CHECK(error->code() == Exit::usage);
  const std::string message = error->what();
  INFO(message);
  CHECK(message.find("mlake.lock") != std::string::npos);
  if (!mentions.empty()) {
    CHECK(message.find(mentions) != std::string::npos);
  }
}

const std::string good_hash = sha256_hex("x");

} // namespace

TEST_CASE("an absent or empty mlake.lock is an empty lock", "[lake]")
{
  TempDir dir;
  CHECK(LockFile::load(dir.path()).entries.empty());
  write_file(lock_file_path(dir.path()), "");
  CHECK(LockFile::load(dir.path()).entries.empty());
  write_file(lock_file_path(dir.path()), "version: 1\n");
  CHECK(LockFile::load(dir.path()).entries.empty());
}

TEST_CASE("mlake.lock save and load round trip", "[lake]")
{
  TempDir dir;
  const LockFile lock = sample();
  lock.save(dir.path());
  CHECK(lock_file_path(dir.path()) == dir / "mlake.lock");
  CHECK(names_in(dir.path()) == std::vector<std::string>{"mlake.lock"});
  LockFile back = LockFile::load(dir.path());
  CHECK(back.entries == lock.entries);
  // Saving what was loaded gives the same bytes: diffs in git stay small.
  const std::string first = slurp(dir / "mlake.lock");
  back.save(dir.path());
  CHECK(slurp(dir / "mlake.lock") == first);
}

TEST_CASE("mlake.lock round-trips paths and names YAML would misread", "[lake]")
{
  TempDir dir;
  LockFile lock;
  int n = 0;
  for (const char* text : {"null",
                           "~",
                           "true",
                           "0x10",
                           "1e3",
                           "#notes.csv",
                           "- dash",
                           "key: colon",
                           "[brackets]",
                           "{braces}",
                           "*star",
                           "&anchor",
                           "!tag",
                           "'quote",
                           "tr\u00e9s",
                           "trailing space ",
                           " leading space"}) {
    lock.entries[text] =
        entry(text, "other", "file", std::uint64_t(n), 1, sha256_hex(text), "");
    ++n;
  }
  lock.save(dir.path());
  LockFile back = LockFile::load(dir.path());
  for (const auto& [path, e] : lock.entries) {
    INFO("'" << path << "'");
    REQUIRE(back.entries.count(path) == 1);
    CHECK(back.entries.at(path).artifact == e.artifact);
  }
  CHECK(back.entries == lock.entries);
}

TEST_CASE("mlake.lock reads a hand-written file", "[lake]")
{
  TempDir dir;
  write_file(lock_file_path(dir.path()),
             "# a comment\n"
             "version: 1\n"
             "paths:\n"
             "  data/iris.csv:\n"
             "    artifact: iris\n"
             "    type: file\n"
             "    hash: " +
                 good_hash +
                 "\n"
                 "  data/images:\n"
                 "    artifact: data/images\n"
                 "    kind: dataset\n"
                 "    type: dir\n"
                 "    size: 42\n"
                 "    files: 7\n"
                 "    hash: " +
                 good_hash + "\n");
  auto lock = LockFile::load(dir.path());
  REQUIRE(lock.entries.size() == 2);
  const auto& file = lock.entries.at("data/iris.csv");
  CHECK(file.artifact == "iris");
  CHECK(file.kind == "other");
  CHECK(file.type == "file");
  CHECK(file.size == 0);
  CHECK(file.files == 1);
  CHECK(file.hash == good_hash);
  CHECK(file.node.empty());
  const auto& folder = lock.entries.at("data/images");
  CHECK(folder.kind == "dataset");
  CHECK(folder.size == 42);
  CHECK(folder.files == 7);
}

TEST_CASE("mlake.lock rejects malformed YAML, naming the line", "[lake]")
{
  check_rejected("paths:\n  a: [unclosed\n", "line");
  check_rejected("paths: {\n", "line");
  check_rejected("\"unterminated\n");
}

TEST_CASE("mlake.lock rejects a document of the wrong shape", "[lake]")
{
  check_rejected("- a\n- b\n");
  check_rejected("just a string\n");
  check_rejected("version: 2\npaths: {}\n", "version");
  check_rejected("paths:\n  - a\n  - b\n");
  check_rejected("paths: 3\n");
}

TEST_CASE("mlake.lock rejects unsafe paths", "[lake]")
{
  for (const char* path :
       {"../outside.csv", "/etc/passwd", "a/../../b", "a//b", "./a", ".."}) {
    check_rejected(std::string("paths:\n  \"") + path +
                       "\":\n    artifact: x\n    type: file\n    hash: " +
                       good_hash + "\n",
                   "unsafe");
  }
}

TEST_CASE("mlake.lock rejects incomplete or malformed entries", "[lake]")
{
  const std::string head = "paths:\n  data/x.csv:\n";
  check_rejected(head + "    type: file\n    hash: " + good_hash + "\n",
                 "data/x.csv");
  check_rejected(head + "    artifact: x\n    hash: " + good_hash + "\n",
                 "data/x.csv");
  check_rejected(head + "    artifact: x\n    type: file\n", "data/x.csv");
  check_rejected(head + "    artifact: x\n    type: file\n    hash: abc\n",
                 "hash");
  check_rejected(
      head + "    artifact: x\n    type: link\n    hash: " + good_hash + "\n",
      "type");
  check_rejected(head +
                     "    artifact: x\n    type: file\n    size: lots\n"
                     "    hash: " +
                     good_hash + "\n",
                 "line");
  check_rejected(head +
                     "    artifact: x\n    type: file\n    exec: sometimes\n"
                     "    hash: " +
                     good_hash + "\n",
                 "line");
  check_rejected(head + "    just a string\n");
}

TEST_CASE("LockFile::covering finds the entry for a path or its folder",
          "[lake]")
{
  LockFile lock = sample();
  auto* file = lock.covering("data/iris.csv");
  REQUIRE(file);
  CHECK(file->first == "data/iris.csv");
  auto* in_folder = lock.covering("data/images/cats/001.png");
  REQUIRE(in_folder);
  CHECK(in_folder->first == "data/images");
  CHECK(lock.covering("data/images")->first == "data/images");
  CHECK(lock.covering("data/imagesX") == nullptr);
  CHECK(lock.covering("data/images.csv") == nullptr);
  CHECK(lock.covering("data") == nullptr);
  CHECK(lock.covering("data/iris.csv.bak") == nullptr);
  CHECK(lock.covering("other") == nullptr);
}

TEST_CASE("mlake.lock rejects a path listed twice", "[lake]")
{
  const std::string one =
      "  data/x.csv:\n    artifact: x\n    type: file\n    hash: " + good_hash +
      "\n";
  check_rejected("paths:\n" + one + one, "twice");
}
