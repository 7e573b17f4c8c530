#include <mlake/data/metafeatures.hpp>
#include <mlake/util/error.hpp>
#include <mlake/util/json.hpp>

#include <catch2/catch.hpp>

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "test_support.hpp"

using mlake::Exit;
using mlake::json;
using mlake::data::check_column;
using mlake::data::MetafeatureOptions;
using mlake::data::metafeatures;
using mlake::test::child_peak_rss_kib;
using mlake::test::error_of;
using mlake::test::TempDir;
using mlake::test::testdata;
using mlake::test::write_file;
namespace fs = std::filesystem;

namespace {

const json&
column(const json& mf, const std::string& name)
{
  for (const json& c : mf.at("columns_info")) {
    if (c.at("name") == name) {
      return c;
    }
  }
  FAIL("no column " << name);
  throw std::logic_error("unreachable");
}

} // namespace

TEST_CASE("metafeatures of iris match values computed from the file", "[data]")
{
  const fs::path iris = testdata("iris.csv");
  // The reference: a plain loop over the lines, no CSV parser.
  std::ifstream in(iris);
  std::string line;
  std::getline(in, line);
  std::vector<double> sepal;
  while (std::getline(in, line)) {
    if (!line.empty()) {
      sepal.push_back(std::stod(line.substr(0, line.find(','))));
    }
  }
  REQUIRE(sepal.size() == 30);
  double sum = 0;
  for (double x : sepal) {
    sum += x;
  }
  const double mean = sum / double(sepal.size());
  double squares = 0;
  for (double x : sepal) {
    squares += (x - mean) * (x - mean);
  }
  const double sample_std = std::sqrt(squares / double(sepal.size() - 1));

  MetafeatureOptions options;
  options.target = "species";
  json mf = metafeatures(iris, options);
  CHECK(mf.at("format") == "csv");
  CHECK(mf.at("delimiter") == ",");
  CHECK(mf.at("header") == true);
  CHECK(mf.at("rows") == 30);
  CHECK(mf.at("columns") == 5);
  CHECK(mf.at("ragged_rows") == 0);
  REQUIRE(mf.at("columns_info").size() == 5);
  CHECK(mf.at("columns_info")[0].at("name") == "sepal_length");

  const json& sl = column(mf, "sepal_length");
  CHECK(sl.at("type") == "number");
  CHECK(sl.at("missing") == 0);
  CHECK(sl.at("min").get<double>() ==
        *std::min_element(sepal.begin(), sepal.end()));
  CHECK(sl.at("max").get<double>() ==
        *std::max_element(sepal.begin(), sepal.end()));
  CHECK(sl.at("mean").get<double>() == Approx(mean).epsilon(1e-12));
  CHECK(sl.at("std").get<double>() == Approx(sample_std).epsilon(1e-12));
  CHECK(sl.at("distinct") == 22);
  CHECK_FALSE(sl.contains("distinct_estimated"));
  CHECK_FALSE(sl.contains("top"));

  const json& species = column(mf, "species");
  CHECK(species.at("type") == "text");
  CHECK(species.at("distinct") == 3);
  CHECK(species.at("top") == json::parse(R"([
    {"value": "setosa", "count": 10},
    {"value": "versicolor", "count": 10},
    {"value": "virginica", "count": 10}])"));

  const json& target = mf.at("target");
  CHECK(target.at("column") == "species");
  CHECK(target.at("missing") == 0);
  REQUIRE(target.at("classes").size() == 3);
  for (const json& c : target.at("classes")) {
    CHECK(c.at("count") == 10);
    CHECK(c.at("share").get<double>() == Approx(1.0 / 3));
  }
  CHECK_FALSE(target.contains("approximate"));
  // Whatever goes into a node must be canonical JSON.
  CHECK_NOTHROW(mlake::util::canonical_json(mf));
}

TEST_CASE("metafeatures counts missing values in their usual spellings",
          "[data]")
{
  TempDir dir;
  write_file(dir / "m.csv",
             "x,y\n"
             "1,a\n"
             ",NA\n"
             "NaN,n/a\n"
             "null,None\n"
             "3, \n"
             "NULL,b\n"
             "nan,N/A\n");
  json mf = metafeatures(dir / "m.csv");
  const json& x = column(mf, "x");
  CHECK(x.at("missing") == 5);
  CHECK(x.at("type") == "integer");
  CHECK(x.at("distinct") == 2);
  CHECK(x.at("min") == 1);
  CHECK(x.at("max") == 3);
  CHECK(x.at("mean").get<double>() == 2.0);
  const json& y = column(mf, "y");
  CHECK(y.at("missing") == 5);
  CHECK(y.at("type") == "text");
  CHECK(y.at("distinct") == 2);
}

