#include <mlake/lake/config.hpp>
#include <mlake/util/error.hpp>
#include <mlake/util/fs.hpp>
#include <mlake/util/libgit2.hpp>

#include <yaml-cpp/yaml.h>

#include <unistd.h>

#include <cstdlib>
#include <set>

namespace mlake::lake {

namespace {

Error
config_error(const fs::path& path,
             const YAML::Mark& mark,
             const std::string& what)
{
  std::string where = quote(path.string());
  if (!mark.is_null()) {
    where += ": line " + std::to_string(mark.line + 1);
  }
  return Error(Exit::usage,
               "cannot read " + where + ": " + what,
               "fix the file; CONFIGURATION in mlake(1) lists the keys");
}

std::string
scalar(const YAML::Node& node, const fs::path& path, const std::string& key)
{
  if (!node.IsScalar()) {
    throw config_error(path, node.Mark(), quote(key) + " must be a string");
  }
  return node.as<std::string>();
}

std::uint64_t
byte_count(const YAML::Node& node, const fs::path& path, const std::string& key)
{
  try {
    if (node.IsScalar()) {
      return node.as<std::uint64_t>();
    }
  } catch (const YAML::Exception&) {
  }
  throw config_error(
      path, node.Mark(), quote(key) + " must be a number of bytes");
}

RemoteConfig
read_remote(const std::string& name,
            const YAML::Node& value,
            const fs::path& path)
{
  if (!valid_remote_name(name)) {
    throw config_error(path,
                       value.Mark(),
                       "bad remote name " + quote(name) +
                           " (use letters, digits, '.', '_' and '-')");
  }
  if (!value.IsMap()) {
    throw config_error(
        path, value.Mark(), "remote " + quote(name) + " must be a mapping");
  }
  RemoteConfig remote;
  remote.name = name;
  std::set<std::string> fields;
  for (const auto& field : value) {
    const std::string key = field.first.as<std::string>();
    const std::string full = "remotes." + name + "." + key;
    if (!fields.insert(key).second) {
      throw config_error(
          path, field.first.Mark(), "duplicate key " + quote(full));
    }
    if (key == "url") {
      remote.url = scalar(field.second, path, full);
    } else if (key == "endpoint") {
      remote.endpoint = scalar(field.second, path, full);
      // Never echoed: it would show the secret.
      const auto& text = *remote.endpoint;
      auto authority = text.find("://");
      auto end =
          text.find('/', authority == std::string::npos ? 0 : authority + 3);
      if (text.substr(0, end).find('@') != std::string::npos) {
        throw config_error(path,
                           field.second.Mark(),
                           quote(full) + " holds credentials; remove them "
                                         "and set AWS_ACCESS_KEY_ID and "
                                         "AWS_SECRET_ACCESS_KEY instead");
      }
    } else if (key == "region") {
      remote.region = scalar(field.second, path, full);
    } else if (key == "path-style") {
      std::string flag = scalar(field.second, path, full);
      if (flag != "true" && flag != "false") {
        throw config_error(
            path, field.second.Mark(), quote(full) + " must be true or false");
      }
      remote.path_style = flag == "true";
    } else if (key == "part-size") {
      remote.part_size = byte_count(field.second, path, full);
      if (*remote.part_size < (5ull << 20)) {
        throw config_error(path,
                           field.second.Mark(),
                           quote(full) + " must be at least 5 MiB (5242880), "
                                         "the smallest part S3 accepts");
      }
    } else {
      throw config_error(
          path, field.first.Mark(), "unknown key " + quote(full));
    }
  }
  if (remote.url.empty()) {
    throw config_error(
        path, value.Mark(), "remote " + quote(name) + " has no 'url'");
  }
  return remote;
}

} // namespace

bool
valid_remote_name(const std::string& name)
{
  if (name.empty() || name.size() > 100 || name[0] == '-' || name[0] == '.') {
    return false;
  }
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    if (!ok) {
      return false;
    }
  }
  return true;
}

