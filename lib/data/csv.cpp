#include <mlake/data/csv.hpp>
#include <mlake/util/error.hpp>
#include <mlake/util/fs.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>

namespace mlake::data {

namespace {

// Read in large chunks: few system calls, and a buffer that stays in the
// L2 cache while its records are parsed.
constexpr std::size_t chunk_size = 1 << 20;
// A record must fit in the buffer. One this long is almost surely a quote
// that is never closed: refuse it rather than read the rest of the file
// into memory to find out.
constexpr std::size_t max_record_size = std::size_t(64) << 20;

const char*
find(const char* from, const char* to, char c)
{
  return static_cast<const char*>(
      std::memchr(from, c, static_cast<std::size_t>(to - from)));
}

// The candidate that occurs most often on the first line outside quotes,
// ',' when none does (also for a one-column file).
char
guess_delimiter(const char* p, const char* end)
{
  constexpr char candidates[] = {',', '\t', ';', '|'};
  std::size_t counts[4] = {};
  bool quoted = false;
  for (; p < end; ++p) {
    char c = *p;
    if (c == '"') {
      quoted = !quoted;
    } else if (!quoted) {
      if (c == '\n') {
        break;
      }
      for (int i = 0; i < 4; ++i) {
        counts[i] += c == candidates[i];
      }
    }
  }
  int best = 0;
  for (int i = 1; i < 4; ++i) {
    if (counts[i] > counts[best]) {
      best = i;
    }
  }
  return candidates[best];
}

} // namespace

struct CsvReader::State
{
  fs::path path;
  std::string name; // how errors name the file
  util::UniqueFd fd;
  // The unparsed bytes are buffer[begin, end). A record is parsed only once
  // it lies whole in the buffer, so raw() can point into it; the buffer
  // grows for a record longer than a chunk and shrinks back afterwards.
  std::unique_ptr<char[]> buffer;
  std::size_t capacity = 0;
  std::size_t begin = 0;
  std::size_t end = 0;
  bool eof = false;
  // A byte order mark is parsed past but kept in the first record's raw
  // bytes, so that the records' raw bytes add up to the file.
  std::size_t skip = 0;
  std::size_t record = 0; // the last record: buffer[record, +record_size)
  std::size_t record_size = 0;
  std::uint64_t consumed = 0;
  std::uint64_t line = 0;
  std::uint64_t next_line = 1;
  char delimiter = ',';

  void fill();
  void resize(std::size_t new_capacity);
  // Parse the record at `begin` into `fields`; false when it does not end
  // within the buffer and more of the file is needed to tell.
  bool parse(std::vector<std::string>& fields);
  bool parse_quoted(std::vector<std::string>& fields);
  [[noreturn]] void throw_unclosed() const;
};

void
CsvReader::State::resize(std::size_t new_capacity)
{
  auto bigger = std::make_unique_for_overwrite<char[]>(new_capacity);
  std::memcpy(bigger.get(), buffer.get() + begin, end - begin);
  buffer = std::move(bigger);
  capacity = new_capacity;
  end -= begin;
  begin = 0;
}

void
CsvReader::State::fill()
{
  std::size_t pending = end - begin;
  if (capacity > chunk_size && pending <= chunk_size / 2) {
    resize(chunk_size);
  } else if (begin == 0 && end == capacity) {
    if (capacity >= max_record_size) {
      throw Error(Exit::usage,
                  "cannot read " + quote(name) + ": line " +
                      std::to_string(next_line) + ": record longer than " +
                      std::to_string(max_record_size >> 20) + " MiB",
                  "is a quoted field missing its closing '\"'?");
    }
    resize(capacity * 2);
  } else if (begin > 0) {
    std::memmove(buffer.get(), buffer.get() + begin, pending);
    end = pending;
    begin = 0;
  }
  while (end < capacity) {
    ssize_t n = ::read(fd.get(), buffer.get() + end, capacity - end);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      throw Error(Exit::usage,
                  "cannot read " + quote(name) + ": " +
                      util::errno_text(errno));
    }
    if (n == 0) {
      eof = true;
      break;
    }
    end += static_cast<std::size_t>(n);
  }
}

void
CsvReader::State::throw_unclosed() const
{
  throw Error(Exit::usage,
              "cannot read " + quote(name) + ": line " +
                  std::to_string(next_line) +
                  ": quoted field is not closed before the end of the file",
              "a field that starts with '\"' ends with '\"'; write a '\"' "
              "inside it as '\"\"'");
}

namespace {

// Set field `n`, reusing the capacity of the string already there, so that
// reading a file allocates nothing once the first rows have been read.
inline std::string&
field_at(std::vector<std::string>& fields, std::size_t n)
{
  if (n == fields.size()) {
    fields.emplace_back();
  }
  return fields[n];
}

} // namespace

