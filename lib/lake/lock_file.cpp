#include <mlake/lake/lock_file.hpp>
#include <mlake/util/error.hpp>
#include <mlake/util/fs.hpp>
#include <mlake/util/hash.hpp>

#include <yaml-cpp/yaml.h>

namespace mlake::lake {

fs::path
lock_file_path(const fs::path& root)
{
  return root / "mlake.lock";
}

namespace {

Error
lock_error(const YAML::Mark& mark, const std::string& what)
{
  std::string where = "'mlake.lock'";
  if (!mark.is_null()) {
    where += ": line " + std::to_string(mark.line + 1);
  }
  return Error(Exit::usage,
               "cannot read " + where + ": " + what,
               "fix the file, or restore it with 'git checkout mlake.lock'");
}

// A field's value converted to T; a value of the wrong kind is an error
// naming its line, a missing one gives `fallback`.
template <typename T>
T
field(const YAML::Node& entry,
      const char* key,
      const std::string& path,
      const T& fallback)
{
  const YAML::Node& value = entry[key];
  if (!value || value.IsNull()) {
    return fallback;
  }
  try {
    if (!value.IsScalar()) {
      throw YAML::Exception(value.Mark(), "");
    }
    return value.as<T>();
  } catch (const YAML::Exception&) {
    throw lock_error(value.Mark(),
                     "entry " + quote(path) + " has a malformed " + key);
  }
}

} // namespace

LockFile
LockFile::load(const fs::path& root)
{
  LockFile lock;
  auto text = util::read_file_if_exists(lock_file_path(root));
  if (!text) {
    return lock;
  }
  YAML::Node doc;
  try {
    doc = YAML::Load(*text);
  } catch (const YAML::Exception& e) {
    throw lock_error(e.mark, e.msg);
  }
  if (doc.IsNull()) {
    return lock;
  }
  if (!doc.IsMap()) {
    throw lock_error(doc.Mark(), "the file must be a mapping");
  }
  if (doc["version"] && doc["version"].as<std::string>("") != "1") {
    throw lock_error(doc["version"].Mark(), "unsupported lock file version");
  }
  YAML::Node paths = doc["paths"];
  if (!paths) {
    return lock;
  }
  if (!paths.IsMap()) {
    throw lock_error(paths.Mark(), "'paths' must be a mapping");
  }
  try {
    for (const auto& item : paths) {
      std::string path = item.first.as<std::string>();
      const YAML::Node& e = item.second;
      if (!util::is_safe_relative_path(path)) {
        throw lock_error(item.first.Mark(),
                         "unsafe path " + quote(path) +
                             " (paths must be relative, without '..')");
      }
      if (!e.IsMap() || !e["artifact"] || !e["hash"] || !e["type"]) {
        throw lock_error(e.Mark(),
                         "entry " + quote(path) +
                             " needs artifact, type and hash");
      }
      LockEntry entry;
      entry.artifact = field<std::string>(e, "artifact", path, "");
      entry.kind = field<std::string>(e, "kind", path, "other");
      entry.type = field<std::string>(e, "type", path, "");
      entry.size = field<std::uint64_t>(e, "size", path, 0);
      entry.files =
          field<std::uint64_t>(e, "files", path, entry.type == "file" ? 1 : 0);
      entry.exec = field<bool>(e, "exec", path, false);
      entry.hash = field<std::string>(e, "hash", path, "");
      entry.node = field<std::string>(e, "node", path, "");
      if (!util::is_sha256_hex(entry.hash)) {
        throw lock_error(e["hash"].Mark(),
                         "entry " + quote(path) + " has a malformed hash");
      }
      if (entry.type != "file" && entry.type != "dir") {
        throw lock_error(e["type"].Mark(),
                         "entry " + quote(path) + " has unknown type " +
                             quote(entry.type));
      }
      auto mark = item.first.Mark();
      if (!lock.entries.emplace(path, std::move(entry)).second) {
        throw lock_error(mark, "path " + quote(path) + " is listed twice");
      }
    }
  } catch (const YAML::Exception& e) {
    throw lock_error(e.mark, e.msg);
  }
  return lock;
}

void
LockFile::save(const fs::path& root) const
{
  YAML::Emitter out;
  out << YAML::BeginMap;
  out << YAML::Key << "version" << YAML::Value << 1;
  out << YAML::Key << "paths" << YAML::Value << YAML::BeginMap;
  for (const auto& [path, e] : entries) {
    out << YAML::Key << path << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "artifact" << YAML::Value << e.artifact;
    out << YAML::Key << "kind" << YAML::Value << e.kind;
    out << YAML::Key << "type" << YAML::Value << e.type;
    out << YAML::Key << "size" << YAML::Value << e.size;
    if (e.type == "dir") {
      out << YAML::Key << "files" << YAML::Value << e.files;
    }
    if (e.exec) {
      out << YAML::Key << "exec" << YAML::Value << true;
    }
    out << YAML::Key << "hash" << YAML::Value << e.hash;
    if (!e.node.empty()) {
      out << YAML::Key << "node" << YAML::Value << e.node;
    }
    out << YAML::EndMap;
  }
  out << YAML::EndMap;
  out << YAML::EndMap;
  std::string text =
      "# mlake.lock: the version of each tracked path. Written by mlake;\n"
      "# commit it with your code so 'mlake checkout' can restore the data.\n";
  text += out.c_str();
  text += "\n";
  // The temporary goes where gc cleans up after an interrupted write.
  fs::path tmp = root / ".mlake" / "tmp";
  util::write_file_atomic(lock_file_path(root),
                          text,
                          util::AtomicFile::Sync::file_dir,
                          util::stat_path(tmp) ? tmp : root);
}

const std::pair<const std::string, LockEntry>*
LockFile::covering(const std::string& path) const
{
  // The covering entry is `path` itself or one of its parent folders.
  std::string candidate = path;
  for (;;) {
    auto it = entries.find(candidate);
    if (it != entries.end()) {
      return &*it;
    }
    auto slash = candidate.rfind('/');
    if (slash == std::string::npos) {
      return nullptr;
    }
    candidate.resize(slash);
  }
}

} // namespace mlake::lake
