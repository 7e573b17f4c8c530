#pragma once

#include <string>
#include <unordered_set>
#include <vector>

namespace mlake::lake {

class Lake;

// Content the history names but this lake chose not to download: a fetch,
// or a pull of some artifacts only, takes a remote's nodes without all of
// their objects. `.mlake/absent` lists those hashes, so that fsck can tell
// content not downloaded yet from content lost. It is written before the
// nodes that name the content, and trimmed once the content arrives.
std::unordered_set<std::string> load_absent(const Lake& lake);

// Append `hashes` durably (fsync) to the list.
void add_absent(const Lake& lake, const std::vector<std::string>& hashes);

// Drop from the list what the object store now holds. Needs the lock.
void trim_absent(const Lake& lake);

} // namespace mlake::lake
