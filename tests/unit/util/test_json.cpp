#include <mlake/util/error.hpp>
#include <mlake/util/json.hpp>

#include <catch2/catch.hpp>

#include <string>

#include "test_support.hpp"

using mlake::json;
using mlake::test::error_of;
namespace util = mlake::util;

TEST_CASE("canonical_json sorts keys and adds no whitespace", "[util]")
{
  json value = json::parse(R"({
    "zeta": 1,
    "alpha": [3, 2, 1, {"y": null, "x": true}],
    "mid": {"b": "two words", "a": -1.5}
  })");
  CHECK(
      util::canonical_json(value) ==
      R"({"alpha":[3,2,1,{"x":true,"y":null}],"mid":{"a":-1.5,"b":"two words"},"zeta":1})");
}

TEST_CASE("canonical_json orders keys bytewise", "[util]")
{
  json value = {{"a", 1}, {"B", 2}, {"_", 3}, {"\xc3\xa9", 4}, {"A1", 5}};
  // 'A' 0x41 < 'B' 0x42 < '_' 0x5f < 'a' 0x61 < 0xc3 (start of "é").
  CHECK(util::canonical_json(value) ==
        "{\"A1\":5,\"B\":2,\"_\":3,\"a\":1,\"\xc3\xa9\":4}");
}

TEST_CASE("canonical_json is independent of insertion order", "[util]")
{
  json a = json::object();
  a["kind"] = "add";
  a["message"] = "first";
  a["parents"] = json::array();
  json b = json::object();
  b["parents"] = json::array();
  b["message"] = "first";
  b["kind"] = "add";
  CHECK(util::canonical_json(a) == util::canonical_json(b));
  // And reparsing the canonical form gives the same bytes again.
  CHECK(util::canonical_json(json::parse(util::canonical_json(a))) ==
        util::canonical_json(a));
}

TEST_CASE("canonical_json writes UTF-8 as is and escapes control characters",
          "[util]")
{
  json value = {{"text", "caf\xc3\xa9 \xe2\x82\xac \"q\" \\ \n\t\x01"}};
  CHECK(util::canonical_json(value) ==
        "{\"text\":\"caf\xc3\xa9 \xe2\x82\xac \\\"q\\\" \\\\ \\n\\t\\u0001\"}");
}

TEST_CASE("canonical_json rejects strings that are not UTF-8", "[util]")
{
  SECTION("in a value")
  {
    json value = {{"name", std::string("bad \xff byte")}};
    auto error = error_of([&] { util::canonical_json(value); });
    REQUIRE(error);
    CHECK(std::string(error->what()).find("UTF-8") != std::string::npos);
  }
  SECTION("in a key")
  {
    json value = json::object();
    value[std::string("k\xc3")] = 1; // truncated two-byte sequence
    CHECK(error_of([&] { util::canonical_json(value); }).has_value());
  }
  SECTION("deep inside")
  {
    json value = {
        {"a", {{"b", json::array({"ok", std::string("\xed\xa0\x80")})}}}};
    CHECK(error_of([&] { util::canonical_json(value); }).has_value());
  }
}

TEST_CASE("append_json_string agrees with the JSON library", "[util]")
{
  for (std::string text : {std::string(""),
                           std::string("plain"),
                           std::string("with \"quotes\" and \\slashes\\"),
                           std::string("\b\f\n\r\t"),
                           std::string("\x01\x1f\x7f"),
                           std::string("a/b c\xc3\xa9"),
                           std::string("nul\0inside", 10)}) {
    std::string out = "prefix:";
    util::append_json_string(out, text);
    INFO(json(text).dump());
    CHECK(out == "prefix:" + json(text).dump());
    // And it parses back to the same text.
    CHECK(json::parse(out.substr(7)).get<std::string>() == text);
  }
}

TEST_CASE("parse_json parses and names what failed", "[util]")
{
  CHECK(util::parse_json(R"({"a":[1,2]})", "the test")["a"][1] == 2);
  auto error = error_of([] { util::parse_json("{\"a\":", "node 1234"); });
  REQUIRE(error);
  CHECK(std::string(error->what()).find("node 1234") != std::string::npos);
  CHECK(error_of([] { util::parse_json("", "empty"); }).has_value());
  CHECK(error_of([] { util::parse_json("{} trailing", "x"); }).has_value());
}
