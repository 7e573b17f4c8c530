#include <mlake/lake/lake.hpp>
#include <mlake/lake/lock_file.hpp>
#include <mlake/lineage/split.hpp>
#include <mlake/util/error.hpp>
#include <mlake/util/hash.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "lineage/lineage_support.hpp"
#include "test_support.hpp"

using mlake::Exit;
using mlake::json;
using mlake::lake::LockFile;
using mlake::lineage::SplitOptions;
using mlake::test::add_paths;
using mlake::test::error_of;
using mlake::test::LakeFixture;
using mlake::test::node_files;
using mlake::test::slurp;
using mlake::test::write_file;
using mlake::util::sha256_hex;
namespace fs = std::filesystem;
namespace lineage = mlake::lineage;

namespace {

const std::string iris = slurp(mlake::test::testdata("iris.csv"));
const std::string iris_header =
    "sepal_length,sepal_width,petal_length,petal_width,species\n";

// The lines of `text`, each with its line end.
std::vector<std::string>
lines_of(const std::string& text)
{
  std::vector<std::string> out;
  std::size_t at = 0;
  while (at < text.size()) {
    auto end = text.find('\n', at);
    end = end == std::string::npos ? text.size() : end + 1;
    out.push_back(text.substr(at, end - at));
    at = end;
  }
  return out;
}

// The data rows of a CSV file (after its header), sorted.
std::vector<std::string>
sorted_rows(const std::string& text)
{
  auto lines = lines_of(text);
  REQUIRE_FALSE(lines.empty());
  lines.erase(lines.begin());
  std::sort(lines.begin(), lines.end());
  return lines;
}

// How many rows of each species a split part holds.
std::map<std::string, int>
species_counts(const std::string& text)
{
  std::map<std::string, int> out;
  for (const auto& line : sorted_rows(text)) {
    auto comma = line.rfind(',');
    ++out[line.substr(comma + 1, line.size() - comma - 2)];
  }
  return out;
}

SplitOptions
split_options(const LakeFixture& f,
              double train,
              double test,
              std::uint64_t seed = 42)
{
  SplitOptions options;
  options.data = "data/iris.csv";
  options.train = train;
  options.test = test;
  options.seed = seed;
  options.message = "split the iris data";
  options.cwd = f.root;
  return options;
}

// A lake holding the iris data at data/iris.csv.
struct IrisLake
{
  LakeFixture f;
  std::string add_node;
  IrisLake()
  {
    write_file(f.root / "data" / "iris.csv", iris);
    auto added = add_paths(f, {"data/iris.csv"}, "iris");
    REQUIRE(added.node);
    add_node = *added.node;
  }
};

} // namespace

TEST_CASE("split makes parts of round(fraction x rows) rows", "[lineage]")
{
  IrisLake l;
  auto& f = l.f;
  auto result = lineage::split(f.lake, split_options(f, 0.7, 0.3));
  REQUIRE(result.rows == std::vector<std::uint64_t>{21, 9});
  REQUIRE(result.outputs.size() == 2);
  CHECK(result.outputs[0].path == "data/iris.train.csv");
  CHECK(result.outputs[1].path == "data/iris.test.csv");

  std::string train = slurp(f.root / "data" / "iris.train.csv");
  std::string test = slurp(f.root / "data" / "iris.test.csv");
  CHECK(result.outputs[0].hash == sha256_hex(train));
  CHECK(result.outputs[1].hash == sha256_hex(test));
  // The header, then the rows copied byte for byte.
  CHECK_THAT(train, Catch::StartsWith(iris_header));
  CHECK_THAT(test, Catch::StartsWith(iris_header));
  CHECK(lines_of(train).size() == 22);
  CHECK(lines_of(test).size() == 10);
  // Together, exactly the rows of the data, each once.
  auto all = sorted_rows(train);
  auto test_rows = sorted_rows(test);
  all.insert(all.end(), test_rows.begin(), test_rows.end());
  std::sort(all.begin(), all.end());
  CHECK(all == sorted_rows(iris));

  // The node.
  auto node = f.lake.nodes().read(result.node);
  REQUIRE(node);
  CHECK((*node)["kind"] == "split");
  CHECK((*node)["message"] == "split the iris data");
  CHECK((*node)["params"] ==
        json({{"train", 0.7}, {"test", 0.3}, {"seed", 42}}));
  REQUIRE((*node)["inputs"].size() == 1);
  CHECK((*node)["inputs"][0]["artifact"] == "data/iris.csv");
  CHECK((*node)["inputs"][0]["hash"] == sha256_hex(iris));
  CHECK((*node)["inputs"][0]["node"] == l.add_node);
  REQUIRE((*node)["outputs"].size() == 2);
  CHECK((*node)["outputs"][0]["path"] == "data/iris.train.csv");
  CHECK((*node)["outputs"][1]["path"] == "data/iris.test.csv");
  auto lock = LockFile::load(f.root);
  CHECK(lock.entries.at("data/iris.train.csv").node == result.node);
  CHECK(lock.entries.at("data/iris.test.csv").hash == sha256_hex(test));
}

