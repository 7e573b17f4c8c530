#pragma once

#include <mlake/store/object_store.hpp>

#include <string>
#include <string_view>

namespace mlake::store {

// How content comes back into the workspace.
enum class LinkMode
{
  copy,     // a reflink where the filesystem has them, else a full copy
  hardlink, // a read-only hard link to the object (copy when impossible)
  symlink,  // a symbolic link to the object
};

// Parse "copy", "reflink", "hardlink" or "symlink"; nullopt otherwise.
std::optional<LinkMode> parse_link_mode(std::string_view text);
std::string to_string(LinkMode mode);

// Put the object `hash` at `dest`, replacing whatever file is there in one
// rename, so that a reader of `dest` sees the old or the new content, never
// a mix. `exec` makes the file executable (within the umask). Throws
// Error(Exit::not_found) when the store lacks the object.
void materialize(const ObjectStore& store,
                 std::string_view hash,
                 const fs::path& dest,
                 LinkMode mode,
                 bool exec);

// The permission bits mlake gives a new workspace file.
unsigned workspace_file_mode(bool exec);

} // namespace mlake::store
