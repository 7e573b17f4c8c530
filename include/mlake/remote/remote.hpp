#pragma once

#include <mlake/lake/config.hpp>
#include <mlake/util/error.hpp>
#include <mlake/util/progress.hpp>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace mlake::remote {

namespace fs = std::filesystem;

// Bytes arrive in chunks; a sink must not keep the view.
using Sink = std::function<void(std::string_view)>;

struct ListedKey
{
  std::string key;
  std::uint64_t size = 0;
};

// Where a lake is shared: the same `objects/` and `nodes/` layout as
// `.mlake`, under keys such as "objects/ab/cdef..." and "nodes/<id>.json".
// Everything stored is immutable and named by its content, so put of a key
// that exists is a no-op and syncing is a set union: no locks.
//
// Implementations are safe to call from several threads at once. Errors
// are Error(Exit::remote) naming the remote (without credentials) and why;
// a missing key on get is Error(Exit::not_found).
class Remote
{
public:
  virtual ~Remote() = default;

  // The URL, as a user wrote it, without credentials.
  virtual std::string location() const = 0;

  // Check that the remote exists and can be reached (the folder, the
  // bucket); throws Error(Exit::remote) saying what is wrong. A folder
  // remote is made on first push (`for_push`), as rsync would.
  virtual void check(bool for_push) = 0;

  virtual bool exists(const std::string& key) = 0;

  // Stream the content of `key` to `sink`.
  virtual void get(const std::string& key, const Sink& sink) = 0;

  // Upload `size` bytes of the file `source` under `key`. Nothing is
  // visible under `key` until all of it is: an interrupted put leaves
  // nothing, or an invisible leftover, never a partial object. When
  // `expected_sha256` is given, content that does not hash to it (an
  // object damaged on this side) is refused: Error(Exit::integrity).
  virtual void put_file(const std::string& key,
                        const fs::path& source,
                        std::uint64_t size,
                        std::string_view expected_sha256,
                        util::Progress& progress) = 0;
  virtual void put_bytes(const std::string& key, std::string_view bytes) = 0;

  // Delete `key`, for a purge: the one change to the remote that is not a
  // set union. A key that is not there is not an error. Durable once
  // flush() returns.
  virtual void remove(const std::string& key) = 0;

  // Make everything put so far durable. Puts are not durable one by one (a
  // folder remote would sync each file); push flushes after the objects,
  // before it writes the nodes that name them.
  virtual void flush() = 0;

  // Every key under `prefix` ("objects/", "nodes/").
  virtual void list(const std::string& prefix,
                    const std::function<void(const ListedKey&)>& fn) = 0;
};

// The remote a configured URL names: a path or file:// URL (a folder), or
// s3://bucket[/prefix]. Throws Error(Exit::remote) for an unknown scheme.
std::unique_ptr<Remote> open_remote(const lake::RemoteConfig& config,
                                    const fs::path& base_dir);

// Check a URL the way `remote add` takes it; returns the URL as it will be
// stored (a relative path made absolute against `base_dir`). Throws
// Error(Exit::usage) naming what is wrong: an unknown scheme, credentials
// in the URL, a bucket name S3 would refuse.
std::string normalize_url(const std::string& url, const fs::path& base_dir);

// Check a remote's configuration as `remote add` and `clone` take it: the
// URL (normalised in place, see normalize_url), and options that only S3
// has, given for S3 only. Throws Error(Exit::usage) naming the problem.
void check_config(lake::RemoteConfig& config, const fs::path& base_dir);

// Error(Exit::integrity) for an object of this lake whose content hashes to
// `actual`, not to its name.
Error damaged_object(std::string_view expected, const std::string& actual);

std::unique_ptr<Remote> open_file_remote(const fs::path& root);
std::unique_ptr<Remote> open_s3_remote(const lake::RemoteConfig& config);

// Keys of the store layout.
std::string object_key(std::string_view hash);
std::string node_key(std::string_view id);
// The hash or id a listed key names; nullopt for anything else (a stray
// key is never trusted as a name).
std::optional<std::string> hash_of_object_key(std::string_view key);
std::optional<std::string> id_of_node_key(std::string_view key);

} // namespace mlake::remote
