#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

namespace mlake {

using json = nlohmann::json;

namespace util {

// Canonical JSON: keys sorted bytewise, no insignificant whitespace, UTF-8.
// Throws mlake::Error when a string is not valid UTF-8.
std::string canonical_json(const json& value);

// Append `text` to `out` as a JSON string literal (with the quotes).
void append_json_string(std::string& out, std::string_view text);

// Parse JSON; throws mlake::Error naming `what` on malformed input.
json parse_json(std::string_view text, const std::string& what);

} // namespace util
} // namespace mlake
