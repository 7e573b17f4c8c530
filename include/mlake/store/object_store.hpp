#pragma once

#include <mlake/util/fs.hpp>
#include <mlake/util/progress.hpp>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace mlake::store {

namespace fs = std::filesystem;

struct StoredObject
{
  std::string hash;
  std::uint64_t size = 0;
  bool added = false; // false when the store already had this content
};

// The content-addressed object store under `.mlake/objects/`: blobs (file
// bytes) and trees (canonical JSON), each named by the SHA-256 of its bytes,
// read-only once written. A name never holds partial content: content is
// written under no name (or a temporary one) and linked into place.
// Large objects are synced as they are written; small ones are left for
// the caller to make durable in one batch (see take_unsynced) before it
// records a node that refers to them.
class ObjectStore
{
public:
  // `lake_dir` is the `.mlake` directory.
  explicit ObjectStore(const fs::path& lake_dir);

  fs::path path_of(std::string_view hash) const;
  bool contains(std::string_view hash) const;

  // Copy the regular file at `source` into the store, hashing while copying
  // (the file is read once). Reports copied bytes to `progress`.
  StoredObject put_file(const fs::path& source,
                        util::Progress& progress = util::no_progress()) const;
  // Store `bytes` (a tree, say); returns its hash.
  std::string put_bytes(std::string_view bytes) const;

  // Store content received from elsewhere that must hash to `expected`:
  // `produce` writes it, chunk by chunk, to the sink it is given. When the
  // bytes do not match, nothing is stored and Error(Exit::integrity)
  // names `what`. Like small objects, it is synced in the next batch.
  StoredObject receive(
      std::string_view expected,
      const std::string& what,
      const std::function<void(const std::function<void(std::string_view)>&)>&
          produce) const;

  // The whole content of an object; nullopt when the store lacks it.
  std::optional<std::string> read(std::string_view hash) const;

  // Re-hash the object's content; nullopt when it is missing, else whether
  // the content matches the name.
  std::optional<bool> verify(std::string_view hash) const;

  // Every object name in the store, in no particular order. Names that are
  // not 64 hex digits are reported to `on_stray` when given.
  void
  for_each(const std::function<void(const std::string&)>& fn,
           const std::function<void(const fs::path&)>& on_stray = {}) const;

  // How many objects were written, since the last call, without being synced
  // to disk; the count starts again from zero.
  std::uint64_t take_unsynced() const;

  // Remove an object; returns its size, or nullopt if it was not there.
  std::optional<std::uint64_t> remove(std::string_view hash) const;

  const fs::path&
  tmp_dir() const noexcept
  {
    return m_tmp;
  }
  const fs::path&
  objects_dir() const noexcept
  {
    return m_objects;
  }

private:
  class NewObject;

  fs::path m_objects;
  fs::path m_tmp;
  std::unique_ptr<std::atomic<std::uint64_t>> m_unsynced;
};

// Hash the file at `path` without storing it.
std::string hash_file(const fs::path& path);

} // namespace mlake::store
