#include <mlake/util/time.hpp>

#include <catch2/catch.hpp>

#include <optional>
#include <string>
#include <vector>

namespace util = mlake::util;
using util::Micros;

namespace {

// 2023-11-14T22:13:20Z
constexpr Micros t_1700000000 = 1'700'000'000LL * 1'000'000;

std::optional<Micros>
parse(const std::string& text)
{
  Micros out = 0;
  if (!util::parse_rfc3339(text, out)) {
    return std::nullopt;
  }
  return out;
}

} // namespace

TEST_CASE("format_rfc3339 writes UTC with microseconds", "[util]")
{
  CHECK(util::format_rfc3339(0) == "1970-01-01T00:00:00.000000Z");
  CHECK(util::format_rfc3339(t_1700000000) == "2023-11-14T22:13:20.000000Z");
  CHECK(util::format_rfc3339(t_1700000000 + 123456) ==
        "2023-11-14T22:13:20.123456Z");
  CHECK(util::format_rfc3339(t_1700000000 + 7) ==
        "2023-11-14T22:13:20.000007Z");
  // 2000-02-29T23:59:59.999999Z, a leap day.
  CHECK(util::format_rfc3339(951868799'999999LL) ==
        "2000-02-29T23:59:59.999999Z");
  // Before the epoch, the fraction still counts forwards.
  CHECK(util::format_rfc3339(-1) == "1969-12-31T23:59:59.999999Z");
  CHECK(util::format_rfc3339(-1'500'000) == "1969-12-31T23:59:58.500000Z");
}

TEST_CASE("format_rfc3339 strings sort in time order", "[util]")
{
  std::vector<Micros> times = {-1'000'001,
                               0,
                               999'999,
                               1'000'000,
                               t_1700000000,
                               t_1700000000 + 1,
                               t_1700000000 + 3'600'000'000LL};
  for (std::size_t i = 1; i < times.size(); ++i) {
    INFO(times[i - 1] << " < " << times[i]);
    CHECK(util::format_rfc3339(times[i - 1]) < util::format_rfc3339(times[i]));
  }
}

TEST_CASE("parse_rfc3339 reads back what format_rfc3339 writes", "[util]")
{
  for (Micros t : {Micros(0),
                   Micros(1),
                   Micros(-1),
                   Micros(-1'500'000),
                   t_1700000000,
                   t_1700000000 + 999'999,
                   Micros(951868799'999999LL),
                   Micros(4102444800'000000LL), // 2100-01-01
                   util::now_micros()}) {
    std::string text = util::format_rfc3339(t);
    INFO(text);
    CHECK(parse(text) == t);
  }
}

TEST_CASE("parse_rfc3339 accepts whole seconds, any fraction, and offsets",
          "[util]")
{
  CHECK(parse("2023-11-14T22:13:20Z") == t_1700000000);
  CHECK(parse("2023-11-14T22:13:20z") == t_1700000000);
  CHECK(parse("2023-11-14T22:13:20.5Z") == t_1700000000 + 500'000);
  CHECK(parse("2023-11-14T22:13:20.120Z") == t_1700000000 + 120'000);
  // Digits beyond microseconds are dropped, not rounded into the seconds.
  CHECK(parse("2023-11-14T22:13:20.123456789Z") == t_1700000000 + 123'456);
  CHECK(parse("2023-11-14T23:13:20+01:00") == t_1700000000);
  CHECK(parse("2023-11-15T03:43:20+05:30") == t_1700000000);
  CHECK(parse("2023-11-14T17:43:20-04:30") == t_1700000000);
  CHECK(parse("2023-11-14T22:13:20+00:00") == t_1700000000);
  CHECK(parse("2023-11-14T22:13:20-00:00") == t_1700000000);
  CHECK(parse("2023-11-14T23:13:20.25+01:00") == t_1700000000 + 250'000);
  // Across a day and a year boundary.
  CHECK(parse("2024-01-01T01:00:00+02:00") ==
        parse("2023-12-31T23:00:00.000000Z"));
}

TEST_CASE("parse_rfc3339 rejects malformed text", "[util]")
{
  for (const char* text : {
           "",
           "not a time",
           "2023-11-14",
           "22:13:20Z",
           "2023-11-14T22:13:20",      // no zone
           "2023-11-14T22:13Z",        // no seconds
           "2023-11-14T22:13:20.Z",    // a dot without digits
           "2023-11-14T22:13:20ZZ",    // trailing text
           "2023-11-14T22:13:20Z ",    // trailing space
           "2023-11-14T22:13:20+0100", // offset without a colon
           "2023-11-14T22:13:20+01",   // offset without minutes
           "2023-11-14T22:13:20+01:00x",
           "2023-11-14T22:13:20 UTC",
           "2023-13-01T00:00:00Z", // month 13
           "2023-00-10T00:00:00Z", // month 0
           "2023-11-00T00:00:00Z", // day 0
           "2023-11-32T00:00:00Z", // day 32
           "2023-11-14T24:00:00Z", // hour 24
           "2023-11-14T22:60:00Z", // minute 60
           "2023-11-14T22:13:61Z", // second 61
       }) {
    INFO(text);
    CHECK_FALSE(parse(text).has_value());
  }
}

TEST_CASE("parse_rfc3339 rejects days that do not exist in the month", "[util]")
{
  // timegm() would silently turn these into March dates.
  for (const char* text : {"2023-02-30T00:00:00Z",
                           "2023-02-29T00:00:00Z", // 2023 is not a leap year
                           "2023-04-31T12:00:00Z",
                           "2100-02-29T00:00:00Z"}) {
    INFO(text);
    CHECK_FALSE(parse(text).has_value());
  }
  CHECK(parse("2024-02-29T00:00:00Z").has_value()); // a leap year
}

TEST_CASE("parse_rfc3339 rejects fields that are not two or four digits",
          "[util]")
{
  for (const char* text : {"2023-1-14T22:13:20Z",
                           "2023-11-4T22:13:20Z",
                           "2023-11-14T2:13:20Z",
                           " 2023-11-14T22:13:20Z",
                           "2023-11-14T22:13:20+ 1:00",
                           "2023-11-14T22:13:20+99:99"}) {
    INFO(text);
    CHECK_FALSE(parse(text).has_value());
  }
}

TEST_CASE("format_human", "[util]")
{
  CHECK(util::format_human(t_1700000000 + 999'999) ==
        "2023-11-14 22:13:20 UTC");
}

TEST_CASE("now_micros is close to the system clock", "[util]")
{
  Micros a = util::now_micros();
  Micros b = util::now_micros();
  CHECK(b >= a);
  // After 2023 and before 2100: microseconds, not seconds or nanoseconds.
  CHECK(a > t_1700000000);
  CHECK(a < 4102444800'000000LL);
}
