#include <mlake/data/csv.hpp>
#include <mlake/util/error.hpp>

#include <catch2/catch.hpp>

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "test_support.hpp"

using mlake::Exit;
using mlake::data::CsvReader;
using mlake::test::child_peak_rss_kib;
using mlake::test::error_of;
using mlake::test::slurp;
using mlake::test::TempDir;
using mlake::test::write_file;
namespace fs = std::filesystem;

using Record = std::vector<std::string>;

namespace {

std::vector<Record>
read_all(const fs::path& path, char delimiter = 0)
{
  CsvReader reader(path, delimiter);
  std::vector<Record> out;
  Record fields;
  while (reader.next(fields)) {
    out.push_back(fields);
  }
  return out;
}

// The raw bytes of every record, concatenated.
std::string
reassemble(const fs::path& path)
{
  CsvReader reader(path);
  std::string out;
  Record fields;
  while (reader.next(fields)) {
    out += reader.raw();
  }
  return out;
}

} // namespace

TEST_CASE("CsvReader reads quoted fields holding delimiters, quotes and "
          "newlines",
          "[data]")
{
  TempDir dir;
  write_file(dir / "q.csv",
             "name,quote,note\n"
             "\"Smith, Ada\",\"she said \"\"hi\"\"\",\"line one\n"
             "line two\"\n"
             "plain,\"\",last\n");
  CsvReader reader(dir / "q.csv");
  CHECK(reader.delimiter() == ',');
  Record fields;
  REQUIRE(reader.next(fields));
  CHECK(fields == Record{"name", "quote", "note"});
  CHECK(reader.line() == 1);
  REQUIRE(reader.next(fields));
  CHECK(fields ==
        Record{"Smith, Ada", "she said \"hi\"", "line one\nline two"});
  CHECK(reader.line() == 2);
  CHECK(reader.raw() == "\"Smith, Ada\",\"she said \"\"hi\"\"\",\"line one\n"
                        "line two\"\n");
  REQUIRE(reader.next(fields));
  CHECK(fields == Record{"plain", "", "last"});
  // The record after one spanning two lines starts on line 4.
  CHECK(reader.line() == 4);
  CHECK_FALSE(reader.next(fields));
  CHECK(reader.bytes_read() == fs::file_size(dir / "q.csv"));
}

TEST_CASE("CsvReader keeps a quote inside an unquoted field and what follows "
          "a closing quote",
          "[data]")
{
  TempDir dir;
  write_file(dir / "lenient.csv", "a,b\n5\" tall,\"x\"y\n");
  auto records = read_all(dir / "lenient.csv");
  REQUIRE(records.size() == 2);
  CHECK(records[1] == Record{"5\" tall", "xy"});
}

TEST_CASE("CsvReader skips a UTF-8 byte order mark but keeps it in raw()",
          "[data]")
{
  TempDir dir;
  write_file(dir / "bom.csv", "\xEF\xBB\xBFname,value\nx,1\n");
  CsvReader reader(dir / "bom.csv");
  Record fields;
  REQUIRE(reader.next(fields));
  CHECK(fields == Record{"name", "value"});
  CHECK(reader.raw() == "\xEF\xBB\xBFname,value\n");
  REQUIRE(reader.next(fields));
  CHECK(fields == Record{"x", "1"});
  CHECK_FALSE(reader.next(fields));

  write_file(dir / "only-bom.csv", "\xEF\xBB\xBF");
  CHECK(read_all(dir / "only-bom.csv").empty());
}

TEST_CASE("CsvReader reads CRLF line ends and keeps a CR inside quotes",
          "[data]")
{
  TempDir dir;
  write_file(dir / "crlf.csv",
             "a,b\r\n"
             "1,\"two\r\nlines\"\r\n"
             "\"cr at end\r\",x\r\n"
             "3,4\r\n");
  CsvReader reader(dir / "crlf.csv");
  Record fields;
  REQUIRE(reader.next(fields));
  CHECK(fields == Record{"a", "b"});
  CHECK(reader.raw() == "a,b\r\n");
  REQUIRE(reader.next(fields));
  CHECK(fields == Record{"1", "two\r\nlines"});
  REQUIRE(reader.next(fields));
  CHECK(fields == Record{"cr at end\r", "x"});
  CHECK(reader.line() == 4);
  REQUIRE(reader.next(fields));
  CHECK(fields == Record{"3", "4"});
  CHECK(reader.raw() == "3,4\r\n");
  CHECK_FALSE(reader.next(fields));
}

