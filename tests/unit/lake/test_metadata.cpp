#include <mlake/lake/metadata.hpp>
#include <mlake/util/error.hpp>

#include <catch2/catch.hpp>

#include <string>

#include "test_support.hpp"

using mlake::Exit;
using mlake::test::error_of;
namespace lake = mlake::lake;

TEST_CASE("infer_kind from the extension", "[lake]")
{
  CHECK(lake::infer_kind("data/iris.csv", false) == "dataset");
  CHECK(lake::infer_kind("data/IRIS.CSV", false) == "dataset");
  CHECK(lake::infer_kind("data/train.parquet", false) == "dataset");
  CHECK(lake::infer_kind("models/clf.pt", false) == "model");
  CHECK(lake::infer_kind("model.safetensors", false) == "model");
  CHECK(lake::infer_kind("src/train.py", false) == "code");
  CHECK(lake::infer_kind("notes", false) == "other");
  CHECK(lake::infer_kind(".bashrc", false) == "other");
  CHECK(lake::infer_kind("archive.tar.zst", false) == "other");
  // A folder is a dataset, whatever its name.
  CHECK(lake::infer_kind("models.pt", true) == "dataset");
  // Only the last component's extension counts.
  CHECK(lake::infer_kind("data.csv/readme", false) == "other");
}

TEST_CASE("security levels are ranked", "[lake]")
{
  CHECK(lake::security_rank("public") == 0);
  CHECK(lake::security_rank("internal") == 1);
  CHECK(lake::security_rank("confidential") == 2);
  CHECK(lake::security_rank("restricted") == 3);
  CHECK_FALSE(lake::security_rank("secret").has_value());
  CHECK_FALSE(lake::security_rank("").has_value());
}

TEST_CASE("check_choice names the allowed values", "[lake]")
{
  lake::check_choice("kind", "model", lake::artifact_kinds());
  auto error = error_of([] {
    lake::check_choice("kind", "spreadsheet", lake::artifact_kinds());
  });
  REQUIRE(error);
  CHECK(error->code() == Exit::usage);
  const std::string message = error->what();
  CHECK(message.find("'spreadsheet'") != std::string::npos);
  CHECK(message.find("dataset") != std::string::npos);
}

TEST_CASE("check_artifact_name", "[lake]")
{
  for (const char* good : {"iris", "data/iris.csv", "clf v2", "a@b", "été"}) {
    INFO(good);
    CHECK_FALSE(error_of([&] { lake::check_artifact_name(good); }));
  }
  for (const std::string& bad : {std::string(""),
                                 std::string("-rf"),
                                 std::string("iris@"),
                                 std::string("tab\there"),
                                 std::string("new\nline"),
                                 std::string("del\x7f")}) {
    INFO(bad);
    auto error = error_of([&] { lake::check_artifact_name(bad); });
    REQUIRE(error);
    CHECK(error->code() == Exit::usage);
  }
}
