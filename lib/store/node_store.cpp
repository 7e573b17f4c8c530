#include <mlake/store/node_store.hpp>
#include <mlake/util/error.hpp>
#include <mlake/util/hash.hpp>
#include <mlake/util/time.hpp>

#include <unistd.h>

namespace mlake::store {

NodeStore::NodeStore(const fs::path& lake_dir)
    : m_nodes(lake_dir / "nodes"), m_tmp(lake_dir / "tmp")
{}

fs::path
NodeStore::path_of(std::string_view id) const
{
  return m_nodes / (std::string(id) + ".json");
}

bool
NodeStore::contains(std::string_view id) const
{
  return ::access(path_of(id).c_str(), F_OK) == 0;
}

std::string
NodeStore::write(const json& node) const
{
  std::string bytes = util::canonical_json(node);
  std::string id = util::sha256_hex(bytes);
  util::AtomicFile file(m_tmp, "node", 0444);
  file.write(bytes);
  file.commit(path_of(id), util::AtomicFile::Sync::file_dir);
  return id;
}

void
NodeStore::write_verified(std::string_view id, std::string_view bytes) const
{
  if (util::sha256_hex(bytes) != id) {
    throw Error(Exit::integrity,
                "node " + std::string(id) + " does not match its content");
  }
  json node;
  try {
    node = json::parse(bytes);
  } catch (const json::parse_error& e) {
    throw Error(Exit::integrity,
                "node " + std::string(id) + " is not valid JSON: " + e.what());
  }
  if (auto problem = node_shape_problem(node)) {
    throw Error(Exit::integrity,
                "node " + std::string(id) + " is malformed: " + *problem);
  }
  util::AtomicFile file(m_tmp, "node", 0444);
  file.write(bytes);
  file.commit(path_of(id), util::AtomicFile::Sync::file_dir);
}

std::optional<std::string>
NodeStore::read_bytes(std::string_view id) const
{
  if (!util::is_sha256_hex(id)) {
    return std::nullopt;
  }
  return util::read_file_if_exists(path_of(id));
}

std::optional<json>
NodeStore::read(std::string_view id) const
{
  auto bytes = read_bytes(id);
  if (!bytes) {
    return std::nullopt;
  }
  try {
    return json::parse(*bytes);
  } catch (const json::parse_error& e) {
    throw Error(Exit::integrity,
                "node " + std::string(id) + " is not valid JSON: " + e.what(),
                "run 'mlake fsck' to check the lake");
  }
}

std::vector<std::string>
NodeStore::list(const std::function<void(const fs::path&)>& on_stray) const
{
  std::vector<std::string> ids;
  std::error_code ec;
  for (fs::directory_iterator it(m_nodes, ec), end; !ec && it != end;
       it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (name.size() == 69 && name.ends_with(".json") &&
        util::is_sha256_hex(std::string_view(name).substr(0, 64))) {
      ids.push_back(name.substr(0, 64));
    } else if (on_stray) {
      on_stray(it->path());
    }
  }
  if (ec) {
    throw Error(Exit::integrity,
                "cannot list " + quote(m_nodes.string()) + ": " + ec.message());
  }
  return ids;
}

namespace {

std::optional<std::string>
io_problem(const json& list, const char* field)
{
  if (!list.is_array()) {
    return std::string(field) + " is not a list";
  }
  for (const auto& item : list) {
    if (!item.is_object()) {
      return std::string(field) + " holds something that is not an object";
    }
    for (const char* key : {"artifact", "hash", "type", "path"}) {
      if (!item.contains(key) || !item[key].is_string()) {
        return std::string(field) + " entry lacks " + key;
      }
    }
    const std::string artifact = item["artifact"];
    if (artifact.empty()) {
      return std::string(field) + " entry has an empty artifact name";
    }
    if (!util::is_sha256_hex(item["hash"].get<std::string>())) {
      return std::string(field) + " entry for " + quote(artifact) +
             " has a bad hash";
    }
    const std::string type = item["type"];
    if (type != "file" && type != "dir") {
      return std::string(field) + " entry for " + quote(artifact) +
             " has unknown type " + quote(type);
    }
    if (!util::is_safe_relative_path(item["path"].get<std::string>())) {
      return std::string(field) + " entry for " + quote(artifact) +
             " has unsafe path " + quote(item["path"].get<std::string>());
    }
  }
  return std::nullopt;
}

} // namespace

std::optional<std::string>
node_shape_problem(const json& node)
{
  if (!node.is_object()) {
    return "not a JSON object";
  }
  for (const char* key : {"kind", "message"}) {
    if (!node.contains(key) || !node[key].is_string() ||
        node[key].get<std::string>().empty()) {
      return std::string("no ") + key;
    }
  }
  if (!node.contains("user") || !node["user"].is_object()) {
    return "no user";
  }
  if (!node.contains("time") || !node["time"].is_object()) {
    return "no time";
  }
  for (const char* key : {"start", "end"}) {
    util::Micros t;
    if (!node["time"].contains(key) || !node["time"][key].is_string() ||
        !util::parse_rfc3339(node["time"][key].get<std::string>(), t)) {
      return std::string("no valid time.") + key;
    }
  }
  if (!node.contains("parents") || !node["parents"].is_array()) {
    return "no parents list";
  }
  for (const auto& parent : node["parents"]) {
    if (!parent.is_string() ||
        !util::is_sha256_hex(parent.get<std::string>())) {
      return "a parent is not a node id";
    }
  }
  for (const char* key : {"inputs", "outputs"}) {
    if (!node.contains(key)) {
      return std::string("no ") + key;
    }
    if (auto problem = io_problem(node[key], key)) {
      return problem;
    }
  }
  if (node.contains("code")) {
    const auto& code = node["code"];
    if (!code.is_object()) {
      return "code is not an object";
    }
    if (code.contains("files")) {
      if (auto problem = io_problem(code["files"], "code.files")) {
        return problem;
      }
    }
  }
  return std::nullopt;
}

std::vector<std::string>
referenced_hashes(const json& node)
{
  std::vector<std::string> out;
  auto collect = [&](const json& list) {
    if (!list.is_array()) {
      return;
    }
    for (const auto& item : list) {
      if (item.is_object() && item.contains("hash") &&
          item["hash"].is_string() && item.value("stored", true) &&
          util::is_sha256_hex(item["hash"].get<std::string>())) {
        out.push_back(item["hash"].get<std::string>());
      }
    }
  };
  if (!node.is_object()) {
    return out;
  }
  for (const char* key : {"inputs", "outputs"}) {
    if (node.contains(key)) {
      collect(node[key]);
    }
  }
  if (node.contains("code") && node["code"].is_object() &&
      node["code"].contains("files")) {
    collect(node["code"]["files"]);
  }
  return out;
}

} // namespace mlake::store
