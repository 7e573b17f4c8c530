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

} // namespace

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
      try {
        config.metafeatures_max_bytes = value.as<std::uint64_t>();
      } catch (const YAML::Exception&) {
        throw config_error(path,
                           value.Mark(),
                           "'metafeatures_max_bytes' must be a number of "
                           "bytes");
      }
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