TEST_CASE("metafeatures infers column types", "[data]")
{
  TempDir dir;
  write_file(dir / "types.csv",
             "int,num,bool,binary,mixed_bool,text,empty,inf,signed\n"
             "1,1.5,true,0,yes,a,,1.0,+3\n"
             "-2,2,FALSE,1,0,1,NA,inf, 4 \n"
             "30,1e3,Yes,1,No,2.5,,2,-5\n");
  json mf = metafeatures(dir / "types.csv");
  CHECK(column(mf, "int").at("type") == "integer");
  CHECK(column(mf, "int").at("min").is_number_integer());
  CHECK(column(mf, "int").at("min") == -2);
  CHECK(column(mf, "int").at("max") == 30);
  CHECK(column(mf, "num").at("type") == "number");
  CHECK(column(mf, "num").at("max").get<double>() == 1000.0);
  CHECK(column(mf, "bool").at("type") == "boolean");
  CHECK(column(mf, "bool").at("top").size() == 3);
  // 0 and 1 alone are integers; next to words they are booleans.
  CHECK(column(mf, "binary").at("type") == "integer");
  CHECK(column(mf, "mixed_bool").at("type") == "boolean");
  CHECK(column(mf, "text").at("type") == "text");
  CHECK(column(mf, "empty").at("type") == "empty");
  CHECK(column(mf, "empty").at("missing") == 3);
  CHECK(column(mf, "empty").at("distinct") == 0);
  // A mean of infinity says nothing: "inf" makes a column text.
  CHECK(column(mf, "inf").at("type") == "text");
  // A leading '+' and blanks around a number are accepted.
  CHECK(column(mf, "signed").at("type") == "integer");
  CHECK(column(mf, "signed").at("max") == 4);
  CHECK(column(mf, "signed").at("mean").get<double>() == Approx(2.0 / 3));
  // The sample standard deviation; undefined for one value.
  CHECK(
      column(mf, "int").at("std").get<double>() ==
      Approx(std::sqrt((std::pow(1 - 29.0 / 3, 2) + std::pow(-2 - 29.0 / 3, 2) +
                        std::pow(30 - 29.0 / 3, 2)) /
                       2)));
  write_file(dir / "one.csv", "x\n5\n");
  CHECK(column(metafeatures(dir / "one.csv"), "x").at("std").is_null());
}

TEST_CASE("metafeatures reports the most frequent values of text columns",
          "[data]")
{
  TempDir dir;
  write_file(dir / "top.csv",
             "color\nred\nblue\nred\ngreen\nblue\nred\nwhite\nblack\n");
  MetafeatureOptions options;
  options.top_values = 3;
  json mf = metafeatures(dir / "top.csv", options);
  // By count, then by value.
  CHECK(column(mf, "color").at("top") == json::parse(R"([
    {"value": "red", "count": 3},
    {"value": "blue", "count": 2},
    {"value": "black", "count": 1}])"));
  CHECK_FALSE(column(mf, "color").contains("top_approximate"));
}

TEST_CASE("metafeatures counts ragged rows and skips empty lines", "[data]")
{
  TempDir dir;
  write_file(dir / "ragged.csv",
             "a,b,c\n"
             "1,2,3\n"
             "\n"
             "4,5\n"
             "6,7,8,9\n"
             "\"\"\n"
             "10,11,12\n");
  json mf = metafeatures(dir / "ragged.csv");
  CHECK(mf.at("rows") == 5);
  CHECK(mf.at("blank_lines") == 1);
  CHECK(mf.at("ragged_rows") == 3);
  // Absent fields are missing, extra ones ignored.
  CHECK(column(mf, "c").at("missing") == 2);
  CHECK(column(mf, "c").at("max") == 12);
  CHECK(column(mf, "a").at("missing") == 1);
}

TEST_CASE("metafeatures of a TSV file", "[data]")
{
  TempDir dir;
  write_file(dir / "t.tsv", "name\tscore\nada\t1.5\nbob\t2.5\n");
  json mf = metafeatures(dir / "t.tsv");
  CHECK(mf.at("format") == "tsv");
  CHECK(mf.at("delimiter") == "\t");
  CHECK(column(mf, "score").at("mean").get<double>() == 2.0);
}

