#pragma once

// What purges erased, as the rest of the lake sees it. A purge node is the
// record: it names the versions it erased and the objects it removed. From
// it, fsck and gc stop expecting that content, push never sends it, a pull
// erases it from the lake that receives the node, checkout explains why it
// cannot restore it, and everything made from a purged version is tainted.

#include <mlake/index/index.hpp>
#include <mlake/util/json.hpp>

#include <cstdint>
#include <string>
#include <unordered_set>
#include <vector>

namespace mlake::lake {

class Lake;

// How Erasure and holders() name a version: artifact + '\n' + the node
// that recorded it.
std::string version_key(const std::string& artifact, const std::string& node);

struct Erasure
{
  // Every version a purge erased or took content from, oldest purge first.
  std::vector<index::PurgeRow> rows;
  // Those versions, by version_key.
  std::unordered_set<std::string> versions;
  // The content purges erased that no other version holds: tracking the
  // same bytes again after a purge makes them content the lake keeps.
  std::unordered_set<std::string> content;

  bool
  empty() const noexcept
  {
    return rows.empty();
  }
  bool purged(const std::string& artifact, const std::string& node) const;
  // The first purge that erased or took content from the version; nullptr
  // when none did.
  const index::PurgeRow* purge_of(const std::string& artifact,
                                  const std::string& node) const;
};

// The purged versions, from the index: all that taint needs. `content`
// stays empty.
Erasure load_purges(Lake& lake);
// The purged versions and the content erased: fsck, gc, push and pull need
// it. Costs a read of every stored folder's tree once anything was purged.
Erasure load_erasure(Lake& lake);

// The blobs of a stored version: its hash for a file, what its tree names
// for a folder (nothing when the tree is not here).
std::vector<std::string> content_of(Lake& lake, const index::VersionRow& v);

struct Holder
{
  index::VersionRow version;
  std::vector<std::string> hashes; // of those asked about, sorted
};

// The stored versions, other than those in `skip` (by version_key), whose
// content includes any of `hashes`.
std::vector<Holder> holders(Lake& lake,
                            const std::unordered_set<std::string>& hashes,
                            const std::unordered_set<std::string>& skip);

struct Erased
{
  std::uint64_t objects = 0;
  std::uint64_t bytes = 0;
  // Workspace files removed: unchanged copies of erased content. A file
  // changed since checkout is the user's, and stays.
  std::vector<std::string> workspace;
};

// Remove the erased content this lake still holds, in the object store and
// in the workspace. Needs the lock.
Erased erase_content(Lake& lake, const Erasure& erasure);

// The purges that taint what `node` recorded or did: those of versions it
// read, and of versions upstream of them. With `artifact`, the version of
// it that `node` recorded counts too (a purged version taints itself).
std::vector<index::PurgeRow> taint_of(index::Index& index,
                                      const Erasure& erasure,
                                      const std::string& artifact,
                                      const std::string& node);

// taint_of as show, card and audit print it: {"purged": whether the
// version itself was erased, "tainted": whether anything upstream was,
// "by": [{"ref", "artifact", "node", "role", "purge", "time", "user",
// "reason"}]}; both false and "by" empty when nothing taints it.
json taint_json(Lake& lake,
                const Erasure& erasure,
                const std::string& artifact,
                const std::string& node);

} // namespace mlake::lake
