#pragma once

#include <mlake/store/materialize.hpp>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace mlake::lake {

namespace fs = std::filesystem;

struct Identity
{
  std::string name;
  std::string email;
};

// A remote under `remotes:` in config.yaml. Credentials never live here:
// they come from the environment or ~/.aws (see mlake-remote(1)).
struct RemoteConfig
{
  std::string name;
  std::string url; // a path, file:///path or s3://bucket/prefix
  // S3 only.
  std::optional<std::string> endpoint; // http(s)://host[:port]
  std::optional<std::string> region;
  std::optional<bool> path_style;
  std::optional<std::uint64_t> part_size; // bytes per multipart part
};

// `.mlake/config.yaml`.
struct Config
{
  Identity user;
  store::LinkMode link = store::LinkMode::copy;
  // Environment variables a run records (secrets redacted).
  std::vector<std::string> env;
  // CSV/TSV files up to this size get metafeatures when added (0: none).
  std::uint64_t metafeatures_max_bytes = 256ull << 20;
  std::vector<RemoteConfig> remotes; // in the order they were added
  std::string default_remote;        // empty: none chosen

  // The remote called `name`; nullptr when there is none.
  const RemoteConfig* find_remote(const std::string& name) const;

  // Whether a CSV/TSV file of `size` bytes gets metafeatures: none at all
  // when the limit is 0.
  bool wants_metafeatures(std::uint64_t size) const;

  // Read and validate the file; throws Error(Exit::usage) naming the file,
  // the line and the problem when it is malformed or names an unknown key.
  static Config load(const fs::path& path);
  // Write atomically.
  void save(const fs::path& path) const;
};

// Letters, digits, '.', '_' and '-', not starting with '-' or '.'.
bool valid_remote_name(const std::string& name);

// Who is making a change: MLAKE_USER_NAME / MLAKE_USER_EMAIL when set, else
// `fallback` (the lake's config).
Identity current_identity(const Identity& fallback);

// Who a new lake belongs to: MLAKE_USER_NAME / MLAKE_USER_EMAIL, else git's
// user.name / user.email (of the repository around `dir`, then global),
// else the login name at the host name.
Identity discover_identity(const fs::path& dir);

std::string host_name();

} // namespace mlake::lake