TEST_CASE("split rounds to the nearest row, the last part takes the rest",
          "[lineage]")
{
  IrisLake l;
  auto& f = l.f;
  // 0.33 x 30 = 9.9: 10 rows, not 9.
  auto result = lineage::split(f.lake, split_options(f, 0.33, 0.67));
  CHECK(result.rows == std::vector<std::uint64_t>{10, 20});

  // 101 rows: 80.8 -> 81, 10.1 -> 10, and the test part the 10 left.
  LakeFixture g;
  std::string csv = "id,value\n";
  for (int i = 0; i < 101; ++i) {
    csv += std::to_string(i) + "," + std::to_string(i * i) + "\n";
  }
  write_file(g.root / "numbers.csv", csv);
  REQUIRE(add_paths(g, {"numbers.csv"}, "numbers").node);
  SplitOptions options;
  options.data = "numbers.csv";
  options.train = 0.8;
  options.val = 0.1;
  options.test = 0.1;
  options.seed = 1;
  options.message = "three ways";
  options.cwd = g.root;
  auto three = lineage::split(g.lake, options);
  CHECK(three.rows == std::vector<std::uint64_t>{81, 10, 10});
  REQUIRE(three.outputs.size() == 3);
  CHECK(three.outputs[0].path == "numbers.train.csv");
  CHECK(three.outputs[1].path == "numbers.val.csv");
  CHECK(three.outputs[2].path == "numbers.test.csv");
  CHECK(lines_of(slurp(g.root / "numbers.val.csv")).size() == 11);
  auto node = g.lake.nodes().read(three.node);
  REQUIRE(node);
  CHECK((*node)["params"]["val"] == 0.1);
}

TEST_CASE("split is the same for the same seed, and differs for another",
          "[lineage]")
{
  IrisLake one, two, three;
  lineage::split(one.f.lake, split_options(one.f, 0.7, 0.3, 7));
  lineage::split(two.f.lake, split_options(two.f, 0.7, 0.3, 7));
  lineage::split(three.f.lake, split_options(three.f, 0.7, 0.3, 8));
  const fs::path train = fs::path("data") / "iris.train.csv";
  CHECK(slurp(one.f.root / train) == slurp(two.f.root / train));
  CHECK(slurp(one.f.root / "data" / "iris.test.csv") ==
        slurp(two.f.root / "data" / "iris.test.csv"));
  CHECK(slurp(one.f.root / train) != slurp(three.f.root / train));
  // Rows keep the order they have in the data.
  auto lines = lines_of(slurp(one.f.root / train));
  auto data = lines_of(iris);
  std::size_t at = 0;
  for (std::size_t i = 1; i < lines.size(); ++i) {
    auto it = std::find(data.begin() + at, data.end(), lines[i]);
    REQUIRE(it != data.end());
    at = static_cast<std::size_t>(it - data.begin()) + 1;
  }
}

