#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace mlake::store {

struct TreeEntry
{
  std::string path; // relative to the tree's root, '/'-separated
  std::uint64_t size = 0;
  bool exec = false;
  std::string hash; // the blob's SHA-256

  bool operator==(const TreeEntry&) const = default;
};

// The manifest of a directory: one entry per regular file, sorted bytewise
// by path. A 1M-file dataset is one tree object.
struct Tree
{
  std::vector<TreeEntry> entries;

  std::uint64_t total_size() const;
  // The entry for `path`, or nullptr.
  const TreeEntry* find(std::string_view path) const;
};

// Sort the entries into the canonical order and reject duplicates.
void sort_tree(Tree& tree);

// Canonical JSON: {"entries":[{"exec":..,"hash":..,"path":..,"size":..}],
// "type":"tree"}. The entries must already be sorted.
std::string serialize_tree(const Tree& tree);

// Parse and validate a tree object: every path relative and free of '..',
// sorted, unique; every hash 64 hex digits. Throws Error(Exit::integrity)
// naming `what` when the bytes are not a valid tree.
Tree parse_tree(std::string_view bytes, const std::string& what);

} // namespace mlake::store
