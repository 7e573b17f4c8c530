#include <mlake/util/error.hpp>
#include <mlake/util/json.hpp>

namespace mlake::util {

std::string
canonical_json(const json& value)
{
  // nlohmann::json keeps object keys in a std::map, so dump() emits them in
  // bytewise order; with no indent it adds no whitespace.
  try {
    return value.dump(-1, ' ', false, json::error_handler_t::strict);
  } catch (const json::exception& e) {
    throw Error(Exit::usage,
                std::string("text is not valid UTF-8: ") + e.what());
  }
}

void
append_json_string(std::string& out, std::string_view text)
{
  static const char digits[] = "0123456789abcdef";
  out.push_back('"');
  // Copy runs that need no escaping in one go: most text has none.
  std::size_t run = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c != '"' && c != '\\') {
      continue;
    }
    out.append(text.data() + run, i - run);
    run = i + 1;
    switch (c) {
    case '"':
      out += "\\\"";
      break;
    case '\\':
      out += "\\\\";
      break;
    case '\b':
      out += "\\b";
      break;
    case '\f':
      out += "\\f";
      break;
    case '\n':
      out += "\\n";
      break;
    case '\r':
      out += "\\r";
      break;
    case '\t':
      out += "\\t";
      break;
    default:
      out += "\\u00";
      out.push_back(digits[c >> 4]);
      out.push_back(digits[c & 0xf]);
    }
  }
  out.append(text.data() + run, text.size() - run);
  out.push_back('"');
}

json
parse_json(std::string_view text, const std::string& what)
{
  try {
    return json::parse(text);
  } catch (const json::parse_error& e) {
    throw Error(Exit::usage, "cannot parse " + what + ": " + e.what());
  }
}

} // namespace mlake::util
