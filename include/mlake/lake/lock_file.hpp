#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>

namespace mlake::lake {

namespace fs = std::filesystem;

// One tracked path in mlake.lock: the version the workspace should hold.
struct LockEntry
{
  std::string artifact;
  std::string kind;
  std::string type; // "file" or "dir"
  std::uint64_t size = 0;
  std::uint64_t files = 0;
  bool exec = false; // for a file: its executable bit
  std::string hash;
  std::string node; // the node that recorded this version

  bool operator==(const LockEntry&) const = default;
};

// `mlake.lock` at the project root: YAML, meant to be committed to git, so
// that checking out an old commit and running `mlake checkout` brings back
// that commit's data. Keys are project-relative paths.
struct LockFile
{
  std::map<std::string, LockEntry> entries;

  // An absent file is an empty lock; a malformed one throws
  // Error(Exit::usage) naming the line.
  static LockFile load(const fs::path& root);
  // Write atomically.
  void save(const fs::path& root) const;

  // The entry whose path is `path` or a folder containing it.
  const std::pair<const std::string, LockEntry>*
  covering(const std::string& path) const;
};

fs::path lock_file_path(const fs::path& root);

} // namespace mlake::lake