const RemoteConfig*
Config::find_remote(const std::string& name) const
{
  for (const auto& remote : remotes) {
    if (remote.name == name) {
      return &remote;
    }
  }
  return nullptr;
}

Config
Config::load(const fs::path& path)
{
  auto text = util::read_file_if_exists(path);
  if (!text) {
    throw Error(Exit::not_a_lake,
                "the lake has no " + quote(path.string()),
                "the .mlake folder is damaged; restore config.yaml or run "
                "'mlake init' in a new folder");
  }
  YAML::Node root;
  try {
    root = YAML::Load(*text);
  } catch (const YAML::Exception& e) {
    throw config_error(path, e.mark, e.msg);
  }
  Config config;
  std::set<std::string> seen;
  if (root.IsNull()) {
    return config;
  }
  if (!root.IsMap()) {
    throw config_error(path, root.Mark(), "the file must be a mapping");
  }
  for (const auto& item : root) {
    const std::string key = item.first.as<std::string>();
    const YAML::Node& value = item.second;
    if (!seen.insert(key).second) {
      throw config_error(
          path, item.first.Mark(), "duplicate key " + quote(key));
    }
    if (key == "version") {
      if (scalar(value, path, key) != "1") {
        throw config_error(path,
                           value.Mark(),
                           "unsupported config version " +
                               quote(value.as<std::string>()));
      }
    } else if (key == "user") {
      if (!value.IsMap()) {
        throw config_error(path, value.Mark(), "'user' must be a mapping");
      }
      std::set<std::string> fields;
      for (const auto& field : value) {
        const std::string name = field.first.as<std::string>();
        if (!fields.insert(name).second) {
          throw config_error(path,
                             field.first.Mark(),
                             "duplicate key " + quote("user." + name));
        }
        if (name == "name") {
          config.user.name = scalar(field.second, path, "user.name");
        } else if (name == "email") {
          config.user.email = scalar(field.second, path, "user.email");
        } else {
          throw config_error(
              path, field.first.Mark(), "unknown key " + quote("user." + name));
        }
      }
    } else if (key == "metafeatures_max_bytes") {
      config.metafeatures_max_bytes = byte_count(value, path, key);
    } else if (key == "remotes") {
      if (!value.IsMap()) {
        throw config_error(path, value.Mark(), "'remotes' must be a mapping");
      }
      for (const auto& remote : value) {
        std::string name = remote.first.as<std::string>();
        if (config.find_remote(name)) {
          throw config_error(
              path, remote.first.Mark(), "duplicate remote " + quote(name));
        }
        config.remotes.push_back(read_remote(name, remote.second, path));
      }
    } else if (key == "default_remote") {
      config.default_remote = scalar(value, path, key);
    } else if (key == "env") {
      if (!value.IsSequence()) {
        throw config_error(
            path, value.Mark(), "'env' must be a list of variable names");
      }
      for (const auto& name : value) {
        config.env.push_back(scalar(name, path, "env"));
      }
    } else if (key == "link") {
      std::string mode = scalar(value, path, key);
      auto parsed = store::parse_link_mode(mode);
      if (!parsed) {
        throw config_error(path,
                           value.Mark(),
                           "unknown link mode " + quote(mode) +
                               " (use copy, reflink, hardlink or symlink)");
      }
      config.link = *parsed;
    } else {
      throw config_error(path, item.first.Mark(), "unknown key " + quote(key));
    }
  }
  if (!config.default_remote.empty() &&
      !config.find_remote(config.default_remote)) {
    throw config_error(path,
                       root["default_remote"].Mark(),
                       "'default_remote' names no remote: " +
                           quote(config.default_remote));
  }
  return config;
}

bool
Config::wants_metafeatures(std::uint64_t size) const
{
  return metafeatures_max_bytes != 0 && size <= metafeatures_max_bytes;
}

