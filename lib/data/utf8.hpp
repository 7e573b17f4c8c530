#pragma once

#include <string>
#include <string_view>

namespace mlake::data {

// `text` with every byte sequence that is not UTF-8 replaced by U+FFFD, as
// JSON (and canonical JSON in nodes) wants: CSV files in Latin-1 exist, and
// model files hold whatever bytes their writers chose.
std::string valid_utf8(std::string_view text);

} // namespace mlake::data
