#pragma once

#include <mlake/index/index.hpp>
#include <mlake/util/error.hpp>

#include <filesystem>
#include <optional>
#include <string>

namespace mlake::lake {

namespace fs = std::filesystem;

class Lake;

// The artifact that `text` names: an artifact name, or a path (relative to
// `cwd`) where an artifact lives. nullopt when neither.
std::optional<std::string>
find_artifact(Lake& lake, const std::string& text, const fs::path& cwd);

// The artifact `text` names, as find_artifact; throws Error(Exit::not_found)
// saying what is missing, or that `text` is a file inside a tracked folder.
std::string
require_artifact(Lake& lake, const std::string& text, const fs::path& cwd);

// The error for a name that names nothing (an artifact, a version: `what`
// says which was expected), naming the tracked folder when `text` is a file
// inside one.
Error unknown_name(Lake& lake,
                   const std::string& text,
                   const fs::path& cwd,
                   const std::string& what);

// The version `text` names: NAME (the latest), NAME@N (the Nth, counting
// from 1 in time order), NAME@latest, NAME@ALIAS (where `mlake promote`
// pointed ALIAS last), NAME@<7+ hex digits> (a prefix of the content hash
// or of the recording node's id). NAME may be a path. Throws
// Error(Exit::not_found) saying what is missing.
index::VersionRow
resolve_version(Lake& lake, const std::string& text, const fs::path& cwd);

// What `text` names, for commands that take any reference.
struct Resolved
{
  enum class Kind
  {
    artifact,
    version,
    node,
  };
  Kind kind = Kind::artifact;
  std::string artifact;
  std::optional<index::VersionRow> version;
  std::string node;
};

// An artifact (bare name or path), a version (NAME@VER), or a node (4 or
// more hex digits of its id). Throws Error(Exit::not_found), or
// Error(Exit::usage) for an ambiguous node prefix.
Resolved resolve_ref(Lake& lake, const std::string& text, const fs::path& cwd);

} // namespace mlake::lake
