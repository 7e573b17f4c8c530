// One suite that every kind of remote passes: a folder and S3 (s3rver).

#include <mlake/remote/remote.hpp>
#include <mlake/util/error.hpp>
#include <mlake/util/hash.hpp>
#include <mlake/util/interrupt.hpp>
#include <mlake/util/parallel.hpp>

#include <algorithm>
#include <map>
#include <random>

#include "remote/remote_support.hpp"

using namespace mlake;
using namespace mlake::test;

namespace {

std::string
get_all(remote::Remote& r, const std::string& key)
{
  std::string out;
  r.get(key, [&](std::string_view chunk) { out.append(chunk); });
  return out;
}

std::string
random_bytes(std::size_t size, unsigned seed)
{
  std::mt19937_64 rng(seed);
  std::string out(size, '\0');
  for (auto& c : out) {
    c = static_cast<char>(rng());
  }
  return out;
}

// Asks for an interrupt as soon as the first bytes are reported.
struct InterruptingProgress : util::Progress
{
  void
  advance(std::uint64_t, std::uint64_t bytes) override
  {
    if (bytes) {
      util::request_interrupt();
    }
  }
};

void
conformance(remote::Remote& r, const TempDir& dir)
{
  r.check(true);

  SECTION("put and get small content; a missing key is not_found")
  {
    const std::string key = remote::node_key(std::string(64, 'a'));
    CHECK_FALSE(r.exists(key));
    auto error = error_of([&] { get_all(r, key); });
    REQUIRE(error);
    CHECK(error->code() == Exit::not_found);

    r.put_bytes(key, "{\"hello\":1}");
    CHECK(r.exists(key));
    CHECK(get_all(r, key) == "{\"hello\":1}");
    // Same name, same content: putting it again is harmless.
    r.put_bytes(key, "{\"hello\":1}");
    CHECK(get_all(r, key) == "{\"hello\":1}");
  }

  SECTION("a large object, in parts where the remote has them")
  {
    const std::string content = random_bytes((11u << 20) + 12345, 7);
    const std::string hash = util::sha256_hex(content);
    write_file(dir / "big.bin", content);
    r.put_file(remote::object_key(hash),
               dir / "big.bin",
               content.size(),
               hash,
               util::no_progress());
    CHECK(r.exists(remote::object_key(hash)));
    std::string back;
    std::size_t chunks = 0;
    r.get(remote::object_key(hash), [&](std::string_view chunk) {
      back.append(chunk);
      ++chunks;
    });
    CHECK(back.size() == content.size());
    CHECK(util::sha256_hex(back) == hash);
    CHECK(chunks > 1); // streamed, not handed over whole
  }

  SECTION("an object of many ranges, read whole and given up halfway")
  {
    // S3 downloads it a range at a time, several at once: the bytes must
    // still arrive in order, and a sink that fails must stop it cleanly.
    const std::string content = random_bytes((37u << 20) + 5, 11);
    const std::string hash = util::sha256_hex(content);
    write_file(dir / "many.bin", content);
    r.put_file(remote::object_key(hash),
               dir / "many.bin",
               content.size(),
               hash,
               util::no_progress());
    CHECK(util::sha256_hex(get_all(r, remote::object_key(hash))) == hash);

    std::size_t taken = 0;
    auto error = error_of([&] {
      r.get(remote::object_key(hash), [&](std::string_view chunk) {
        taken += chunk.size();
        if (taken > (12u << 20)) {
          throw Error(Exit::usage, "disk full");
        }
      });
    });
    REQUIRE(error);
    CHECK(std::string(error->what()) == "disk full");
    // The remote is none the worse for it.
    CHECK(util::sha256_hex(get_all(r, remote::object_key(hash))) == hash);
  }

  SECTION("an empty object")
  {
    write_file(dir / "empty", "");
    const std::string key = remote::object_key(util::sha256_hex(""));
    r.put_file(
        key, dir / "empty", 0, util::sha256_hex(""), util::no_progress());
    CHECK(r.exists(key));
    CHECK(get_all(r, key).empty());
  }

  SECTION("list returns every key under a prefix, with sizes, past a page")
  {
    // More than the 1000 keys of one S3 listing page.
    const std::size_t count = 1100;
    std::vector<std::string> keys(count);
    for (std::size_t i = 0; i < count; ++i) {
      keys[i] = remote::object_key(util::sha256_hex(std::to_string(i)));
    }
    util::parallel_for(count, 8, [&](std::size_t i) {
      r.put_bytes(keys[i], std::string(i % 7, 'x'));
    });
    r.put_bytes(remote::node_key(std::string(64, 'b')), "node");
    std::map<std::string, std::uint64_t> listed;
    r.list("objects/",
           [&](const remote::ListedKey& k) { listed[k.key] = k.size; });
    CHECK(listed.size() == count);
    for (std::size_t i = 0; i < count; ++i) {
      auto it = listed.find(keys[i]);
      REQUIRE(it != listed.end());
      CHECK(it->second == i % 7);
    }
    std::size_t nodes = 0;
    r.list("nodes/", [&](const remote::ListedKey& k) {
      CHECK(k.key == remote::node_key(std::string(64, 'b')));
      ++nodes;
    });
    CHECK(nodes == 1);
  }

  SECTION("content that does not hash to its name is not sent")
  {
    for (std::size_t size : {std::size_t(100), std::size_t(6u << 20)}) {
      const std::string content = random_bytes(size, 3);
      const std::string name = util::sha256_hex(content + "x");
      write_file(dir / "damaged.bin", content);
      auto error = error_of([&] {
        r.put_file(remote::object_key(name),
                   dir / "damaged.bin",
                   content.size(),
                   name,
                   util::no_progress());
      });
      REQUIRE(error);
      CHECK(error->code() == Exit::integrity);
      CHECK_FALSE(r.exists(remote::object_key(name)));
    }
  }

  SECTION("remove deletes a key, and a missing key is no error (a purge)")
  {
    const std::string kept = "kept";
    const std::string gone = "erase me";
    const std::string kept_key = remote::object_key(util::sha256_hex(kept));
    const std::string gone_key = remote::object_key(util::sha256_hex(gone));
    r.put_bytes(kept_key, kept);
    r.put_bytes(gone_key, gone);
    r.remove(gone_key);
    r.flush();
    CHECK_FALSE(r.exists(gone_key));
    CHECK(r.exists(kept_key));
    std::vector<std::string> listed;
    r.list("objects/",
           [&](const remote::ListedKey& k) { listed.push_back(k.key); });
    CHECK(std::find(listed.begin(), listed.end(), gone_key) == listed.end());
    CHECK_NOTHROW(r.remove(gone_key));
    // Put again after a purge (the same bytes tracked again), it is back.
    r.put_bytes(gone_key, gone);
    CHECK(get_all(r, gone_key) == gone);
  }

  SECTION("an interrupted upload leaves nothing under the key")
  {
    const std::string content = random_bytes((6u << 20) + 1, 9);
    const std::string key = remote::object_key(util::sha256_hex(content));
    write_file(dir / "part.bin", content);
    InterruptingProgress progress;
    auto error = error_of([&] {
      r.put_file(key, dir / "part.bin", content.size(), "", progress);
    });
    util::clear_interrupt();
    REQUIRE(error);
    CHECK(error->code() == Exit::interrupted);
    CHECK_FALSE(r.exists(key));
    // Running it again finishes the job.
    r.put_file(key, dir / "part.bin", content.size(), "", util::no_progress());
    CHECK(util::sha256_hex(get_all(r, key)) == util::sha256_hex(content));
  }
}

} // namespace

