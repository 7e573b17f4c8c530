#include <mlake/store/tree.hpp>
#include <mlake/util/error.hpp>
#include <mlake/util/fs.hpp>
#include <mlake/util/hash.hpp>
#include <mlake/util/json.hpp>

#include <algorithm>
#include <unordered_set>

namespace mlake::store {

std::uint64_t
Tree::total_size() const
{
  std::uint64_t total = 0;
  for (const auto& entry : entries) {
    total += entry.size;
  }
  return total;
}

const TreeEntry*
Tree::find(std::string_view path) const
{
  auto it = std::lower_bound(
      entries.begin(), entries.end(), path, [](const TreeEntry& e, auto p) {
        return e.path < p;
      });
  return it != entries.end() && it->path == path ? &*it : nullptr;
}

void
sort_tree(Tree& tree)
{
  std::sort(
      tree.entries.begin(),
      tree.entries.end(),
      [](const TreeEntry& a, const TreeEntry& b) { return a.path < b.path; });
  auto dup = std::adjacent_find(
      tree.entries.begin(),
      tree.entries.end(),
      [](const TreeEntry& a, const TreeEntry& b) { return a.path == b.path; });
  if (dup != tree.entries.end()) {
    throw Error(Exit::usage, "duplicate path " + quote(dup->path) + " in tree");
  }
}

std::string
serialize_tree(const Tree& tree)
{
  // Written by hand rather than through nlohmann::json: trees can hold a
  // million entries and this is on the path of every add and status.
  std::string out;
  out.reserve(32 + tree.entries.size() * 140);
  out += "{\"entries\":[";
  bool first = true;
  for (const auto& entry : tree.entries) {
    if (!first) {
      out.push_back(',');
    }
    first = false;
    out += "{\"exec\":";
    out += entry.exec ? "true" : "false";
    out += ",\"hash\":\"";
    out += entry.hash;
    out += "\",\"path\":";
    util::append_json_string(out, entry.path);
    out += ",\"size\":";
    out += std::to_string(entry.size);
    out.push_back('}');
  }
  out += "],\"type\":\"tree\"}";
  return out;
}

Tree
parse_tree(std::string_view bytes, const std::string& what)
{
  auto fail = [&](const std::string& why) {
    return Error(Exit::integrity, "malformed tree " + what + ": " + why);
  };
  json doc;
  try {
    doc = json::parse(bytes);
  } catch (const json::parse_error& e) {
    throw fail(e.what());
  }
  if (!doc.is_object() || doc.value("type", "") != "tree" ||
      !doc.contains("entries") || !doc["entries"].is_array()) {
    throw fail("not a tree object");
  }
  Tree tree;
  tree.entries.reserve(doc["entries"].size());
  for (const auto& item : doc["entries"]) {
    if (!item.is_object() || !item.contains("path") ||
        !item["path"].is_string() || !item.contains("hash") ||
        !item["hash"].is_string() || !item.contains("size") ||
        !item["size"].is_number_unsigned() || !item.contains("exec") ||
        !item["exec"].is_boolean()) {
      throw fail("an entry lacks path, hash, size or exec");
    }
    TreeEntry entry;
    entry.path = item["path"].get<std::string>();
    entry.hash = item["hash"].get<std::string>();
    entry.size = item["size"].get<std::uint64_t>();
    entry.exec = item["exec"].get<bool>();
    if (!util::is_safe_relative_path(entry.path)) {
      throw fail("unsafe path " + quote(entry.path));
    }
    if (!util::is_sha256_hex(entry.hash)) {
      throw fail("bad hash for " + quote(entry.path));
    }
    if (!tree.entries.empty() && !(tree.entries.back().path < entry.path)) {
      throw fail("entries not sorted or not unique at " + quote(entry.path));
    }
    tree.entries.push_back(std::move(entry));
  }
  // A file may not also be a folder of another entry ("a" and "a/b"): such
  // a tree cannot come from a real directory and cannot be checked out.
  std::unordered_set<std::string_view> folders;
  for (const auto& entry : tree.entries) {
    std::string_view path = entry.path;
    for (auto slash = path.find('/'); slash != std::string_view::npos;
         slash = path.find('/', slash + 1)) {
      folders.insert(path.substr(0, slash));
    }
  }
  for (const auto& entry : tree.entries) {
    if (folders.count(entry.path)) {
      throw fail(quote(entry.path) + " is both a file and a folder");
    }
  }
  return tree;
}

} // namespace mlake::store
