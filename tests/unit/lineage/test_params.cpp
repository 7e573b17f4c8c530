#include <mlake/lineage/params.hpp>
#include <mlake/util/error.hpp>

#include <catch2/catch.hpp>

#include <string>

#include "test_support.hpp"

using mlake::Exit;
using mlake::json;
using mlake::lineage::parse_param;
using mlake::lineage::read_flat_values;
using mlake::lineage::typed_scalar;
using mlake::test::error_of;
using mlake::test::TempDir;
using mlake::test::write_file;

TEST_CASE("parse_param keeps numbers and booleans typed", "[lineage]")
{
  auto [key, value] = parse_param("learning_rate=0.01");
  CHECK(key == "learning_rate");
  REQUIRE(value.is_number_float());
  CHECK(value.get<double>() == Approx(0.01));

  auto epochs = parse_param("epochs=10");
  CHECK(epochs.first == "epochs");
  REQUIRE(epochs.second.is_number_integer());
  CHECK(epochs.second.get<long long>() == 10);

  auto flag = parse_param("shuffle=false");
  CHECK(flag.first == "shuffle");
  CHECK(flag.second == json(false));
  CHECK(parse_param("shuffle=true").second == json(true));

  auto name = parse_param("optimizer=adam");
  CHECK(name.first == "optimizer");
  CHECK(name.second == json("adam"));
}

TEST_CASE("parse_param splits at the first '='", "[lineage]")
{
  auto [key, value] = parse_param("expr=a=b");
  CHECK(key == "expr");
  CHECK(value == json("a=b"));

  // An empty value is an empty string, not an error.
  auto empty = parse_param("note=");
  CHECK(empty.first == "note");
  CHECK(empty.second == json(""));
}

TEST_CASE("parse_param rejects text that is not KEY=VALUE", "[lineage]")
{
  for (const char* text : {"learning_rate", "=0.1", "", "="}) {
    INFO(text);
    auto error = error_of([&] { parse_param(text); });
    REQUIRE(error);
    CHECK(error->code() == Exit::usage);
  }
}

TEST_CASE("typed_scalar types numbers, booleans and text", "[lineage]")
{
  CHECK(typed_scalar("-2") == json(-2));
  CHECK(typed_scalar("-2").is_number_integer());
  CHECK(typed_scalar("0").is_number_integer());

  json e = typed_scalar("1e3");
  REQUIRE(e.is_number_float());
  CHECK(e.get<double>() == 1000.0);
  CHECK(typed_scalar("2.5").get<double>() == 2.5);
  CHECK(typed_scalar("-0.25").get<double>() == -0.25);

  CHECK(typed_scalar("true") == json(true));
  CHECK(typed_scalar("false") == json(false));
  // Only the lower-case words are booleans.
  CHECK(typed_scalar("True") == json("True"));
  CHECK(typed_scalar("yes") == json("yes"));

  // Hexadecimal, infinities and NaN stay text.
  CHECK(typed_scalar("0x10") == json("0x10"));
  CHECK(typed_scalar("inf") == json("inf"));
  CHECK(typed_scalar("-inf") == json("-inf"));
  CHECK(typed_scalar("nan") == json("nan"));
  CHECK(typed_scalar("NaN") == json("NaN"));

  // Text with a number in front is text.
  CHECK(typed_scalar("3 epochs") == json("3 epochs"));
  CHECK(typed_scalar("1.2.3") == json("1.2.3"));
  CHECK(typed_scalar("") == json(""));
}

TEST_CASE("read_flat_values flattens nested YAML with dots and indexes",
          "[lineage]")
{
  TempDir dir;
  write_file(dir / "params.yaml",
             "model:\n"
             "  lr: 0.1\n"
             "  layers: [64, 32]\n"
             "  name: resnet\n"
             "epochs: 5\n"
             "shuffle: true\n"
             "tag: \"1\"\n"
             "steps:\n"
             "  - name: warmup\n"
             "    epochs: 2\n"
             "  - name: main\n");
  json values = read_flat_values(dir / "params.yaml", "params");
  json expected = {{"model.lr", 0.1},
                   {"model.layers.0", 64},
                   {"model.layers.1", 32},
                   {"model.name", "resnet"},
                   {"epochs", 5},
                   {"shuffle", true},
                   {"tag", "1"},
                   {"steps.0.name", "warmup"},
                   {"steps.0.epochs", 2},
                   {"steps.1.name", "main"}};
  CHECK(values == expected);
  // A quoted number stays a string; an unquoted one is a number.
  CHECK(values["tag"].is_string());
  CHECK(values["epochs"].is_number_integer());
}

TEST_CASE("read_flat_values reads a JSON file", "[lineage]")
{
  TempDir dir;
  write_file(dir / "metrics.json",
             R"({"accuracy": 0.93, "loss": {"train": 0.2, "val": 0.3},)"
             R"( "classes": ["a", "b"], "label": "1", "ok": false})");
  json values = read_flat_values(dir / "metrics.json", "metrics");
  json expected = {{"accuracy", 0.93},
                   {"loss.train", 0.2},
                   {"loss.val", 0.3},
                   {"classes.0", "a"},
                   {"classes.1", "b"},
                   {"label", "1"},
                   {"ok", false}};
  CHECK(values == expected);
  CHECK(values["label"].is_string());
}

TEST_CASE("read_flat_values of a missing file is not_found", "[lineage]")
{
  TempDir dir;
  auto error = error_of([&] { read_flat_values(dir / "nope.yaml", "params"); });
  REQUIRE(error);
  CHECK(error->code() == Exit::not_found);
  CHECK_THAT(error->what(), Catch::Contains("nope.yaml"));
  CHECK_THAT(error->what(), Catch::Contains("params"));
}

TEST_CASE("read_flat_values of malformed YAML names the line", "[lineage]")
{
  TempDir dir;
  write_file(dir / "bad.yaml", "a: 1\nb: [1, 2\nc: 3\n");
  auto error = error_of([&] { read_flat_values(dir / "bad.yaml", "params"); });
  REQUIRE(error);
  CHECK(error->code() == Exit::usage);
  CHECK_THAT(error->what(), Catch::Contains("line"));
  CHECK_THAT(error->what(), Catch::Contains("bad.yaml"));
  CHECK_THAT(error->what(), Catch::Contains("params"));
}

TEST_CASE("read_flat_values rejects a file that is not a mapping", "[lineage]")
{
  TempDir dir;
  write_file(dir / "list.yaml", "- 1\n- 2\n");
  auto error =
      error_of([&] { read_flat_values(dir / "list.yaml", "metrics"); });
  REQUIRE(error);
  CHECK(error->code() == Exit::usage);
  CHECK_THAT(error->what(), Catch::Contains("metrics"));
  CHECK_THAT(error->what(), Catch::Contains("list.yaml"));

  write_file(dir / "scalar.yaml", "42\n");
  auto scalar =
      error_of([&] { read_flat_values(dir / "scalar.yaml", "metrics"); });
  REQUIRE(scalar);
  CHECK(scalar->code() == Exit::usage);
}
