#pragma once

#include <mlake/util/json.hpp>

#include <filesystem>
#include <string>
#include <utility>

namespace mlake::lineage {

namespace fs = std::filesystem;

// "KEY=VALUE" as a parameter: numbers and true/false keep their type,
// anything else is a string. Throws Error(Exit::usage) without a '=' or
// with an empty key.
std::pair<std::string, json> parse_param(const std::string& text);

// A scalar written in YAML, typed as parse_param types values.
json typed_scalar(const std::string& text);

// The values of a YAML or JSON file (params, metrics), nested keys
// flattened with dots ({"model": {"lr": 0.1}} gives "model.lr": 0.1, list
// items get their index). Throws Error(Exit::not_found) when the file is
// missing and Error(Exit::usage) naming `what`, the file and the line when
// it does not parse or is not a mapping.
json read_flat_values(const fs::path& path, const std::string& what);

} // namespace mlake::lineage
