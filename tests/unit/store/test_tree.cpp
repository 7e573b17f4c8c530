#include <mlake/store/tree.hpp>
#include <mlake/util/error.hpp>
#include <mlake/util/hash.hpp>
#include <mlake/util/json.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <random>
#include <string>

#include "test_support.hpp"

using mlake::Exit;
using mlake::json;
using mlake::store::parse_tree;
using mlake::store::serialize_tree;
using mlake::store::sort_tree;
using mlake::store::Tree;
using mlake::store::TreeEntry;
using mlake::test::error_of;
using mlake::util::sha256_hex;

namespace {

const std::string h1 = sha256_hex("one");
const std::string h2 = sha256_hex("two");
const std::string h3 = sha256_hex("three");

Tree
sample_tree()
{
  Tree tree;
  tree.entries = {
      {"a.csv", 10, false, h1},
      {"dir/b.bin", 3, true, h2},
      {"dir/sub/c", 1ull << 40, false, h3},
  };
  return tree;
}

// A tree object written by hand, entry by entry.
std::string
tree_text(const std::vector<std::string>& entries)
{
  std::string out = "{\"entries\":[";
  for (std::size_t i = 0; i < entries.size(); ++i) {
    out += (i ? "," : "") + entries[i];
  }
  return out + "],\"type\":\"tree\"}";
}

std::string
entry_text(const std::string& path,
           const std::string& hash = sha256_hex("x"),
           const std::string& size = "1",
           const std::string& exec = "false")
{
  return "{\"exec\":" + exec + ",\"hash\":\"" + hash + "\",\"path\":\"" + path +
         "\",\"size\":" + size + "}";
}

void
check_rejected(const std::string& bytes)
{
  INFO(bytes);
  auto error = error_of([&] { parse_tree(bytes, "tree-under-test"); });
  CHECK(error.has_value());
  if (!error) {
    return;
  }
  CHECK(error->code() == Exit::integrity);
  CHECK(std::string(error->what()).find("tree-under-test") !=
        std::string::npos);
}

} // namespace

TEST_CASE("serialize_tree writes the canonical form", "[store]")
{
  CHECK(serialize_tree(sample_tree()) ==
        "{\"entries\":[{\"exec\":false,\"hash\":\"" + h1 +
            "\",\"path\":\"a.csv\",\"size\":10},{\"exec\":true,\"hash\":\"" +
            h2 +
            "\",\"path\":\"dir/b.bin\",\"size\":3},{\"exec\":false,"
            "\"hash\":\"" +
            h3 +
            "\",\"path\":\"dir/sub/c\",\"size\":1099511627776}],"
            "\"type\":\"tree\"}");
  CHECK(serialize_tree(Tree{}) == R"({"entries":[],"type":"tree"})");
}

TEST_CASE("serialize_tree agrees with canonical_json", "[store]")
{
  Tree tree = sample_tree();
  tree.entries.push_back({"z/quote\"back\\slash \xc3\xa9\ttab", 0, false, h1});
  json doc = {{"type", "tree"}, {"entries", json::array()}};
  for (const auto& e : tree.entries) {
    doc["entries"].push_back({{"path", e.path},
                              {"size", e.size},
                              {"exec", e.exec},
                              {"hash", e.hash}});
  }
  CHECK(serialize_tree(tree) == mlake::util::canonical_json(doc));
}

TEST_CASE("serialize_tree is stable whatever order the entries came in",
          "[store]")
{
  const std::string expected = serialize_tree(sample_tree());
  std::mt19937 rng(12345);
  for (int round = 0; round < 10; ++round) {
    Tree shuffled = sample_tree();
    std::shuffle(shuffled.entries.begin(), shuffled.entries.end(), rng);
    sort_tree(shuffled);
    CHECK(serialize_tree(shuffled) == expected);
  }
  CHECK(sha256_hex(serialize_tree(sample_tree())) == sha256_hex(expected));
}

