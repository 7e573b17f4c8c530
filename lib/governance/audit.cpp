#include <mlake/governance/audit.hpp>
#include <mlake/governance/records.hpp>
#include <mlake/lake/absent.hpp>
#include <mlake/lake/erasure.hpp>
#include <mlake/lake/lake.hpp>
#include <mlake/lake/metadata.hpp>
#include <mlake/lake/refs.hpp>
#include <mlake/util/error.hpp>
#include <mlake/util/fs.hpp>
#include <mlake/util/hash.hpp>

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <set>
#include <tuple>

namespace mlake::governance {

namespace {

Error
policy_error(const fs::path& path,
             const YAML::Mark& mark,
             const std::string& what)
{
  std::string where = quote(path.string());
  if (!mark.is_null()) {
    where += ": line " + std::to_string(mark.line + 1);
  }
  return Error(Exit::usage,
               "cannot read policy " + where + ": " + what,
               "fix the file; POLICY in mlake-audit(1) lists the rules");
}

bool
flag(const YAML::Node& value, const fs::path& path, const std::string& rule)
{
  try {
    if (value.IsScalar()) {
      return value.as<bool>();
    }
  } catch (const YAML::Exception&) {
  }
  throw policy_error(
      path, value.Mark(), quote(rule) + " must be true or false");
}

std::string
text(const YAML::Node& value, const fs::path& path, const std::string& what)
{
  if (!value.IsScalar()) {
    throw policy_error(path, value.Mark(), what + " must be a word");
  }
  return value.as<std::string>();
}

// One upstream version: an artifact and the node that recorded it.
struct Version
{
  std::string artifact;
  std::string node;
  std::string hash;
  bool stored = true;
};

} // namespace

Policy
load_policy(const fs::path& path)
{
  auto bytes = util::read_file_if_exists(path);
  if (!bytes) {
    throw Error(Exit::not_found,
                "no policy file " + quote(path.string()),
                "write one (see POLICY in mlake-audit(1)), or leave out "
                "--policy to use .mlake/policy.yaml");
  }
  YAML::Node root;
  try {
    root = YAML::Load(*bytes);
  } catch (const YAML::Exception& e) {
    throw policy_error(path, e.mark, e.msg);
  }
  Policy policy;
  policy.path = path;
  policy.sha256 = util::sha256_hex(*bytes);
  if (root.IsNull()) {
    return policy;
  }
  if (!root.IsMap()) {
    throw policy_error(
        path, root.Mark(), "the file must be a mapping of rules");
  }
  std::set<std::string> seen;
  for (const auto& item : root) {
    const std::string rule = item.first.as<std::string>();
    const YAML::Node& value = item.second;
    if (!seen.insert(rule).second) {
      throw policy_error(
          path, item.first.Mark(), "rule " + quote(rule) + " is given twice");
    }
    if (rule == "required_metadata") {
      if (!value.IsMap()) {
        throw policy_error(path,
                           value.Mark(),
                           "'required_metadata' must map kinds to lists of "
                           "fields");
      }
      for (const auto& entry : value) {
        const std::string kind = entry.first.as<std::string>();
        const auto& kinds = lake::artifact_kinds();
        if (std::find(kinds.begin(), kinds.end(), kind) == kinds.end()) {
          throw policy_error(
              path, entry.first.Mark(), "unknown artifact kind " + quote(kind));
        }
        if (!entry.second.IsSequence()) {
          throw policy_error(path,
                             entry.second.Mark(),
                             "the fields required of " + kind +
                                 " must be a list");
        }
        for (const auto& field : entry.second) {
          std::string name = text(field, path, "a field");
          if (name != "owner" && name != "description" && name != "security" &&
              name != "tags") {
            throw policy_error(path,
                               field.Mark(),
                               "unknown field " + quote(name) +
                                   " (owner, description, security, tags)");
          }
          policy.required_metadata[kind].push_back(name);
        }
      }
    } else if (rule == "approved_inputs") {
      policy.approved_inputs = flag(value, path, rule);
    } else if (rule == "max_security") {
      if (!value.IsMap()) {
        throw policy_error(
            path, value.Mark(), "'max_security' must map aliases to levels");
      }
      for (const auto& entry : value) {
        const std::string alias = entry.first.as<std::string>();
        try {
          check_alias(alias);
        } catch (const Error& e) {
          throw policy_error(path, entry.first.Mark(), e.what());
        }
        const std::string level = text(entry.second, path, "a level");
        if (!lake::security_rank(level)) {
          throw policy_error(path,
                             entry.second.Mark(),
                             "unknown security level " + quote(level) +
                                 " (public, internal, confidential, "
                                 "restricted)");
        }
        policy.max_security[alias] = level;
      }
    } else if (rule == "clean_code") {
      policy.clean_code = flag(value, path, rule);
    } else if (rule == "model_scan") {
      policy.model_scan = flag(value, path, rule);
    } else if (rule == "no_purged_data") {
      policy.no_purged_data = flag(value, path, rule);
    } else {
      throw policy_error(path,
                         item.first.Mark(),
                         "unknown rule " + quote(rule) +
                             " (required_metadata, approved_inputs, "
                             "max_security, clean_code, model_scan, "
                             "no_purged_data)");
    }
  }
  return policy;
}

std::optional<Policy>
lake_policy(const lake::Lake& lake)
{
  const fs::path path = lake.dir() / "policy.yaml";
  if (!util::lstat_path(path)) {
    return std::nullopt;
  }
  return load_policy(path);
}

json
audit(lake::Lake& lake, const AuditOptions& options)
{
  std::optional<Policy> policy =
      options.policy ? std::optional<Policy>(load_policy(*options.policy))
                     : lake_policy(lake);
  auto& idx = lake.index();

  // Where the walk starts: the node that recorded the version, or a node.
  std::string start;
  std::optional<index::VersionRow> subject;
  auto resolved = lake::resolve_ref(lake, options.ref, options.cwd);
  if (resolved.kind == lake::Resolved::Kind::node) {
    start = resolved.node;
  } else {
    subject = resolved.version
                  ? *resolved.version
                  : lake::resolve_version(lake, resolved.artifact, options.cwd);
    start = subject->node;
  }
  const auto rows = idx.lineage({start}, true, -1, std::nullopt);

  auto ref_of = [&](const std::string& artifact, const std::string& node) {
    auto it = rows.ordinals.find(artifact + "\n" + node);
    return it == rows.ordinals.end()
               ? artifact
               : artifact + "@" + std::to_string(it->second);
  };
  json violations = json::array();
  auto violate = [&](const std::string& rule,
                     const std::string& message,
                     const std::string& artifact,
                     const std::string& version_node,
                     const std::string& node) {
    json v = {{"rule", rule}, {"message", message}};
    if (!artifact.empty()) {
      v["artifact"] = artifact;
    }
    if (!version_node.empty()) {
      v["version"] = ref_of(artifact, version_node);
    }
    if (!node.empty()) {
      v["node"] = node;
    }
    violations.push_back(std::move(v));
  };

  // The versions upstream: the audited one and what each node read. What
  // a node wrote besides (another file of the same add) is a sibling, not
  // a source.
  std::vector<Version> versions;
  std::set<std::pair<std::string, std::string>> seen;
  for (const auto& io : rows.io) {
    const bool source = io.direction == "in" && !io.source.empty();
    const bool itself = io.direction == "out" && subject &&
                        io.artifact == subject->artifact && io.node == start;
    if (!(source || itself)) {
      continue;
    }
    const std::string& node = source ? io.source : io.node;
    if (!seen.emplace(io.artifact, node).second) {
      continue;
    }
    versions.push_back({io.artifact, node, io.hash, true});
  }
  // Reported in a stable order, whatever order SQLite walked them in.
  std::sort(versions.begin(), versions.end(), [](const auto& a, const auto& b) {
    return std::tie(a.artifact, a.node) < std::tie(b.artifact, b.node);
  });
  std::set<std::string> artifacts;
  for (auto& v : versions) {
    artifacts.insert(v.artifact);
    for (const auto& row : idx.versions(v.artifact)) {
      if (row.node == v.node) {
        v.stored = row.stored;
      }
    }
  }

  // The record itself: every node still hashes to its id, every object to
  // its name.
  for (const auto& n : rows.nodes) {
    auto bytes = lake.nodes().read_bytes(n.id);
    if (!bytes) {
      violate("integrity",
              "node " + n.id + " (" + n.kind +
                  ") is missing from .mlake/nodes: it was deleted",
              "",
              "",
              n.id);
    } else if (util::sha256_hex(*bytes) != n.id) {
      violate("integrity",
              "node " + n.id + " (" + n.kind +
                  ") was altered: its content no longer hashes to its id",
              "",
              "",
              n.id);
    }
  }
  const auto absent = lake::load_absent(lake);
  const lake::Erasure erasure = lake::load_purges(lake);
  std::size_t objects = 0;
  for (const auto& v : versions) {
    if (!v.stored || absent.count(v.hash) ||
        erasure.purged(v.artifact, v.node)) {
      continue; // by reference, not downloaded here, or erased as recorded
    }
    auto sound = lake.objects().verify(v.hash);
    ++objects;
    if (!sound) {
      violate("integrity",
              "the content of " + ref_of(v.artifact, v.node) + " (object " +
                  v.hash + ") is missing from the lake",
              v.artifact,
              v.node,
              "");
    } else if (!*sound) {
      violate("integrity",
              "the content of " + ref_of(v.artifact, v.node) + " (object " +
                  v.hash + ") was altered: it no longer hashes to its name",
              v.artifact,
              v.node,
              "");
    }
  }

  // Erased upstream: reported always, a violation where the policy says.
  json tainted = json::array();
  for (const auto& row : erasure.rows) {
    if (!std::any_of(versions.begin(), versions.end(), [&](const Version& v) {
          return v.artifact == row.artifact && v.node == row.version_node;
        })) {
      continue;
    }
    const std::string ref = ref_of(row.artifact, row.version_node);
    tainted.push_back({{"ref", ref},
                       {"purge", row.node},
                       {"time", row.time},
                       {"user", row.user_name},
                       {"reason", row.message}});
    if (policy && policy->no_purged_data) {
      violate("no_purged_data",
              ref + " was erased by purge " + row.node.substr(0, 12) + " (" +
                  row.user_name + ", " + row.time.substr(0, 10) +
                  "): " + row.message,
              row.artifact,
              row.version_node,
              row.node);
    }
  }

  // The aliases the version stands behind, or is about to.
  std::vector<std::string> aliases = options.aliases;
  if (subject) {
    for (const auto& p : idx.promotions(subject->artifact)) {
      if (idx.alias_target(subject->artifact, p.alias) == subject->node &&
          std::find(aliases.begin(), aliases.end(), p.alias) == aliases.end()) {
        aliases.push_back(p.alias);
      }
    }
  }

  if (policy) {
    for (const auto& name : artifacts) {
      auto a = idx.artifact(name);
      if (!a) {
        continue;
      }
      const std::string kind = a->field("kind", "other");
      auto required = policy->required_metadata.find(kind);
      if (required != policy->required_metadata.end()) {
        for (const auto& field : required->second) {
          bool missing =
              field == "tags" ? a->tags.empty() : a->field(field).empty();
          if (missing) {
            violate("required_metadata",
                    kind + " " + quote(name) + " has no " + field,
                    name,
                    "",
                    "");
          }
        }
      }
      for (const auto& alias : aliases) {
        auto limit = policy->max_security.find(alias);
        if (limit == policy->max_security.end()) {
          continue;
        }
        const std::string level = a->field("security", "internal");
        if (lake::security_rank(level) > lake::security_rank(limit->second)) {
          violate("max_security",
                  quote(name) + " is " + level + ", above the " +
                      limit->second + " allowed behind " + alias,
                  name,
                  "",
                  "");
        }
      }
    }
    for (const auto& n : rows.nodes) {
      if (policy->clean_code && !n.command.empty()) {
        if (n.git_commit.empty()) {
          violate("clean_code",
                  n.kind + " run " + n.id.substr(0, 12) +
                      " ran code outside a git commit",
                  "",
                  "",
                  n.id);
        } else if (n.git_dirty) {
          violate("clean_code",
                  n.kind + " run " + n.id.substr(0, 12) +
                      " ran code with uncommitted changes",
                  "",
                  "",
                  n.id);
        }
      }
      if (policy->approved_inputs && n.kind == "train") {
        for (const auto& io : rows.io) {
          if (io.node != n.id || io.direction != "in" || io.source.empty()) {
            continue;
          }
          if (!is_approved(idx.approvals(io.artifact), io.source)) {
            violate("approved_inputs",
                    "train run " + n.id.substr(0, 12) + " read " +
                        ref_of(io.artifact, io.source) +
                        ", which is not approved",
                    io.artifact,
                    io.source,
                    n.id);
          }
        }
      }
    }
    if (policy->model_scan) {
      for (const auto& v : versions) {
        auto mf = idx.metafeatures(v.artifact, v.node);
        if (!mf || !mf->contains("model") || !(*mf)["model"].is_object()) {
          continue;
        }
        const json& model = (*mf)["model"];
        const std::string verdict = model.value("verdict", "not verified");
        if (verdict != "safe") {
          std::string detail;
          for (const auto& u : model.value("unsafe_imports", json::array())) {
            if (u.is_object() && u.contains("import")) {
              detail += (detail.empty() ? ": would import " : ", ") +
                        u["import"].get<std::string>();
            }
          }
          violate("model_scan",
                  "model file " + ref_of(v.artifact, v.node) + " is " +
                      verdict + detail,
                  v.artifact,
                  v.node,
                  "");
        }
      }
    }
  }

  json out = {{"ref",
               subject
                   ? subject->artifact + "@" + std::to_string(subject->ordinal)
                   : start},
              {"aliases", aliases},
              {"checked",
               {{"nodes", rows.nodes.size()},
                {"versions", versions.size()},
                {"objects", objects}}},
              {"tainted", tainted},
              {"violations", violations},
              {"ok", violations.empty()}};
  if (policy) {
    out["policy"] = {{"path", util::relative_to(policy->path, lake.root())},
                     {"sha256", policy->sha256}};
  } else {
    out["policy"] = nullptr;
  }
  return out;
}

} // namespace mlake::governance
