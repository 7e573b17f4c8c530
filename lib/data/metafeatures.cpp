#include <mlake/data/csv.hpp>
#include <mlake/data/metafeatures.hpp>
#include <mlake/util/error.hpp>
#include <mlake/util/interrupt.hpp>

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sketch.hpp"
#include "utf8.hpp"

namespace mlake::data {

namespace {

// How much each column may keep. A column of few distinct values keeps
// little; one of many keeps its most frequent values exactly up to
// `top_capacity` distinct ones (about 100 bytes each) and approximately
// beyond, and counts its distinct values exactly up to `exact_distinct`
// (16 bytes each, a hash in a half-full table), then estimates them with a
// HyperLogLog of 2^`hll_precision` bytes.
struct Limits
{
  std::size_t top_capacity = 4096;
  std::size_t exact_distinct = 65536;
  int hll_precision = 14;
};

// The columns' summaries share about 64 MiB: files of up to ~40 columns
// get the full limits, and a file of thousands of columns (a feature
// matrix) smaller ones rather than gigabytes.
Limits
limits_for(std::size_t width)
{
  constexpr std::size_t budget = std::size_t(64) << 20;
  const std::size_t share = budget / std::max<std::size_t>(width, 1);
  Limits full;
  Limits out;
  out.top_capacity = std::clamp<std::size_t>(
      std::bit_floor(share / 4 / 128), 64, full.top_capacity);
  out.exact_distinct = std::clamp<std::size_t>(
      std::bit_floor(share / 2 / 16), 1024, full.exact_distinct);
  out.hll_precision = std::clamp(
      static_cast<int>(std::bit_width(share / 4)) - 1, 10, full.hll_precision);
  return out;
}

// The class balance of a target lists at most this many classes.
constexpr std::size_t max_classes = 100;
constexpr std::uint64_t interrupt_interval = 65536;

std::string_view
trim(std::string_view v)
{
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) {
    v.remove_prefix(1);
  }
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) {
    v.remove_suffix(1);
  }
  return v;
}

// Whether `v` is `lower` in any case (ASCII).
bool
iequals(std::string_view v, std::string_view lower)
{
  if (v.size() != lower.size()) {
    return false;
  }
  for (std::size_t i = 0; i < v.size(); ++i) {
    char c = v[i];
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
    }
    if (c != lower[i]) {
      return false;
    }
  }
  return true;
}

// The markers pandas and R write for a missing value, in any case.
bool
is_missing(std::string_view v)
{
  switch (v.size()) {
  case 0:
    return true;
  case 2:
    return iequals(v, "na");
  case 3:
    return iequals(v, "nan") || iequals(v, "n/a");
  case 4:
    return iequals(v, "null") || iequals(v, "none");
  default:
    return false;
  }
}

enum class BoolKind
{
  none,
  digit, // 0 or 1: boolean only next to words, an integer on its own
  word,  // true, false, yes, no in any case
};

BoolKind
boolean_kind(std::string_view v)
{
  switch (v.size()) {
  case 1:
    return v[0] == '0' || v[0] == '1' ? BoolKind::digit : BoolKind::none;
  case 2:
    return iequals(v, "no") ? BoolKind::word : BoolKind::none;
  case 3:
    return iequals(v, "yes") ? BoolKind::word : BoolKind::none;
  case 4:
    return iequals(v, "true") ? BoolKind::word : BoolKind::none;
  case 5:
    return iequals(v, "false") ? BoolKind::word : BoolKind::none;
  default:
    return BoolKind::none;
  }
}

class Column
{
public:
  Column(std::string name, const Limits& limits)
      : m_name(std::move(name)), m_limits(limits),
        m_top(std::in_place, limits.top_capacity)
  {}

  // Count the target's classes even when it holds numbers, and with the
  // full limits: it is one column.
  void
  keep_counts()
  {
    m_keep_top = true;
    m_limits = Limits{};
    m_top.emplace(m_limits.top_capacity);
  }

  void
  add(std::string_view raw)
  {
    std::string_view v = trim(raw);
    if (is_missing(v)) {
      ++m_missing;
      return;
    }
    ++m_present;
    if (m_maybe_number) {
      add_number(v);
    }
    if (m_maybe_bool) {
      BoolKind kind = boolean_kind(v);
      m_maybe_bool = kind != BoolKind::none;
      m_bool_word |= kind == BoolKind::word;
    }
    count(sketch::hash(raw), raw);
  }

  void
  add_missing()
  {
    ++m_missing;
  }

  const std::string&
  name() const
  {
    return m_name;
  }

