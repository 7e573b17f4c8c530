#pragma once

#include <cstdint>
#include <string>

namespace mlake::util {

// Microseconds since the Unix epoch, UTC.
using Micros = std::int64_t;

Micros now_micros();

// RFC 3339 in UTC with microseconds: 2026-11-27T13:14:04.123456Z. Strings in
// this form sort in time order, which the index relies on.
std::string format_rfc3339(Micros time);

// Parse the form format_rfc3339 writes, and also whole seconds or any
// fraction, with 'Z' or a numeric offset; false when malformed.
bool parse_rfc3339(const std::string& text, Micros& out);

// "2026-11-27 13:14:04 UTC" for people.
std::string format_human(Micros time);

} // namespace mlake::util
