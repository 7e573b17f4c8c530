#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace mlake::data {

namespace fs = std::filesystem;

// A streaming reader of delimited text (CSV, TSV): RFC 4180 quoting (a
// quoted field may hold delimiters, newlines and doubled quotes), a UTF-8
// byte order mark, LF or CRLF line ends. It holds one record at a time, so
// memory does not grow with the file.
class CsvReader
{
public:
  // `delimiter` 0 guesses from the first line: the most frequent of ',',
  // '\t', ';' and '|' outside quotes (',' when there is none). Errors name
  // the file `name` (default: `path`), so that a file read from the lake's
  // objects can be named as the user knows it. Throws
  // Error(Exit::not_found) when the file cannot be opened.
  explicit CsvReader(const fs::path& path,
                     char delimiter = 0,
                     std::string name = {});
  ~CsvReader();
  CsvReader(const CsvReader&) = delete;
  CsvReader& operator=(const CsvReader&) = delete;

  // Read the next record into `fields` (unquoted, quotes undoubled);
  // false at the end of the file. An empty line is a record of one empty
  // field. Throws Error(Exit::usage) naming the file and line for a quote
  // that is never closed.
  bool next(std::vector<std::string>& fields);

  // The bytes of the last record as they are in the file, line end
  // included (so that a split copies rows exactly).
  std::string_view raw() const;

  // Whether the last record was an empty line: no row (as pandas reads
  // it), even in a file of one column. A line holding "" is a row.
  bool blank() const;

  // The line (from 1) where the last record started.
  std::uint64_t line() const;
  char delimiter() const;
  std::uint64_t bytes_read() const;

private:
  struct State;
  std::unique_ptr<State> m_state;
};

// Whether a path names delimited text mlake reads: .csv, .tsv (any case).
bool is_tabular(const fs::path& path);

} // namespace mlake::data