  json
  info(std::size_t top_values) const
  {
    json out = {
        {"name", valid_utf8(m_name)}, {"type", type()}, {"missing", m_missing}};
    add_distinct(out);
    const std::string t = type();
    if (t == "integer" || t == "number") {
      if (t == "integer") {
        out["min"] = m_int_min;
        out["max"] = m_int_max;
      } else {
        out["min"] = m_min;
        out["max"] = m_max;
      }
      out["mean"] = m_mean;
      // The sample standard deviation (n - 1), as pandas and R give it;
      // undefined for a single value.
      out["std"] = m_numbers > 1 ? json(std::sqrt(m_m2 / double(m_numbers - 1)))
                                 : json(nullptr);
    } else if (t == "text" || t == "boolean") {
      out["top"] = top(top_values);
      if (counts_approximate()) {
        out["top_approximate"] = true;
      }
    }
    return out;
  }

  // The class balance of the column as a target.
  json
  classes() const
  {
    json list = json::array();
    if (m_top) {
      for (const auto& e : m_top->top(max_classes)) {
        list.push_back(
            {{"value", valid_utf8(e.value)},
             {"count", e.count},
             {"share", m_present ? double(e.count) / double(m_present) : 0.0}});
      }
    }
    json out = {{"column", valid_utf8(m_name)},
                {"classes", list},
                {"missing", m_missing}};
    add_distinct(out);
    if (counts_approximate()) {
      out["approximate"] = true;
    }
    return out;
  }

private:
  void
  add_number(std::string_view v)
  {
    const char* b = v.data();
    const char* e = b + v.size();
    // from_chars refuses the '+' that many writers put before exponents
    // and some before numbers.
    if (*b == '+' && e - b > 1 && b[1] != '-') {
      ++b;
    }
    if (m_maybe_integer) {
      std::int64_t x;
      auto [ptr, ec] = std::from_chars(b, e, x);
      if (ec == std::errc() && ptr == e) {
        m_int_min = std::min(m_int_min, x);
        m_int_max = std::max(m_int_max, x);
        add_value(double(x));
        return;
      }
      m_maybe_integer = false;
    }
    double x;
    auto [ptr, ec] = std::from_chars(b, e, x);
    // "inf" and "nan" parse, but a mean of infinity says nothing: a column
    // holding them is text.
    if (ec == std::errc() && ptr == e && std::isfinite(x)) {
      add_value(x);
      return;
    }
    m_maybe_number = false;
  }

  // Welford's algorithm: a running mean and sum of squared deviations,
  // stable where the sum of squares would cancel.
  void
  add_value(double x)
  {
    ++m_numbers;
    double delta = x - m_mean;
    m_mean += delta / double(m_numbers);
    m_m2 += delta * (x - m_mean);
    m_min = std::min(m_min, x);
    m_max = std::max(m_max, x);
  }

  void
  count(std::uint64_t h, std::string_view raw)
  {
    if (m_top) {
      m_top->add(h, raw);
    } else if (!m_maybe_number) {
      // A column of many numbers dropped its counts (below) and has now
      // turned out to hold text: count from here on.
      m_top.emplace(m_limits.top_capacity);
      m_top_partial = true;
      m_top->add(h, raw);
    }
    if (m_hll) {
      m_hll->add(h);
      return;
    }
    if (m_distinct) {
      if (m_distinct->insert(h) &&
          m_distinct->size() > m_limits.exact_distinct) {
        m_hll = std::make_unique<sketch::HyperLogLog>(m_limits.hll_precision);
        m_distinct->for_each([&](std::uint64_t x) { m_hll->add(x); });
        m_distinct.reset();
      }
      return;
    }
    // Until it is full, the top counter holds every distinct value: one
    // table lookup per value for the usual column of few values.
    if (m_top->size() == m_limits.top_capacity) {
      m_distinct = std::make_unique<sketch::HashSet>(m_limits.exact_distinct);
      for (const auto& e : m_top->entries()) {
        m_distinct->insert(e.hash);
      }
      // The most frequent values of a numeric column are not reported:
      // counting thousands of distinct numbers would cost time for nothing.
      if (m_maybe_number && !m_keep_top) {
        m_top.reset();
      }
    }
  }

  std::string
  type() const
  {
    if (m_present == 0) {
      return "empty";
    }
    if (m_maybe_number) {
      return m_maybe_integer ? "integer" : "number";
    }
    if (m_maybe_bool && m_bool_word) {
      return "boolean";
    }
    return "text";
  }

  void
  add_distinct(json& out) const
  {
    if (m_hll) {
      out["distinct"] =
          static_cast<std::uint64_t>(std::llround(m_hll->estimate()));
      out["distinct_estimated"] = true;
    } else if (m_distinct) {
      out["distinct"] = m_distinct->size();
    } else {
      out["distinct"] = m_top ? m_top->size() : 0;
    }
  }

