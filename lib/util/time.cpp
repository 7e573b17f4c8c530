#include <mlake/util/time.hpp>

#include <time.h>

#include <chrono>
#include <cstdio>

namespace mlake::util {

Micros
now_micros()
{
  using namespace std::chrono;
  return duration_cast<microseconds>(system_clock::now().time_since_epoch())
      .count();
}

namespace {

struct tm
to_tm(Micros time)
{
  time_t seconds = static_cast<time_t>(time / 1'000'000);
  if (time < 0 && time % 1'000'000 != 0) {
    --seconds;
  }
  struct tm out;
  ::gmtime_r(&seconds, &out);
  return out;
}

} // namespace

std::string
format_rfc3339(Micros time)
{
  struct tm t = to_tm(time);
  long micros = static_cast<long>(((time % 1'000'000) + 1'000'000) % 1'000'000);
  char buffer[96];
  std::snprintf(buffer,
                sizeof(buffer),
                "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ",
                t.tm_year + 1900,
                t.tm_mon + 1,
                t.tm_mday,
                t.tm_hour,
                t.tm_min,
                t.tm_sec,
                micros);
  return buffer;
}

std::string
format_human(Micros time)
{
  struct tm t = to_tm(time);
  char buffer[96];
  std::snprintf(buffer,
                sizeof(buffer),
                "%04d-%02d-%02d %02d:%02d:%02d UTC",
                t.tm_year + 1900,
                t.tm_mon + 1,
                t.tm_mday,
                t.tm_hour,
                t.tm_min,
                t.tm_sec);
  return buffer;
}

namespace {

// Exactly `count` decimal digits at `pos`; advances it.
bool
digits(const std::string& text, std::size_t& pos, int count, int& out)
{
  out = 0;
  for (int i = 0; i < count; ++i, ++pos) {
    if (pos >= text.size() || text[pos] < '0' || text[pos] > '9') {
      return false;
    }
    out = out * 10 + (text[pos] - '0');
  }
  return true;
}

bool
expect(const std::string& text, std::size_t& pos, char c)
{
  if (pos < text.size() && text[pos] == c) {
    ++pos;
    return true;
  }
  return false;
}

int
days_in_month(int year, int month)
{
  static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : days[month - 1];
}

} // namespace

bool
parse_rfc3339(const std::string& text, Micros& out)
{
  std::size_t pos = 0;
  int year, month, day, hour, minute, second;
  if (!digits(text, pos, 4, year) || !expect(text, pos, '-') ||
      !digits(text, pos, 2, month) || !expect(text, pos, '-') ||
      !digits(text, pos, 2, day) ||
      !(expect(text, pos, 'T') || expect(text, pos, 't')) ||
      !digits(text, pos, 2, hour) || !expect(text, pos, ':') ||
      !digits(text, pos, 2, minute) || !expect(text, pos, ':') ||
      !digits(text, pos, 2, second)) {
    return false;
  }
  if (month < 1 || month > 12 || day < 1 || day > days_in_month(year, month) ||
      hour > 23 || minute > 59 || second > 60) {
    return false;
  }
  Micros fraction = 0;
  if (expect(text, pos, '.')) {
    int count = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      if (count < 6) {
        fraction = fraction * 10 + (text[pos] - '0');
      }
      ++count;
      ++pos;
    }
    if (count == 0) {
      return false;
    }
    for (; count < 6; ++count) {
      fraction *= 10;
    }
  }
  long offset_seconds = 0;
  if (expect(text, pos, 'Z') || expect(text, pos, 'z')) {
  } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    int sign = text[pos] == '+' ? 1 : -1;
    ++pos;
    int oh, om;
    if (!digits(text, pos, 2, oh) || !expect(text, pos, ':') ||
        !digits(text, pos, 2, om) || oh > 23 || om > 59) {
      return false;
    }
    offset_seconds = sign * (oh * 3600L + om * 60L);
  } else {
    return false;
  }
  if (pos != text.size()) {
    return false;
  }
  struct tm t = {};
  t.tm_year = year - 1900;
  t.tm_mon = month - 1;
  t.tm_mday = day;
  t.tm_hour = hour;
  t.tm_min = minute;
  t.tm_sec = second;
  time_t seconds = ::timegm(&t) - offset_seconds;
  out = Micros(seconds) * 1'000'000 + fraction;
  return true;
}

} // namespace mlake::util