TEST_CASE("a folder remote passes the conformance suite", "[remote]")
{
  TempDir dir;
  auto r =
      remote::open_remote(folder_remote_config(dir / "remote"), dir.path());
  conformance(*r, dir);
}

TEST_CASE("an S3 remote passes the conformance suite", "[remote][s3]")
{
  TempDir dir;
  auto r = remote::open_remote(s3_remote_config("conformance"), dir.path());
  conformance(*r, dir);
}

TEST_CASE("remote URLs are checked and normalised", "[remote]")
{
  TempDir dir;
  CHECK(remote::normalize_url("shared/../lake/", dir.path()) ==
        (dir / "lake").string());
  CHECK(remote::normalize_url("file:///srv/lake", dir.path()) == "/srv/lake");
  CHECK(remote::normalize_url("s3://my-bucket/team/iris/", dir.path()) ==
        "s3://my-bucket/team/iris");
  CHECK(remote::normalize_url("s3://my-bucket", dir.path()) ==
        "s3://my-bucket");
  for (const char* bad : {"http://example.org/lake", "ftp://x/y"}) {
    INFO(bad);
    auto error = error_of([&] { remote::normalize_url(bad, dir.path()); });
    REQUIRE(error);
    CHECK(error->code() == Exit::remote);
    CHECK_THAT(error->what(), Catch::Contains("unknown scheme"));
  }
  for (const char* bad : {"s3://AB",
                          "s3://key:secret@bucket/x",
                          "s3://bucket/a/../b",
                          "file://host/path",
                          ""}) {
    INFO(bad);
    auto error = error_of([&] { remote::normalize_url(bad, dir.path()); });
    REQUIRE(error);
    CHECK(error->code() == Exit::usage);
  }
  auto error = error_of(
      [&] { remote::normalize_url("s3://key:secret@bucket/x", dir.path()); });
  CHECK(std::string(error->what()).find("secret") == std::string::npos);
}