  bool
  counts_approximate() const
  {
    return m_top_partial || (m_top && !m_top->exact());
  }

  json
  top(std::size_t k) const
  {
    json list = json::array();
    if (m_top) {
      for (const auto& e : m_top->top(k)) {
        list.push_back({{"value", valid_utf8(e.value)}, {"count", e.count}});
      }
    }
    return list;
  }

  std::string m_name;
  Limits m_limits;
  std::uint64_t m_missing = 0;
  std::uint64_t m_present = 0;
  bool m_maybe_integer = true;
  bool m_maybe_number = true;
  bool m_maybe_bool = true;
  bool m_bool_word = false;
  std::uint64_t m_numbers = 0;
  double m_mean = 0;
  double m_m2 = 0;
  double m_min = std::numeric_limits<double>::infinity();
  double m_max = -std::numeric_limits<double>::infinity();
  std::int64_t m_int_min = std::numeric_limits<std::int64_t>::max();
  std::int64_t m_int_max = std::numeric_limits<std::int64_t>::min();
  // Distinct values go to the top counter alone while it has room, then
  // also to an exact set of hashes, then to a HyperLogLog instead.
  std::optional<sketch::TopCounter> m_top;
  std::unique_ptr<sketch::HashSet> m_distinct;
  std::unique_ptr<sketch::HyperLogLog> m_hll;
  bool m_top_partial = false;
  bool m_keep_top = false;
};

// The refusal of a target that `header` (the first record of the file
// named `name`) does not have.
[[noreturn]] void
throw_no_column(const std::string& column,
                const std::string& name,
                const std::vector<std::string>& header)
{
  std::string list;
  for (std::size_t i = 0; i < header.size() && i < 10; ++i) {
    list += (i ? ", " : "") + quote(header[i]);
  }
  if (header.size() > 10) {
    list += ", ...";
  }
  throw Error(Exit::usage,
              "no column " + quote(column) + " in " + quote(name),
              header.empty() ? "the file is empty" : "its columns are " + list);
}

} // namespace

json
metafeatures(const fs::path& path, const MetafeatureOptions& options)
{
  const std::string name = options.name.empty() ? path.string() : options.name;
  CsvReader reader(path, 0, name);
  const char delimiter = reader.delimiter();
  json out = {{"format", delimiter == '\t' ? "tsv" : "csv"},
              {"delimiter", std::string(1, delimiter)}};

  std::vector<std::string> fields;
  std::vector<Column> columns;
  const bool has_header = reader.next(fields);
  const Limits limits = limits_for(fields.size());
  columns.reserve(fields.size());
  for (const std::string& column : fields) {
    columns.emplace_back(column, limits);
  }
  std::optional<std::size_t> target;
  if (options.target) {
    for (std::size_t i = 0; i < columns.size() && !target; ++i) {
      if (columns[i].name() == *options.target) {
        target = i;
      }
    }
    if (!target) {
      throw_no_column(*options.target, name, fields); // empty without header
    }
    columns[*target].keep_counts();
  }

  std::uint64_t rows = 0;
  std::uint64_t ragged = 0;
  std::uint64_t blank = 0;
  const std::size_t width = columns.size();
  while (reader.next(fields)) {
    if (reader.blank()) {
      ++blank;
      continue;
    }
    if (++rows % interrupt_interval == 0) {
      util::throw_if_interrupted();
    }
    // A row of another width is counted, not refused: its fields fill the
    // columns from the left, extra ones are ignored and absent ones are
    // missing.
    std::size_t n = fields.size();
    if (n != width) {
      ++ragged;
      n = std::min(n, width);
      for (std::size_t i = n; i < width; ++i) {
        columns[i].add_missing();
      }
    }
    for (std::size_t i = 0; i < n; ++i) {
      columns[i].add(fields[i]);
    }
  }

  out["rows"] = rows;
  out["columns"] = width;
  out["header"] = has_header;
  out["ragged_rows"] = ragged;
  out["blank_lines"] = blank;
  json info = json::array();
  for (const Column& column : columns) {
    info.push_back(column.info(options.top_values));
  }
  out["columns_info"] = std::move(info);
  if (target) {
    out["target"] = columns[*target].classes();
  }
  return out;
}

void
check_column(const fs::path& path,
             const std::string& column,
             const std::string& name)
{
  CsvReader reader(path, 0, name);
  std::vector<std::string> header; // stays empty for an empty file
  reader.next(header);
  if (std::find(header.begin(), header.end(), column) == header.end()) {
    throw_no_column(column, name, header);
  }
}

} // namespace mlake::data