TEST_CASE("CsvReader guesses the delimiter from the first line", "[data]")
{
  TempDir dir;
  write_file(dir / "t.tsv", "a\tb\tc\n1\t2,5\t3\n");
  CsvReader tsv(dir / "t.tsv");
  CHECK(tsv.delimiter() == '\t');
  Record fields;
  REQUIRE(tsv.next(fields));
  REQUIRE(tsv.next(fields));
  CHECK(fields == Record{"1", "2,5", "3"});

  // European CSV: ';' between fields, ',' as the decimal separator; the
  // commas inside the quoted header name do not count.
  write_file(dir / "eu.csv", "\"name, full\";price;qty\nx;1,5;2\n");
  CsvReader eu(dir / "eu.csv");
  CHECK(eu.delimiter() == ';');
  REQUIRE(eu.next(fields));
  CHECK(fields == Record{"name, full", "price", "qty"});
  REQUIRE(eu.next(fields));
  CHECK(fields == Record{"x", "1,5", "2"});

  write_file(dir / "pipe.csv", "a|b\n1|2\n");
  CHECK(CsvReader(dir / "pipe.csv").delimiter() == '|');
  write_file(dir / "one.csv", "value\n1\n");
  CHECK(CsvReader(dir / "one.csv").delimiter() == ',');
  write_file(dir / "empty.csv", "");
  CHECK(CsvReader(dir / "empty.csv").delimiter() == ',');
  CHECK(read_all(dir / "empty.csv").empty());

  // An explicit delimiter wins over the guess.
  CHECK(read_all(dir / "eu.csv", ',')[1] == Record{"x;1", "5;2"});
}

TEST_CASE("CsvReader reads a last record without a final newline", "[data]")
{
  TempDir dir;
  write_file(dir / "nonl.csv", "a,b\n1,2");
  CsvReader reader(dir / "nonl.csv");
  Record fields;
  REQUIRE(reader.next(fields));
  REQUIRE(reader.next(fields));
  CHECK(fields == Record{"1", "2"});
  CHECK(reader.raw() == "1,2");
  CHECK_FALSE(reader.next(fields));

  write_file(dir / "quoted-end.csv", "a,b\n1,\"x\"\"y\"");
  CHECK(read_all(dir / "quoted-end.csv")[1] == Record{"1", "x\"y"});
  write_file(dir / "trailing-delimiter.csv", "a,b\n1,");
  CHECK(read_all(dir / "trailing-delimiter.csv")[1] == Record{"1", ""});
}

TEST_CASE("CsvReader reads an empty line as one empty field", "[data]")
{
  TempDir dir;
  write_file(dir / "blank.csv", "a\n\nb\r\n\r\n\"\"\n");
  CHECK(read_all(dir / "blank.csv") ==
        std::vector<Record>{{"a"}, {""}, {"b"}, {""}, {""}});
  // Only a line end is blank: a line holding "" is a row.
  CsvReader reader(dir / "blank.csv");
  std::vector<bool> blank;
  Record fields;
  while (reader.next(fields)) {
    blank.push_back(reader.blank());
  }
  CHECK(blank == std::vector<bool>{false, true, false, true, false});
}

TEST_CASE("CsvReader names the file and the line of a quote never closed",
          "[data]")
{
  TempDir dir;
  write_file(dir / "bad.csv", "a,b\n1,2\n3,\"open\nstill open\n4,5\n");
  CsvReader reader(dir / "bad.csv");
  Record fields;
  REQUIRE(reader.next(fields));
  REQUIRE(reader.next(fields));
  auto error = error_of([&] { reader.next(fields); });
  REQUIRE(error);
  CHECK(error->code() == Exit::usage);
  CHECK_THAT(error->what(), Catch::Contains("bad.csv"));
  CHECK_THAT(error->what(), Catch::Contains("line 3"));
  CHECK_THAT(error->what(), Catch::Contains("not closed"));
  CHECK_FALSE(error->hint().empty());
}

TEST_CASE("CsvReader throws not_found for a missing file", "[data]")
{
  TempDir dir;
  auto error = error_of([&] { CsvReader reader(dir / "missing.csv"); });
  REQUIRE(error);
  CHECK(error->code() == Exit::not_found);
  CHECK_THAT(error->what(), Catch::Contains("missing.csv"));
}