TEST_CASE("metafeatures of an empty file", "[data]")
{
  TempDir dir;
  write_file(dir / "empty.csv", "");
  json mf = metafeatures(dir / "empty.csv");
  CHECK(mf.at("rows") == 0);
  CHECK(mf.at("columns") == 0);
  CHECK(mf.at("header") == false);
  write_file(dir / "header-only.csv", "a,b\n");
  mf = metafeatures(dir / "header-only.csv");
  CHECK(mf.at("rows") == 0);
  CHECK(mf.at("columns") == 2);
  CHECK(column(mf, "b").at("type") == "empty");
}

TEST_CASE("metafeatures refuses a target that names no column", "[data]")
{
  TempDir dir;
  write_file(dir / "d.csv", "a,b\n1,2\n");
  MetafeatureOptions options;
  options.target = "label";
  auto error = error_of([&] { metafeatures(dir / "d.csv", options); });
  REQUIRE(error);
  CHECK(error->code() == Exit::usage);
  CHECK_THAT(error->what(), Catch::Contains("'label'"));
  CHECK_THAT(error->what(), Catch::Contains("d.csv"));
  CHECK_THAT(error->hint(), Catch::Contains("'a'"));
}

TEST_CASE("metafeatures names the line of a quote never closed", "[data]")
{
  TempDir dir;
  write_file(dir / "bad.csv", "a,b\n1,2\n3,\"4\n");
  auto error = error_of([&] { metafeatures(dir / "bad.csv"); });
  REQUIRE(error);
  CHECK(error->code() == Exit::usage);
  CHECK_THAT(error->what(), Catch::Contains("bad.csv"));
  CHECK_THAT(error->what(), Catch::Contains("line 3"));
}

TEST_CASE("metafeatures errors name the file as the options say", "[data]")
{
  TempDir dir;
  write_file(dir / "object", "a,b\n1,2\n3,\"4\n");
  MetafeatureOptions options;
  options.name = "data/bad.csv";
  auto error = error_of([&] { metafeatures(dir / "object", options); });
  REQUIRE(error);
  CHECK(std::string(error->what()) ==
        "cannot read 'data/bad.csv': line 3: quoted field is not closed "
        "before the end of the file");
  options.target = "label";
  write_file(dir / "object", "a,b\n1,2\n");
  error = error_of([&] { metafeatures(dir / "object", options); });
  REQUIRE(error);
  CHECK(std::string(error->what()) == "no column 'label' in 'data/bad.csv'");
}

TEST_CASE("check_column reads the header only", "[data]")
{
  TempDir dir;
  // The quote that is never closed is after the header: not read.
  write_file(dir / "d.csv", "a,b\n1,\"2\n");
  CHECK_NOTHROW(check_column(dir / "d.csv", "b", "d.csv"));
  auto error = error_of([&] { check_column(dir / "d.csv", "c", "x/d.csv"); });
  REQUIRE(error);
  CHECK(error->code() == Exit::usage);
  CHECK(std::string(error->what()) == "no column 'c' in 'x/d.csv'");
  CHECK(error->hint() == "its columns are 'a', 'b'");
  write_file(dir / "empty.csv", "");
  error = error_of([&] { check_column(dir / "empty.csv", "a", "empty.csv"); });
  REQUIRE(error);
  CHECK(error->hint() == "the file is empty");
}

TEST_CASE("metafeatures replaces bytes that are not UTF-8", "[data]")
{
  TempDir dir;
  write_file(dir / "latin1.csv", "caf\xE9\nna\xEFve\nna\xEFve\n");
  json mf = metafeatures(dir / "latin1.csv");
  CHECK(mf.at("columns_info")[0].at("name") == "caf\xEF\xBF\xBD");
  CHECK(mf.at("columns_info")[0].at("top")[0].at("value") ==
        "na\xEF\xBF\xBDve");
  CHECK_NOTHROW(mlake::util::canonical_json(mf));
}

