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

bool
parse_rfc3339(const std::string& text, Micros& out)
{
  int year, month, day, hour, minute, second;
  int consumed = 0;
  if (std::sscanf(text.c_str(),
                  "%4d-%2d-%2dT%2d:%2d:%2d%n",
                  &year,
                  &month,
                  &day,
                  &hour,
                  &minute,
                  &second,
                  &consumed) != 6) {
    return false;
  }
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 ||
      minute > 59 || second > 60) {
    return false;
  }
  std::size_t pos = static_cast<std::size_t>(consumed);
  Micros fraction = 0;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    int digits = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      if (digits < 6) {
        fraction = fraction * 10 + (text[pos] - '0');
      }
      ++digits;
      ++pos;
    }
    if (digits == 0) {
      return false;
    }
    for (; digits < 6; ++digits) {
      fraction *= 10;
    }
  }
  long offset_seconds = 0;
  if (pos < text.size() && (text[pos] == 'Z' || text[pos] == 'z')) {
    ++pos;
  } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    int oh, om;
    if (std::sscanf(text.c_str() + pos + 1, "%2d:%2d", &oh, &om) != 2) {
      return false;
    }
    offset_seconds = (oh * 3600 + om * 60) * (text[pos] == '+' ? 1 : -1);
    pos += 6;
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