TEST_CASE("keys from a listing are trusted only when they are well formed",
          "[remote]")
{
  const std::string hash = util::sha256_hex("x");
  CHECK(remote::hash_of_object_key(remote::object_key(hash)) == hash);
  CHECK(remote::id_of_node_key(remote::node_key(hash)) == hash);
  CHECK_FALSE(remote::hash_of_object_key("objects/../" + hash.substr(3)));
  CHECK_FALSE(remote::hash_of_object_key("objects/AB/" + hash.substr(2)));
  CHECK_FALSE(remote::id_of_node_key("nodes/" + hash + ".json.tmp"));
  CHECK_FALSE(
      remote::id_of_node_key("nodes/../../" + hash.substr(6) + ".json"));
}

TEST_CASE("S3 errors say which: no bucket, no server, no credentials",
          "[remote][s3]")
{
  TempDir dir;
  auto config = s3_remote_config("errors");
  config.url = "s3://no-such-bucket-here/x";
  auto error =
      error_of([&] { remote::open_remote(config, dir.path())->check(false); });
  REQUIRE(error);
  CHECK(error->code() == Exit::remote);
  CHECK_THAT(error->what(), Catch::Contains("does not exist"));

  config = s3_remote_config("errors");
  config.endpoint = "http://127.0.0.1:1";
  error =
      error_of([&] { remote::open_remote(config, dir.path())->check(false); });
  REQUIRE(error);
  CHECK(error->code() == Exit::remote);
  CHECK_THAT(error->what(), Catch::Contains("cannot reach"));

  config = s3_remote_config("errors");
  ::unsetenv("AWS_ACCESS_KEY_ID");
  ::unsetenv("AWS_SECRET_ACCESS_KEY");
  ::setenv("AWS_SHARED_CREDENTIALS_FILE", (dir / "none").c_str(), 1);
  error =
      error_of([&] { remote::open_remote(config, dir.path())->check(false); });
  ::unsetenv("AWS_SHARED_CREDENTIALS_FILE");
  REQUIRE(error);
  CHECK(error->code() == Exit::remote);
  CHECK_THAT(error->what(), Catch::Contains("no S3 credentials"));

  // A profile in a credentials file is used.
  write_file(dir / "credentials",
             "[default]\naws_access_key_id = nobody\n"
             "aws_secret_access_key = x\n\n[test]\n"
             "aws_access_key_id = S3RVER\naws_secret_access_key = S3RVER\n");
  ::setenv("AWS_SHARED_CREDENTIALS_FILE", (dir / "credentials").c_str(), 1);
  ::setenv("AWS_PROFILE", "test", 1);
  CHECK_NOTHROW(remote::open_remote(config, dir.path())->check(true));
  ::setenv("AWS_PROFILE", "default", 1);
  error =
      error_of([&] { remote::open_remote(config, dir.path())->check(true); });
  ::unsetenv("AWS_SHARED_CREDENTIALS_FILE");
  ::unsetenv("AWS_PROFILE");
  REQUIRE(error);
  CHECK(error->code() == Exit::remote);
  CHECK_THAT(error->what(), Catch::Contains("access denied"));
  CHECK(std::string(error->what()).find("nobody") == std::string::npos);
  s3_endpoint(); // restores the variables
}