TEST_CASE("split with stratify keeps the class balance", "[lineage]")
{
  IrisLake l;
  auto& f = l.f;
  auto options = split_options(f, 0.7, 0.3, 3);
  options.stratify = "species";
  auto result = lineage::split(f.lake, options);
  CHECK(result.rows == std::vector<std::uint64_t>{21, 9});
  std::map<std::string, int> train = {
      {"setosa", 7}, {"versicolor", 7}, {"virginica", 7}};
  std::map<std::string, int> test = {
      {"setosa", 3}, {"versicolor", 3}, {"virginica", 3}};
  CHECK(species_counts(slurp(f.root / "data" / "iris.train.csv")) == train);
  CHECK(species_counts(slurp(f.root / "data" / "iris.test.csv")) == test);
  auto node = f.lake.nodes().read(result.node);
  REQUIRE(node);
  CHECK((*node)["params"]["stratify"] == "species");

  options.stratify = "colour";
  auto error = error_of([&] { lineage::split(f.lake, options); });
  REQUIRE(error);
  CHECK(error->code() == Exit::usage);
  CHECK_THAT(error->what(), Catch::Contains("colour"));
}

TEST_CASE("split reads the version in the lake, not the workspace file",
          "[lineage]")
{
  IrisLake l;
  auto& f = l.f;
  write_file(f.root / "data" / "iris.csv", iris_header + "1,2,3,4,setosa\n");
  auto result = lineage::split(f.lake, split_options(f, 0.5, 0.5));
  CHECK(result.rows == std::vector<std::uint64_t>{15, 15});
}

TEST_CASE("split skips empty lines, as the metafeatures do", "[lineage]")
{
  LakeFixture f;
  // Five records after the header, one of them an empty line; a quoted
  // field holds a line end and an empty line of its own.
  write_file(f.root / "t.csv",
             "id,text\n1,a\n2,\"multi\n\nline\"\n\n3,c\r\n\r\n4,d\n");
  auto added = add_paths(f, {"t.csv"}, "t");
  REQUIRE(added.node);
  auto node = f.lake.nodes().read(*added.node).value();
  REQUIRE(node["outputs"][0]["metafeatures"]["rows"] == 4);
  SplitOptions options;
  options.data = "t.csv";
  options.train = 0.5;
  options.test = 0.5;
  options.message = "split t";
  options.cwd = f.root;
  auto result = lineage::split(f.lake, options);
  CHECK(result.rows == std::vector<std::uint64_t>{2, 2});
  std::string both =
      slurp(f.root / "t.train.csv") + slurp(f.root / "t.test.csv");
  CHECK(both.find("\n\n") == both.find("\n\nline"));
  CHECK(both.find("\r\n\r\n") == std::string::npos);
  CHECK(both.size() ==
        std::string("id,text\n").size() * 2 +
            std::string("1,a\n2,\"multi\n\nline\"\n3,c\r\n4,d\n").size());
}

TEST_CASE("split fractions must add up to 1", "[lineage]")
{
  IrisLake l;
  auto& f = l.f;
  std::size_t before = node_files(f);
  for (auto [train, test] : {std::pair{0.7, 0.2},
                             std::pair{0.8, 0.3},
                             std::pair{1.2, -0.2},
                             std::pair{0.0, 0.0}}) {
    INFO(train << " " << test);
    auto error = error_of(
        [&] { lineage::split(f.lake, split_options(f, train, test)); });
    REQUIRE(error);
    CHECK(error->code() == Exit::usage);
  }
  auto options = split_options(f, 0.6, 0.2);
  options.val = 0.3;
  auto error = error_of([&] { lineage::split(f.lake, options); });
  REQUIRE(error);
  CHECK(error->code() == Exit::usage);
  CHECK(node_files(f) == before);
  CHECK_FALSE(fs::exists(f.root / "data" / "iris.train.csv"));
}

TEST_CASE("split of a file that is not CSV is a usage error", "[lineage]")
{
  LakeFixture f;
  write_file(f.root / "notes.txt", "a,b\n1,2\n");
  REQUIRE(add_paths(f, {"notes.txt"}, "notes").node);
  SplitOptions options;
  options.data = "notes.txt";
  options.train = 0.5;
  options.test = 0.5;
  options.message = "split notes";
  options.cwd = f.root;
  auto error = error_of([&] { lineage::split(f.lake, options); });
  REQUIRE(error);
  CHECK(error->code() == Exit::usage);

  options.data = "missing.csv";
  error = error_of([&] { lineage::split(f.lake, options); });
  REQUIRE(error);
  CHECK(error->code() == Exit::not_found);
}