void
Config::save(const fs::path& path) const
{
  YAML::Emitter out;
  out << YAML::BeginMap;
  out << YAML::Key << "version" << YAML::Value << 1;
  out << YAML::Key << "user" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "name" << YAML::Value << user.name;
  out << YAML::Key << "email" << YAML::Value << user.email;
  out << YAML::EndMap;
  out << YAML::Key << "link" << YAML::Value << store::to_string(link);
  if (!env.empty()) {
    out << YAML::Key << "env" << YAML::Value << env;
  }
  if (metafeatures_max_bytes != Config{}.metafeatures_max_bytes) {
    out << YAML::Key << "metafeatures_max_bytes" << YAML::Value
        << metafeatures_max_bytes;
  }
  if (!remotes.empty()) {
    out << YAML::Key << "remotes" << YAML::Value << YAML::BeginMap;
    for (const auto& remote : remotes) {
      out << YAML::Key << remote.name << YAML::Value << YAML::BeginMap;
      out << YAML::Key << "url" << YAML::Value << remote.url;
      if (remote.endpoint) {
        out << YAML::Key << "endpoint" << YAML::Value << *remote.endpoint;
      }
      if (remote.region) {
        out << YAML::Key << "region" << YAML::Value << *remote.region;
      }
      if (remote.path_style) {
        out << YAML::Key << "path-style" << YAML::Value
            << (*remote.path_style ? "true" : "false");
      }
      if (remote.part_size) {
        out << YAML::Key << "part-size" << YAML::Value << *remote.part_size;
      }
      out << YAML::EndMap;
    }
    out << YAML::EndMap;
  }
  if (!default_remote.empty()) {
    out << YAML::Key << "default_remote" << YAML::Value << default_remote;
  }
  out << YAML::EndMap;
  std::string text = "# mlake lake configuration; see mlake(1)\n";
  text += out.c_str();
  text += "\n";
  util::write_file_atomic(path, text);
}

std::string
host_name()
{
  char host[256] = {};
  if (::gethostname(host, sizeof(host) - 1) != 0 || host[0] == '\0') {
    return "unknown";
  }
  return host;
}

Identity
current_identity(const Identity& fallback)
{
  Identity out = fallback;
  if (const char* name = std::getenv("MLAKE_USER_NAME"); name && *name) {
    out.name = name;
  }
  if (const char* email = std::getenv("MLAKE_USER_EMAIL"); email && *email) {
    out.email = email;
  }
  return out;
}

namespace {

void
read_git_identity(const fs::path& dir, Identity& out)
{
  const util::LibGit2* git = util::libgit2();
  if (!git) {
    return;
  }
  git_config* config = nullptr;
  git_repository* repo = nullptr;
  if (git->repository_open_ext(&repo, dir.c_str(), 0, nullptr) == 0) {
    git->repository_config_snapshot(&config, repo);
  }
  if (!config) {
    git_config* live = nullptr;
    if (git->config_open_default(&live) == 0) {
      git->config_snapshot(&config, live);
      git->config_free(live);
    }
  }
  if (config) {
    const char* value = nullptr;
    if (out.name.empty() &&
        git->config_get_string(&value, config, "user.name") == 0) {
      out.name = value;
    }
    if (out.email.empty() &&
        git->config_get_string(&value, config, "user.email") == 0) {
      out.email = value;
    }
    git->config_free(config);
  }
  git->repository_free(repo);
}

} // namespace

Identity
discover_identity(const fs::path& dir)
{
  Identity out = current_identity({});
  if (out.name.empty() || out.email.empty()) {
    read_git_identity(dir, out);
  }
  std::string login = "user";
  if (const char* user = std::getenv("USER"); user && *user) {
    login = user;
  }
  if (out.name.empty()) {
    out.name = login;
  }
  if (out.email.empty()) {
    out.email = login + "@" + host_name();
  }
  return out;
}

} // namespace mlake::lake
