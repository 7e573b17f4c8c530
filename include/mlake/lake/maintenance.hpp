#pragma once

#include <mlake/util/progress.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace mlake::lake {

class Lake;

struct Fault
{
  std::string kind;   // "object", "node", "tree", "parent", "reference", ...
  std::string target; // the object hash, node id or path at fault
  std::string message;
};

struct FsckReport
{
  std::uint64_t objects = 0;
  std::uint64_t nodes = 0;
  std::uint64_t bytes = 0;
  std::vector<Fault> faults;      // any makes the lake unsound (exit 13)
  std::uint64_t unreferenced = 0; // objects no node names: gc removes them
  std::uint64_t temporary = 0;    // leftovers of interrupted writes
  // Objects the history names that were fetched as metadata only: on a
  // remote, not here (see absent.hpp). Not a fault.
  std::uint64_t not_downloaded = 0;
  // Objects a purge erased: gone, as the history records. Not a fault.
  std::uint64_t purged = 0;
  // Erased by a purge but still stored (the purge was interrupted): gc
  // removes them. Not a fault.
  std::uint64_t purged_stored = 0;
  std::vector<std::string> heads;
};

// Check everything: re-hash every object; check every node's id against its
// bytes, its shape, and that its parents exist; check that every object a
// node names (and every blob its trees name) exists; check that the index
// holds every node and nothing else.
FsckReport fsck(Lake& lake, util::Progress& progress = util::no_progress());

struct GcReport
{
  std::vector<std::string> removed; // object hashes (or would be, dry run)
  std::uint64_t bytes = 0;
  std::uint64_t temporary = 0;
  bool dry_run = false;
};

// Remove objects no node refers to, content a purge erased, and temporary
// files left by interrupted work. Takes the lock, so it never races a writer.
GcReport
gc(Lake& lake, bool dry_run, util::Progress& progress = util::no_progress());

} // namespace mlake::lake
