#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mlake::lake {

// Artifact kinds and security levels mlake knows, in order.
const std::vector<std::string>& artifact_kinds();
const std::vector<std::string>& security_levels();

// The rank of a security level (public 0 ... restricted 3); nullopt when
// `level` is not one.
std::optional<int> security_rank(std::string_view level);

// The kind a new artifact gets when the user names none: folders are
// datasets; files by extension (.csv dataset, .pt model, .py code, ...).
std::string infer_kind(std::string_view path, bool is_dir);

// Throw Error(Exit::usage) when `value` is not one of `allowed`, naming
// the option and the allowed values.
void check_choice(const std::string& option,
                  const std::string& value,
                  const std::vector<std::string>& allowed);

// Throw Error(Exit::usage) unless `message` says something: every node
// records why it was made.
void check_message(const std::string& message);

// Throw Error(Exit::usage) unless `tag` is one word (no spaces or commas).
void check_tag(const std::string& tag);

// Throw Error(Exit::usage) when `name` cannot be an artifact name: empty,
// starting with '-', ending with '@', or holding control characters.
void check_artifact_name(const std::string& name);

} // namespace mlake::lake