TEST_CASE("metafeatures counts distinct values exactly up to a bound, then "
          "estimates them",
          "[data]")
{
  TempDir dir;
  auto write = [&](const fs::path& path, int distinct) {
    std::ofstream out(path, std::ios::binary);
    out << "key,group\n";
    for (int i = 0; i < distinct; ++i) {
      out << "key-" << i * 7919 << ',' << i % 4 << '\n';
    }
    // Repeats change nothing.
    for (int i = 0; i < 1000; ++i) {
      out << "key-" << i * 7919 << ",0\n";
    }
  };
  write(dir / "exact.csv", 50'000);
  json exact = column(metafeatures(dir / "exact.csv"), "key");
  CHECK(exact.at("distinct") == 50'000);
  CHECK_FALSE(exact.contains("distinct_estimated"));

  write(dir / "estimated.csv", 200'000);
  json mf = metafeatures(dir / "estimated.csv");
  json estimated = column(mf, "key");
  CHECK(estimated.at("distinct_estimated") == true);
  CHECK(estimated.at("distinct").get<double>() ==
        Approx(200'000).epsilon(0.03));
  CHECK(column(mf, "group").at("distinct") == 4);
  CHECK_FALSE(column(mf, "group").contains("distinct_estimated"));
}

TEST_CASE("metafeatures finds the most frequent values among many, flagged "
          "approximate",
          "[data]")
{
  TempDir dir;
  {
    std::ofstream out(dir / "many.csv", std::ios::binary);
    out << "word,label\n";
    for (int i = 0; i < 100'000; ++i) {
      // "common" every 10th row, "rare" every 50th, the rest unique.
      if (i % 10 == 0) {
        out << "common";
      } else if (i % 50 == 7) {
        out << "rare";
      } else {
        out << "w" << i;
      }
      out << ",c" << i % 500 << '\n';
    }
  }
  MetafeatureOptions options;
  options.target = "label";
  json mf = metafeatures(dir / "many.csv", options);
  const json& word = column(mf, "word");
  CHECK(word.at("top_approximate") == true);
  // Only the values that stand out: not unique ones that happened to
  // survive the last eviction.
  REQUIRE(word.at("top").size() == 2);
  CHECK(word.at("top")[0].at("value") == "common");
  CHECK(word.at("top")[1].at("value") == "rare");
  CHECK(word.at("top")[1].at("count").get<double>() ==
        Approx(2'000).epsilon(0.05));
  // Counts overestimate by at most what was evicted: here, little.
  CHECK(word.at("top")[0].at("count").get<double>() ==
        Approx(10'000).epsilon(0.05));
  CHECK(word.at("top")[0].at("count").get<int>() >= 10'000);

  // The class balance lists at most 100 classes, exactly counted.
  const json& target = mf.at("target");
  CHECK(target.at("classes").size() == 100);
  CHECK(target.at("distinct") == 500);
  CHECK(target.at("classes")[0].at("count") == 200);
  CHECK(target.at("classes")[0].at("share").get<double>() ==
        Approx(200.0 / 100'000));
  CHECK_FALSE(target.contains("approximate"));
}

TEST_CASE("metafeatures of a numeric column that turns out to hold text",
          "[data]")
{
  TempDir dir;
  {
    std::ofstream out(dir / "late.csv", std::ios::binary);
    out << "value\n";
    for (int i = 0; i < 20'000; ++i) {
      out << i << '\n';
    }
    for (int i = 0; i < 10; ++i) {
      out << "unknown\n";
    }
  }
  const json c = column(metafeatures(dir / "late.csv"), "value");
  CHECK(c.at("type") == "text");
  CHECK(c.at("distinct") == 20'001);
  CHECK(c.at("top")[0] == json({{"value", "unknown"}, {"count", 10}}));
  CHECK(c.at("top_approximate") == true);
}

TEST_CASE("metafeatures memory does not grow with the file", "[data]")
{
  TempDir dir;
  // Every summary reaches its bound within the small file: unique keys
  // and numbers, text of many values.
  auto make = [&](const fs::path& path, int rows) {
    std::ofstream out(path, std::ios::binary);
    out << "id,name,value,city,flag\n";
    for (int i = 0; i < rows; ++i) {
      out << i << ",\"name " << i * 31 << "\"," << i * 0.25 << ",city"
          << i % 5000 << ',' << (i % 3 ? "true" : "false") << '\n';
    }
  };
  make(dir / "small.csv", 100'000);
  make(dir / "large.csv", 1'000'000);
  auto run = [](const fs::path& path) {
    return [path] { metafeatures(path); };
  };
  long small = child_peak_rss_kib(run(dir / "small.csv"));
  long large = child_peak_rss_kib(run(dir / "large.csv"));
  // Ten times the rows (about 40 MB more), not 2 MiB more memory.
  CAPTURE(small, large);
  CHECK(large - small < 2048);
}