TEST_CASE("CsvReader raw() gives back the file byte for byte, across read "
          "chunks",
          "[data]")
{
  TempDir dir;
  SECTION("a small file with every kind of record")
  {
    const std::string content = "\xEF\xBB\xBFh1,h2\r\n"
                                "1,\"a\nb\"\n"
                                "\n"
                                "\"x\"\"\",y\r\n"
                                "\r\n"
                                "last,\"no newline\"";
    write_file(dir / "mixed.csv", content);
    CHECK(reassemble(dir / "mixed.csv") == content);
  }
  SECTION("several MiB of random records, some longer than a chunk")
  {
    // The expected fields are known from generating them, so no second
    // parser is needed to check the reader.
    std::mt19937 rng(42);
    auto pick = [&](int n) {
      return static_cast<int>(rng() % static_cast<unsigned>(n));
    };
    const std::vector<std::string> pieces = {"word",
                                             "",
                                             "with, comma",
                                             "quote \"q\"",
                                             "multi\nline",
                                             "cr\r\nlf",
                                             "12.5",
                                             "ünïcödé",
                                             " spaced "};
    std::string content;
    std::vector<Record> expected;
    std::vector<std::uint64_t> lines;
    std::uint64_t line = 1;
    while (content.size() < (std::size_t(5) << 20)) {
      Record record;
      std::string text;
      int width = 1 + pick(6);
      for (int i = 0; i < width; ++i) {
        std::string value = pieces[pick(int(pieces.size()))];
        if (i == 0 && (expected.size() == 20000 || expected.size() == 60000)) {
          value = std::string(std::size_t(1) << 20, 'L') + ",\n\"" + value;
        }
        bool quote =
            value.find_first_of(",\"\r\n") != std::string::npos || pick(4) == 0;
        if (i > 0) {
          text += ',';
        }
        if (quote) {
          text += '"';
          for (char c : value) {
            text += c;
            if (c == '"') {
              text += '"';
            }
          }
          text += '"';
        } else {
          text += value;
        }
        record.push_back(value);
      }
      text += pick(2) ? "\n" : "\r\n";
      lines.push_back(line);
      for (char c : text) {
        line += c == '\n';
      }
      content += text;
      expected.push_back(record);
    }
    // The last record without its line end.
    while (content.back() == '\n' || content.back() == '\r') {
      content.pop_back();
    }
    write_file(dir / "big.csv", content);

    CsvReader reader(dir / "big.csv", ',');
    Record fields;
    std::string joined;
    std::size_t n = 0;
    while (reader.next(fields)) {
      REQUIRE(n < expected.size());
      REQUIRE(fields == expected[n]);
      REQUIRE(reader.line() == lines[n]);
      joined += reader.raw();
      ++n;
    }
    CHECK(n == expected.size());
    CHECK(joined == content);
    CHECK(reader.bytes_read() == content.size());
  }
}

TEST_CASE("CsvReader reads a field of 5 MiB and goes on reading after it",
          "[data]")
{
  TempDir dir;
  const std::string huge(std::size_t(5) << 20, 'x');
  {
    std::ofstream out(dir / "huge.csv", std::ios::binary);
    out << "id,text\n1,\"" << huge << "\n\"\"" << huge << "\"\n";
    for (int i = 2; i < 1000; ++i) {
      out << i << ",short\n";
    }
  }
  CsvReader reader(dir / "huge.csv");
  Record fields;
  REQUIRE(reader.next(fields));
  REQUIRE(reader.next(fields));
  CHECK(fields[1].size() == 2 * huge.size() + 2);
  CHECK(fields[1] == huge + "\n\"" + huge);
  CHECK(reader.raw().size() == 2 * huge.size() + 8);
  int rows = 1;
  while (reader.next(fields)) {
    ++rows;
    REQUIRE(fields == Record{std::to_string(rows), "short"});
    REQUIRE(reader.line() == std::uint64_t(rows) + 2);
  }
  CHECK(rows == 999);
}

TEST_CASE("CsvReader memory does not grow with the number of records", "[data]")
{
  TempDir dir;
  auto make = [&](const fs::path& path, int rows) {
    std::ofstream out(path, std::ios::binary);
    out << "id,name,value\n";
    for (int i = 0; i < rows; ++i) {
      out << i << ",\"name " << i << "\"," << i * 0.5 << '\n';
    }
  };
  make(dir / "small.csv", 50'000);
  make(dir / "large.csv", 1'000'000);
  auto read = [](const fs::path& path) {
    return [path] {
      CsvReader reader(path);
      Record fields;
      while (reader.next(fields)) {
      }
    };
  };
  long small = child_peak_rss_kib(read(dir / "small.csv"));
  long large = child_peak_rss_kib(read(dir / "large.csv"));
  // 20 times the rows (about 25 MB more), not one MiB more memory.
  CAPTURE(small, large);
  CHECK(large - small < 1024);
}

TEST_CASE("is_tabular accepts .csv and .tsv in any case", "[data]")
{
  using mlake::data::is_tabular;
  CHECK(is_tabular("data/train.csv"));
  CHECK(is_tabular("TRAIN.CSV"));
  CHECK(is_tabular("x.Tsv"));
  CHECK_FALSE(is_tabular("model.safetensors"));
  CHECK_FALSE(is_tabular("csv"));
  CHECK_FALSE(is_tabular("data.csv.gz"));
}