TEST_CASE("sort_tree orders paths bytewise and rejects duplicates", "[store]")
{
  Tree tree;
  tree.entries = {{"a/b", 1, false, h1},
                  {"a.txt", 1, false, h1},
                  {"B", 1, false, h1},
                  {"a-b", 1, false, h1}};
  sort_tree(tree);
  std::vector<std::string> paths;
  for (const auto& e : tree.entries) {
    paths.push_back(e.path);
  }
  // 'B' < 'a'; '-' (0x2d) < '.' (0x2e) < '/' (0x2f).
  CHECK(paths == std::vector<std::string>{"B", "a-b", "a.txt", "a/b"});
  // That order is what parse_tree accepts.
  CHECK(parse_tree(serialize_tree(tree), "t").entries == tree.entries);

  tree.entries.push_back({"a.txt", 2, true, h2});
  CHECK(error_of([&] { sort_tree(tree); }).has_value());
}

TEST_CASE("parse_tree round-trips serialize_tree", "[store]")
{
  Tree tree = sample_tree();
  Tree back = parse_tree(serialize_tree(tree), "t");
  CHECK(back.entries == tree.entries);
  CHECK(back.total_size() == 10 + 3 + (1ull << 40));
  REQUIRE(back.find("dir/b.bin") != nullptr);
  CHECK(back.find("dir/b.bin")->exec);
  CHECK(back.find("dir/b.bin")->hash == h2);
  CHECK(back.find("dir") == nullptr);
  CHECK(back.find("zzz") == nullptr);
  CHECK(parse_tree(serialize_tree(Tree{}), "t").entries.empty());
}

TEST_CASE("parse_tree rejects unsorted entries", "[store]")
{
  check_rejected(tree_text({entry_text("b"), entry_text("a")}));
}

TEST_CASE("parse_tree rejects duplicate entries", "[store]")
{
  check_rejected(tree_text({entry_text("a"), entry_text("a")}));
}

TEST_CASE("parse_tree rejects unsafe paths", "[store]")
{
  for (const char* path : {"..",
                           "../etc/passwd",
                           "a/../../b",
                           "/etc/passwd",
                           "a//b",
                           "./a",
                           "",
                           "a/"}) {
    check_rejected(tree_text({entry_text(path)}));
  }
}

TEST_CASE("parse_tree rejects a file that is also a folder", "[store]")
{
  check_rejected(tree_text({entry_text("a"), entry_text("a/b")}));
  check_rejected(tree_text({entry_text("x/a"), entry_text("x/a/b/c")}));
}

TEST_CASE("parse_tree rejects bad hashes", "[store]")
{
  std::string upper = sha256_hex("x");
  std::transform(upper.begin(), upper.end(), upper.begin(), ::toupper);
  for (const std::string& hash : {std::string("abc"),
                                  upper,
                                  sha256_hex("x") + "0",
                                  std::string(64, 'g'),
                                  std::string()}) {
    check_rejected(tree_text({entry_text("a", hash)}));
  }
}

TEST_CASE("parse_tree rejects what is not a tree", "[store]")
{
  check_rejected("");
  check_rejected("not json at all");
  check_rejected("{\"entries\":[");
  check_rejected("[]");
  check_rejected(R"({"entries":[],"type":"blob"})");
  check_rejected(R"({"type":"tree"})");
  check_rejected(R"({"entries":{},"type":"tree"})");
  check_rejected(tree_text({"\"a\""}));
  // Entries lacking a field, or with a field of the wrong type.
  const std::string h = sha256_hex("x");
  check_rejected(tree_text({"{\"hash\":\"" + h + "\",\"path\":\"a\"}"}));
  check_rejected(tree_text({entry_text("a", h, "-1")}));
  check_rejected(tree_text({entry_text("a", h, "\"1\"")}));
  check_rejected(tree_text({entry_text("a", h, "1.5")}));
  check_rejected(tree_text({entry_text("a", h, "1", "1")}));
}
