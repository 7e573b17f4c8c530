#include <mlake/store/object_store.hpp>
#include <mlake/util/error.hpp>
#include <mlake/util/hash.hpp>

#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <atomic>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "test_support.hpp"

using mlake::Exit;
using mlake::store::ObjectStore;
using mlake::test::error_of;
using mlake::test::make_store_dirs;
using mlake::test::mode_of;
using mlake::test::names_in;
using mlake::test::slurp;
using mlake::test::TempDir;
using mlake::test::write_file;
using mlake::util::sha256_hex;
namespace fs = std::filesystem;

namespace {

// Deterministic bytes that do not repeat with any short period.
std::string
pseudo_random_bytes(std::size_t size, std::uint64_t seed)
{
  std::string out(size, '\0');
  std::uint64_t x = seed;
  for (std::size_t i = 0; i < size; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    out[i] = static_cast<char>(x >> 24);
  }
  return out;
}

struct CountingProgress : mlake::util::Progress
{
  std::atomic<std::uint64_t> bytes{0};
  void
  advance(std::uint64_t, std::uint64_t b) override
  {
    bytes += b;
  }
};

} // namespace

TEST_CASE("put_file of an empty file", "[store]")
{
  TempDir dir;
  ObjectStore store(make_store_dirs(dir));
  write_file(dir / "empty", "");
  auto stored = store.put_file(dir / "empty");
  CHECK(stored.hash ==
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(stored.size == 0);
  CHECK(stored.added);
  CHECK(store.contains(stored.hash));
  CHECK(store.path_of(stored.hash) == dir / ".mlake" / "objects" / "e3" /
                                          "b0c44298fc1c149afbf4c8996fb92427ae41"
                                          "e4649b934ca495991b7852b855");
  CHECK(slurp(store.path_of(stored.hash)).empty());
  CHECK(store.read(stored.hash) == std::string());
}

TEST_CASE("put_file of a small file", "[store]")
{
  TempDir dir;
  ObjectStore store(make_store_dirs(dir));
  const std::string content = "sepal_length,species\n5.1,setosa\n";
  write_file(dir / "small.csv", content);
  CountingProgress progress;
  auto stored = store.put_file(dir / "small.csv", progress);
  CHECK(stored.hash == sha256_hex(content));
  CHECK(stored.size == content.size());
  CHECK(stored.added);
  CHECK(slurp(store.path_of(stored.hash)) == content);
  CHECK(progress.bytes == content.size());
  // The source is left alone.
  CHECK(slurp(dir / "small.csv") == content);
}

TEST_CASE("put_file of a 20 MiB file streams it and hashes it right", "[store]")
{
  TempDir dir;
  ObjectStore store(make_store_dirs(dir));
  // Not a multiple of any buffer size, so the last chunk is partial.
  const std::string content = pseudo_random_bytes((20 << 20) + 12345, 42);
  write_file(dir / "weights.bin", content);
  CountingProgress progress;
  auto stored = store.put_file(dir / "weights.bin", progress);
  CHECK(stored.hash == sha256_hex(content));
  CHECK(stored.size == content.size());
  CHECK(stored.added);
  CHECK(progress.bytes == content.size());
  auto back = store.read(stored.hash);
  REQUIRE(back);
  CHECK(back->size() == content.size());
  CHECK(*back == content);
  CHECK(mode_of(store.path_of(stored.hash)) == 0444);
  CHECK(names_in(store.tmp_dir()).empty());

  SECTION("a second put of the same large content adds nothing")
  {
    write_file(dir / "copy.bin", content);
    auto again = store.put_file(dir / "copy.bin");
    CHECK(again.hash == stored.hash);
    CHECK(again.size == content.size());
    CHECK_FALSE(again.added);
    CHECK(names_in(store.tmp_dir()).empty());
  }
}

TEST_CASE("put_file just above the small-file limit", "[store]")
{
  TempDir dir;
  ObjectStore store(make_store_dirs(dir));
  for (std::size_t size : {std::size_t(4 << 20), std::size_t((4 << 20) + 1)}) {
    const std::string content = pseudo_random_bytes(size, size);
    write_file(dir / "f", content);
    auto stored = store.put_file(dir / "f");
    INFO("size " << size);
    CHECK(stored.hash == sha256_hex(content));
    CHECK(stored.size == size);
    CHECK(store.read(stored.hash) == content);
  }
}

TEST_CASE("objects are read-only", "[store]")
{
  TempDir dir;
  ObjectStore store(make_store_dirs(dir));
  write_file(dir / "a.txt", "alpha\n", true); // even from an executable
  auto file_hash = store.put_file(dir / "a.txt").hash;
  auto bytes_hash = store.put_bytes("{\"type\":\"tree\"}");
  CHECK(mode_of(store.path_of(file_hash)) == 0444);
  CHECK(mode_of(store.path_of(bytes_hash)) == 0444);
}

TEST_CASE("putting the same content twice adds it once", "[store]")
{
  TempDir dir;
  ObjectStore store(make_store_dirs(dir));
  write_file(dir / "one", "same bytes");
  write_file(dir / "two", "same bytes");
  auto first = store.put_file(dir / "one");
  auto second = store.put_file(dir / "two");
  CHECK(first.added);
  CHECK_FALSE(second.added);
  CHECK(first.hash == second.hash);
  CHECK(second.size == 10);
  CHECK(store.put_bytes("same bytes") == first.hash);
  std::vector<std::string> listed;
  store.for_each([&](const std::string& h) { listed.push_back(h); });
  CHECK(listed == std::vector<std::string>{first.hash});
  CHECK(names_in(store.tmp_dir()).empty());
}

TEST_CASE("put_bytes stores bytes under their hash", "[store]")
{
  TempDir dir;
  ObjectStore store(make_store_dirs(dir));
  const std::string tree = R"({"entries":[],"type":"tree"})";
  auto hash = store.put_bytes(tree);
  CHECK(hash == sha256_hex(tree));
  CHECK(store.read(hash) == tree);
  CHECK(store.verify(hash) == true);
}

TEST_CASE("put_file refuses what is not a regular file", "[store]")
{
  TempDir dir;
  ObjectStore store(make_store_dirs(dir));
  auto missing = error_of([&] { store.put_file(dir / "missing"); });
  REQUIRE(missing);
  CHECK(missing->code() == Exit::not_found);
  fs::create_directories(dir / "folder");
  auto folder = error_of([&] { store.put_file(dir / "folder"); });
  REQUIRE(folder);
  CHECK(folder->code() == Exit::usage);
  CHECK(names_in(store.objects_dir()).empty());
}

TEST_CASE("verify detects a corrupted object", "[store]")
{
  TempDir dir;
  ObjectStore store(make_store_dirs(dir));
  write_file(dir / "model.pt", pseudo_random_bytes(5000, 7));
  auto hash = store.put_file(dir / "model.pt").hash;
  CHECK(store.verify(hash) == true);

  SECTION("a flipped byte")
  {
    std::string bytes = slurp(store.path_of(hash));
    bytes[2500] ^= 0x01;
    ::chmod(store.path_of(hash).c_str(), 0644);
    write_file(store.path_of(hash), bytes);
  }
  SECTION("a truncated object")
  {
    ::chmod(store.path_of(hash).c_str(), 0644);
    fs::resize_file(store.path_of(hash), 4999);
  }
  CHECK(store.verify(hash) == false);
}

TEST_CASE("verify and read of a missing object give nullopt", "[store]")
{
  TempDir dir;
  ObjectStore store(make_store_dirs(dir));
  const std::string absent = sha256_hex("never stored");
  CHECK_FALSE(store.verify(absent).has_value());
  CHECK_FALSE(store.read(absent).has_value());
  CHECK_FALSE(store.contains(absent));
}

TEST_CASE("for_each lists every object and reports strays", "[store]")
{
  TempDir dir;
  ObjectStore store(make_store_dirs(dir));
  std::set<std::string> put;
  for (int i = 0; i < 40; ++i) {
    put.insert(store.put_bytes("object number " + std::to_string(i)));
  }
  // Strays: a file at the top, a non-hex fan-out folder, a short name, and
  // a temporary file left in a fan-out folder.
  write_file(store.objects_dir() / "README", "x");
  write_file(store.objects_dir() / "zz" / "whatever", "x");
  const std::string some = *put.begin();
  write_file(store.objects_dir() / some.substr(0, 2) / "abc", "x");
  write_file(store.objects_dir() / some.substr(0, 2) / ".object.tmp-1-2-3",
             "x");

  std::set<std::string> listed;
  std::vector<fs::path> strays;
  store.for_each([&](const std::string& h) { CHECK(listed.insert(h).second); },
                 [&](const fs::path& p) { strays.push_back(p); });
  CHECK(listed == put);
  CHECK(strays.size() == 4);

  SECTION("without a stray callback, strays are skipped quietly")
  {
    std::set<std::string> again;
    store.for_each([&](const std::string& h) { again.insert(h); });
    CHECK(again == put);
  }
}

TEST_CASE("remove deletes an object and returns its size", "[store]")
{
  TempDir dir;
  ObjectStore store(make_store_dirs(dir));
  auto keep = store.put_bytes("keep me");
  auto drop = store.put_bytes("drop me, 14 b");
  CHECK(store.remove(drop) == std::uint64_t(13));
  CHECK_FALSE(store.contains(drop));
  CHECK_FALSE(store.remove(drop).has_value());
  CHECK(store.contains(keep));
  CHECK(store.read(keep) == "keep me");
  std::vector<std::string> listed;
  store.for_each([&](const std::string& h) { listed.push_back(h); });
  CHECK(listed == std::vector<std::string>{keep});
}

TEST_CASE("hash_file hashes without storing", "[store]")
{
  TempDir dir;
  ObjectStore store(make_store_dirs(dir));
  const std::string content = pseudo_random_bytes(100000, 3);
  write_file(dir / "f", content);
  CHECK(mlake::store::hash_file(dir / "f") == sha256_hex(content));
  CHECK(names_in(store.objects_dir()).empty());
  auto error = error_of([&] { mlake::store::hash_file(dir / "missing"); });
  REQUIRE(error);
  CHECK(error->code() == Exit::not_found);
}

TEST_CASE("the iris fixture stores under its SHA-256", "[store]")
{
  TempDir dir;
  ObjectStore store(make_store_dirs(dir));
  const auto iris = mlake::test::testdata("iris.csv");
  const std::string content = slurp(iris);
  REQUIRE(content.size() > 100);
  auto stored = store.put_file(iris);
  CHECK(stored.hash == sha256_hex(content));
  CHECK(stored.size == content.size());
}
