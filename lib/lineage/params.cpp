#include <mlake/lineage/params.hpp>
#include <mlake/util/error.hpp>
#include <mlake/util/fs.hpp>

#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <cstdlib>

namespace mlake::lineage {

json
typed_scalar(const std::string& text)
{
  if (text == "true" || text == "false") {
    return text == "true";
  }
  if (!text.empty()) {
    char* end = nullptr;
    errno = 0;
    long long integer = std::strtoll(text.c_str(), &end, 10);
    if (errno == 0 && end && *end == '\0') {
      return integer;
    }
    errno = 0;
    double real = std::strtod(text.c_str(), &end);
    if (errno == 0 && end && *end == '\0' &&
        text.find_first_of("xXnN") == std::string::npos) {
      return real;
    }
  }
  return text;
}

std::pair<std::string, json>
parse_param(const std::string& text)
{
  auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0) {
    throw Error(Exit::usage,
                "parameter " + quote(text) + " is not KEY=VALUE",
                "write it as -p learning_rate=0.01");
  }
  return {text.substr(0, eq), typed_scalar(text.substr(eq + 1))};
}

namespace {

void
flatten(const YAML::Node& node, const std::string& prefix, json& out)
{
  switch (node.Type()) {
  case YAML::NodeType::Map:
    for (const auto& item : node) {
      std::string key = item.first.as<std::string>();
      flatten(item.second, prefix.empty() ? key : prefix + "." + key, out);
    }
    break;
  case YAML::NodeType::Sequence: {
    std::size_t i = 0;
    for (const auto& item : node) {
      flatten(item, prefix + "." + std::to_string(i++), out);
    }
    break;
  }
  case YAML::NodeType::Scalar:
    // A quoted scalar stays a string ("1" is text, 1 is a number).
    out[prefix] =
        node.Tag() == "!" ? json(node.Scalar()) : typed_scalar(node.Scalar());
    break;
  default:
    out[prefix] = nullptr;
  }
}

} // namespace

json
read_flat_values(const fs::path& path, const std::string& what)
{
  auto text = util::read_file_if_exists(path);
  if (!text) {
    throw Error(Exit::not_found,
                "the " + what + " file " + quote(path.string()) +
                    " does not exist");
  }
  YAML::Node doc;
  try {
    doc = YAML::Load(*text);
  } catch (const YAML::Exception& e) {
    throw Error(Exit::usage,
                "cannot read the " + what + " file " + quote(path.string()) +
                    ": line " + std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
  if (!doc.IsMap()) {
    throw Error(Exit::usage,
                "the " + what + " file " + quote(path.string()) +
                    " must hold a mapping of names to values");
  }
  json out = json::object();
  flatten(doc, "", out);
  return out;
}

} // namespace mlake::lineage