bool
CsvReader::State::parse(std::vector<std::string>& fields)
{
  const char* start = buffer.get() + begin;
  const char* p = start + skip;
  const char* stop = buffer.get() + end;
  const char* newline = find(p, stop, '\n');
  if (newline == nullptr && !eof) {
    return false;
  }
  const char* line_end = newline ? newline : stop;
  // Most records hold no quote: then the record is the line, and splitting
  // it at each delimiter is all there is to do.
  if (find(p, line_end, '"') != nullptr) {
    return parse_quoted(fields);
  }
  const char* content_end = line_end;
  if (content_end > p && content_end[-1] == '\r') {
    --content_end;
  }
  std::size_t n = 0;
  const char d = delimiter;
  for (const char* f = p;;) {
    const char* q = f;
    while (q < content_end && *q != d) {
      ++q;
    }
    std::string& out = field_at(fields, n++);
    // clear() and append(pointer, size) within the capacity are a plain
    // copy; assign() and append(first, last) go through replace(), which
    // allows for the source overlapping the string, at twice the cost.
    out.clear();
    out.append(f, static_cast<std::size_t>(q - f));
    if (q == content_end) {
      break;
    }
    f = q + 1;
  }
  fields.resize(n);
  record_size =
      static_cast<std::size_t>((newline ? newline + 1 : stop) - start);
  line = next_line;
  next_line += newline != nullptr;
  return true;
}

bool
CsvReader::State::parse_quoted(std::vector<std::string>& fields)
{
  const char* start = buffer.get() + begin;
  const char* p = start + skip;
  const char* stop = buffer.get() + end;
  const char d = delimiter;
  std::size_t n = 0;
  const char* record_end = nullptr;
  for (;;) {
    std::string& out = field_at(fields, n++);
    out.clear();
    if (p < stop && *p == '"') {
      ++p;
      for (;;) {
        const char* q = find(p, stop, '"');
        if (q == nullptr) {
          if (!eof) {
            return false;
          }
          throw_unclosed();
        }
        out.append(p, static_cast<std::size_t>(q - p));
        if (q + 1 == stop && !eof) {
          return false; // a doubled quote or a closing one?
        }
        if (q + 1 < stop && q[1] == '"') {
          out.push_back('"');
          p = q + 2;
          continue;
        }
        p = q + 1;
        break;
      }
    }
    // An unquoted field, or what follows a closing quote: kept as it is,
    // as Python's csv module does with `"a"b`, rather than refused.
    const char* q = p;
    while (q < stop && *q != d && *q != '\n') {
      ++q;
    }
    if (q == stop && !eof) {
      return false;
    }
    const char* content_end = q;
    if (content_end > p && content_end[-1] == '\r') {
      --content_end;
    }
    out.append(p, static_cast<std::size_t>(content_end - p));
    if (q == stop) {
      record_end = stop;
      break;
    }
    if (*q == '\n') {
      record_end = q + 1;
      break;
    }
    p = q + 1;
  }
  fields.resize(n);
  record_size = static_cast<std::size_t>(record_end - start);
  line = next_line;
  next_line += static_cast<std::uint64_t>(std::count(start, record_end, '\n'));
  return true;
}

CsvReader::CsvReader(const fs::path& path, char delimiter, std::string name)
    : m_state(std::make_unique<State>())
{
  State& s = *m_state;
  s.path = path;
  s.name = name.empty() ? path.string() : std::move(name);
  s.fd.reset(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!s.fd) {
    throw Error(Exit::not_found,
                "cannot open " + quote(s.name) + ": " +
                    util::errno_text(errno));
  }
  s.buffer = std::make_unique_for_overwrite<char[]>(chunk_size);
  s.capacity = chunk_size;
  s.fill();
  if (s.end >= 3 && std::memcmp(s.buffer.get(), "\xEF\xBB\xBF", 3) == 0) {
    s.skip = 3;
  }
  s.delimiter = delimiter != 0 ? delimiter
                               : guess_delimiter(s.buffer.get() + s.skip,
                                                 s.buffer.get() + s.end);
}

CsvReader::~CsvReader() = default;

bool
CsvReader::next(std::vector<std::string>& fields)
{
  State& s = *m_state;
  s.begin += s.record_size;
  s.record_size = 0;
  for (;;) {
    if (s.begin + s.skip == s.end) {
      if (s.eof) {
        return false;
      }
      s.fill();
      continue;
    }
    if (s.parse(fields)) {
      break;
    }
    s.fill();
  }
  s.record = s.begin;
  s.skip = 0;
  s.consumed += s.record_size;
  return true;
}

std::string_view
CsvReader::raw() const
{
  const State& s = *m_state;
  return {s.buffer.get() + s.record, s.record_size};
}

bool
CsvReader::blank() const
{
  std::string_view r = raw();
  return r == "\n" || r == "\r\n";
}

std::uint64_t
CsvReader::line() const
{
  return m_state->line;
}

char
CsvReader::delimiter() const
{
  return m_state->delimiter;
}

// The bytes of the records read so far (a byte order mark included): the
// offset in the file where the next record starts.
std::uint64_t
CsvReader::bytes_read() const
{
  return m_state->consumed;
}

bool
is_tabular(const fs::path& path)
{
  std::string ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) {
    return static_cast<char>(std::tolower(c));
  });
  return ext == ".csv" || ext == ".tsv";
}

} // namespace mlake::data
