#include <mlake/lake/lake.hpp>
#include <mlake/lake/lock_file.hpp>
#include <mlake/lake/refs.hpp>
#include <mlake/util/error.hpp>
#include <mlake/util/hash.hpp>

#include <algorithm>
#include <set>

namespace mlake::lake {

std::optional<std::string>
find_artifact(Lake& lake, const std::string& text, const fs::path& cwd)
{
  if (text.empty()) {
    return std::nullopt;
  }
  auto& idx = lake.index();
  if (idx.artifact(text)) {
    return text;
  }
  fs::path abs = util::absolute_normal(cwd / text);
  if (!util::is_within(abs, lake.root()) || abs == lake.root()) {
    return std::nullopt;
  }
  std::string rel = util::relative_to(abs, lake.root());
  if (auto name = idx.artifact_at_path(rel)) {
    return name;
  }
  if (idx.artifact(rel)) {
    return rel;
  }
  return std::nullopt;
}

namespace {

bool
all_digits(const std::string& text)
{
  return !text.empty() &&
         std::all_of(text.begin(), text.end(), [](unsigned char c) {
           return std::isdigit(c);
         });
}

index::VersionRow
pick_version(const std::string& artifact,
             const std::vector<index::VersionRow>& versions,
             const std::string& spec)
{
  if (versions.empty()) {
    throw Error(Exit::not_found,
                "artifact " + quote(artifact) + " has no versions");
  }
  if (spec.empty() || spec == "latest") {
    return versions.back();
  }
  if (all_digits(spec)) {
    std::size_t n = spec.size() > 9 ? 0 : std::stoul(spec);
    if (n >= 1 && n <= versions.size()) {
      return versions[n - 1];
    }
    // Seven digits or more may still be a hash prefix made of digits.
    if (spec.size() < 7) {
      throw Error(Exit::not_found,
                  "no version " + spec + " of " + quote(artifact) +
                      " (it has " + std::to_string(versions.size()) + ")",
                  "run 'mlake show " + artifact + "' to list its versions");
    }
  }
  if (spec.size() >= 7 && util::is_hex(spec)) {
    // Content hash first: it is what a user sees in mlake.lock and list.
    std::set<std::string> hashes;
    const index::VersionRow* by_hash = nullptr;
    for (const auto& v : versions) {
      if (v.hash.starts_with(spec)) {
        hashes.insert(v.hash);
        by_hash = &v; // the latest version with this content
      }
    }
    if (hashes.size() == 1) {
      return *by_hash;
    }
    if (hashes.size() > 1) {
      throw Error(Exit::usage,
                  "hash prefix " + quote(spec) + " of " + quote(artifact) +
                      " is ambiguous",
                  "give more digits");
    }
    for (const auto& v : versions) {
      if (v.node.starts_with(spec)) {
        return v;
      }
    }
  }
  throw Error(Exit::not_found,
              "no version " + quote(spec) + " of " + quote(artifact),
              "versions are N (1, 2, ...), 'latest', an alias set by 'mlake "
              "promote', or a hash prefix; run 'mlake show " +
                  artifact + "' to list them");
}

} // namespace

Error
unknown_name(Lake& lake,
             const std::string& text,
             const fs::path& cwd,
             const std::string& what)
{
  // "data/images/1.bin@2" names a path, then a version.
  std::string name = text;
  if (auto at = name.rfind('@');
      at != std::string::npos && at > 0 && !util::lstat_path(cwd / name)) {
    name.resize(at);
  }
  fs::path abs = util::absolute_normal(cwd / name);
  if (!name.empty() && util::is_within(abs, lake.root()) &&
      abs != lake.root() && util::lstat_path(abs)) {
    std::string rel = util::relative_to(abs, lake.root());
    LockFile lock = LockFile::load(lake.root());
    if (auto covering = lock.covering(rel);
        covering && covering->first != rel) {
      return Error(Exit::not_found,
                   quote(rel) + " is a file inside the tracked folder " +
                       quote(covering->first) + " (artifact " +
                       quote(covering->second.artifact) + ")",
                   "folders are versioned whole: use '" +
                       covering->second.artifact + "' instead");
    }
  }
  return Error(Exit::not_found,
               "no " + what + " named " + quote(text),
               "run 'mlake list' for artifacts, 'mlake log' for nodes");
}

std::string
require_artifact(Lake& lake, const std::string& text, const fs::path& cwd)
{
  if (auto name = find_artifact(lake, text, cwd)) {
    return *name;
  }
  throw unknown_name(lake, text, cwd, "artifact");
}

index::VersionRow
resolve_version(Lake& lake, const std::string& text, const fs::path& cwd)
{
  if (auto name = find_artifact(lake, text, cwd)) {
    return pick_version(*name, lake.index().versions(*name), "");
  }
  auto at = text.rfind('@');
  if (at != std::string::npos && at > 0) {
    std::string base = text.substr(0, at);
    if (auto name = find_artifact(lake, base, cwd)) {
      const std::string spec = text.substr(at + 1);
      auto versions = lake.index().versions(*name);
      // An alias a promotion set (production, staging, ...) before any
      // other reading: it may look like a hash prefix ("deadbeef").
      if (spec != "latest" && !all_digits(spec)) {
        if (auto target = lake.index().alias_target(*name, spec)) {
          for (const auto& v : versions) {
            if (v.node == *target) {
              return v;
            }
          }
        }
      }
      return pick_version(*name, versions, spec);
    }
  }
  throw unknown_name(lake, text, cwd, "artifact");
}

Resolved
resolve_ref(Lake& lake, const std::string& text, const fs::path& cwd)
{
  Resolved out;
  if (auto name = find_artifact(lake, text, cwd)) {
    out.kind = Resolved::Kind::artifact;
    out.artifact = *name;
    return out;
  }
  auto at = text.rfind('@');
  if (at != std::string::npos && at > 0) {
    if (find_artifact(lake, text.substr(0, at), cwd)) {
      out.kind = Resolved::Kind::version;
      out.version = resolve_version(lake, text, cwd);
      out.artifact = out.version->artifact;
      return out;
    }
  }
  if (text.size() >= 4 && text.size() <= 64 && util::is_hex(text)) {
    auto ids = lake.index().nodes_with_prefix(text, 2);
    if (ids.size() == 1) {
      out.kind = Resolved::Kind::node;
      out.node = ids.front();
      return out;
    }
    if (ids.size() > 1) {
      throw Error(Exit::usage,
                  "node prefix " + quote(text) + " is ambiguous",
                  "give more digits");
    }
  }
  throw unknown_name(lake, text, cwd, "artifact, version or node");
}

} // namespace mlake::lake
