#include <mlake/index/index.hpp>
#include <mlake/util/error.hpp>
#include <mlake/util/time.hpp>

#include <SQLiteCpp/SQLiteCpp.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <optional>
#include <set>

#include "schema.hpp"

namespace mlake::index {

namespace {

template <typename F>
auto
guard(const fs::path& path, F&& fn) -> decltype(fn())
{
  try {
    return fn();
  } catch (const SQLite::Exception& e) {
    throw Error(Exit::integrity,
                "index " + quote(path.string()) + ": " + e.what(),
                "run 'mlake reindex' to rebuild it from the nodes");
  }
}

std::string
normal_time(const json& node, const char* which)
{
  util::Micros t = 0;
  util::parse_rfc3339(node["time"][which].get<std::string>(), t);
  return util::format_rfc3339(t);
}

// `object[key]` as RFC 3339 in the index's form, or `fallback` when it is
// missing or not a time.
std::string
time_field(const json& object, const char* key, const std::string& fallback)
{
  auto it = object.find(key);
  util::Micros t = 0;
  if (it == object.end() || !it->is_string() ||
      !util::parse_rfc3339(it->get<std::string>(), t)) {
    return fallback;
  }
  return util::format_rfc3339(t);
}

// Add `words` to a search document's text.
void
append_words(std::string& text, const std::string& words)
{
  if (words.empty()) {
    return;
  }
  if (!text.empty()) {
    text += ' ';
  }
  text += words;
}

std::string
string_field(const json& node, const char* key)
{
  auto it = node.find(key);
  return it != node.end() && it->is_string() ? it->get<std::string>() : "";
}

// The columns read_node_row reads, in its order.
#define MLAKE_NODE_COLUMNS                                                     \
  "n.id, n.kind, n.message, n.user_name, n.user_email, n.host, "               \
  "n.time_start, n.time_end, n.command, n.exit_code, n.git_commit, "           \
  "n.git_dirty, n.study, n.analysis, n.task, n.algorithm "

NodeRow
read_node_row(SQLite::Statement& q)
{
  NodeRow row;
  row.id = q.getColumn(0).getString();
  row.kind = q.getColumn(1).getString();
  row.message = q.getColumn(2).getString();
  row.user_name = q.getColumn(3).getString();
  row.user_email = q.getColumn(4).getString();
  row.host = q.getColumn(5).getString();
  row.time_start = q.getColumn(6).getString();
  row.time_end = q.getColumn(7).getString();
  row.command = q.getColumn(8).getString();
  if (!q.getColumn(9).isNull()) {
    row.exit_code = q.getColumn(9).getInt();
  }
  row.git_commit = q.getColumn(10).getString();
  row.git_dirty = q.getColumn(11).getInt() != 0;
  row.study = q.getColumn(12).getString();
  row.analysis = q.getColumn(13).getString();
  row.task = q.getColumn(14).getString();
  row.algorithm = q.getColumn(15).getString();
  return row;
}

} // namespace

// Statements are prepared once per connection: a reindex of 100,000 nodes
// runs each of them hundreds of thousands of times.
struct Index::Statements
{
  std::map<const char*, std::unique_ptr<SQLite::Statement>> prepared;
};

SQLite::Statement&
Index::stmt(const char* sql)
{
  auto& slot = m_statements->prepared[sql];
  if (!slot) {
    slot = std::make_unique<SQLite::Statement>(*m_db, sql);
  } else {
    slot->reset();
    slot->clearBindings();
  }
  return *slot;
}

std::string
ArtifactRow::field(const std::string& key, const std::string& fallback) const
{
  auto it = fields.find(key);
  return it != fields.end() ? it->second : fallback;
}

Index::Index(const fs::path& db_path)
    : m_statements(std::make_unique<Statements>()), m_path(db_path)
{
  guard(m_path, [&] {
    m_db = std::make_unique<SQLite::Database>(
        db_path.string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    m_db->setBusyTimeout(10000);
    // The index is rebuildable from the nodes, so it need not be synced on
    // every commit; WAL lets readers go on while a writer works.
    m_db->exec("PRAGMA journal_mode=WAL");
    m_db->exec("PRAGMA synchronous=NORMAL");
    m_db->exec("PRAGMA foreign_keys=OFF");
    // Lineage keeps its working set in temporary tables: in memory, not in
    // a file that would be created, written and synced for each query.
    m_db->exec("PRAGMA temp_store=MEMORY");
    // Read pages through a mapping rather than a copy for each read.
    m_db->exec("PRAGMA mmap_size=1073741824");
    migrate();
  });
}

Index::~Index()
{
  // Statements must be finalised before their database is closed.
  m_statements.reset();
}

void
Index::migrate()
{
  m_db->exec("CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, "
             "value TEXT NOT NULL) WITHOUT ROWID");
  int current = 0;
  if (auto v = meta("schema_version")) {
    current = std::stoi(*v);
  }
  const auto& steps = migrations();
  if (current > steps.back().version) {
    throw Error(Exit::integrity,
                "the index was written by a newer mlake (schema " +
                    std::to_string(current) + ")",
                "upgrade mlake, or delete .mlake/index.db and run 'mlake "
                "reindex'");
  }
  for (const auto& step : steps) {
    if (step.version <= current) {
      continue;
    }
    SQLite::Transaction tx(*m_db);
    m_db->exec(step.sql);
    set_meta("schema_version", std::to_string(step.version));
    tx.commit();
    m_needs_reprojection = m_needs_reprojection || step.reproject;
  }
}

void
Index::transaction(const std::function<void()>& fn)
{
  guard(m_path, [&] {
    // IMMEDIATE takes the write lock up front: a deferred transaction that
    // reads and then writes can fail when another writer got in between.
    SQLite::Transaction tx(*m_db, SQLite::TransactionBehavior::IMMEDIATE);
    fn();
    tx.commit();
  });
  m_needs_reprojection = false;
}

std::optional<std::string>
Index::meta(const std::string& key)
{
  return guard(m_path, [&]() -> std::optional<std::string> {
    auto& q = stmt("SELECT value FROM meta WHERE key = ?");
    q.bind(1, key);
    if (q.executeStep()) {
      return q.getColumn(0).getString();
    }
    return std::nullopt;
  });
}

void
Index::set_meta(const std::string& key, const std::string& value)
{
  guard(m_path, [&] {
    auto& q = stmt("INSERT INTO meta(key, value) VALUES(?, ?) "
                   "ON CONFLICT(key) DO UPDATE SET value = excluded.value");
    q.bind(1, key);
    q.bind(2, value);
    q.exec();
  });
}

void
Index::clear_projection()
{
  guard(m_path, [&] {
    for (const char* table :
         {"nodes",         "heads",          "metafeatures", "node_code",
          "params",        "metrics",        "node_parents", "node_io",
          "artifacts",     "versions",       "annotations",  "artifact_fields",
          "artifact_tags", "users",          "promotions",   "approvals",
          "purges",        "purged_objects", "search",       "search_docs"}) {
      m_db->exec(std::string("DELETE FROM ") + table);
    }
  });
}

void
Index::apply(const std::string& id, const json& node)
{
  guard(m_path, [&] {
    auto& exists = stmt("SELECT 1 FROM nodes WHERE id = ?");
    exists.bind(1, id);
    if (exists.executeStep()) {
      return;
    }
    const std::string time_end = normal_time(node, "end");
    const json& user = node["user"];
    {
      auto& q = stmt("INSERT INTO nodes(id, kind, message, user_name, "
                     "user_email, host, time_start, time_end, command, "
                     "exit_code, mode, study, analysis, task, algorithm, "
                     "run_id, git_commit, git_dirty) "
                     "VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
                     "?, ?)");
      q.bind(1, id);
      q.bind(2, node["kind"].get<std::string>());
      q.bind(3, node["message"].get<std::string>());
      q.bind(4, string_field(user, "name"));
      q.bind(5, string_field(user, "email"));
      q.bind(6, string_field(node, "host"));
      q.bind(7, normal_time(node, "start"));
      q.bind(8, time_end);
      if (node.contains("command")) {
        q.bind(9, node["command"].dump());
      }
      if (node.contains("exit_code") && node["exit_code"].is_number_integer()) {
        q.bind(10, node["exit_code"].get<int>());
      }
      for (auto [column, key] : {std::pair{11, "mode"},
                                 std::pair{12, "study"},
                                 std::pair{13, "analysis"},
                                 std::pair{14, "task"},
                                 std::pair{15, "algorithm"},
                                 std::pair{16, "run_id"}}) {
        std::string value = string_field(node, key);
        if (!value.empty()) {
          q.bind(column, value);
        }
      }
      if (node.contains("code") && node["code"].is_object()) {
        const json& code = node["code"];
        if (code.contains("git") && code["git"].is_object()) {
          const json& git = code["git"];
          if (git.contains("commit") && git["commit"].is_string()) {
            q.bind(17, git["commit"].get<std::string>());
          }
          q.bind(18, git.value("dirty", false) ? 1 : 0);
        }
      }
      q.exec();
    }
    if (node.contains("code") && node["code"].is_object() &&
        node["code"].contains("files") && node["code"]["files"].is_array()) {
      for (const auto& file : node["code"]["files"]) {
        auto& q = stmt("INSERT OR IGNORE INTO node_code(node, path, hash, "
                       "size) VALUES(?, ?, ?, ?)");
        q.bind(1, id);
        q.bind(2, file.value("path", ""));
        q.bind(3, file.value("hash", ""));
        q.bind(4, static_cast<int64_t>(file.value("size", std::uint64_t{0})));
        q.exec();
      }
    }
    if (node.contains("params") && node["params"].is_object()) {
      for (const auto& [key, value] : node["params"].items()) {
        auto& q = stmt("INSERT OR REPLACE INTO params(node, key, value, "
                       "number) VALUES(?, ?, ?, ?)");
        q.bind(1, id);
        q.bind(2, key);
        q.bind(3, value.dump());
        if (value.is_number()) {
          q.bind(4, value.get<double>());
        }
        q.exec();
      }
    }
    // What a governance node (promote, approve, revoke, metric) acts on:
    // its one input, a version.
    const std::string kind = node["kind"].get<std::string>();
    const json* subject = nullptr;
    if ((kind == "promote" || kind == "approve" || kind == "revoke" ||
         kind == "metric") &&
        node["inputs"].size() == 1 && node["inputs"][0].contains("node") &&
        node["inputs"][0]["node"].is_string()) {
      subject = &node["inputs"][0];
    }
    if (node.contains("metrics") && node["metrics"].is_object()) {
      std::string time = time_end;
      std::string source = kind;
      if (kind == "metric" && node.contains("observation") &&
          node["observation"].is_object()) {
        time = time_field(node["observation"], "time", time_end);
        source = string_field(node["observation"], "source");
      }
      for (const auto& [key, value] : node["metrics"].items()) {
        if (!value.is_number()) {
          continue; // kept in the node; the table is for numbers
        }
        auto& q = stmt("INSERT INTO metrics(node, key, value, time, source, "
                       "artifact, version_node) VALUES(?, ?, ?, ?, ?, ?, ?)");
        q.bind(1, id);
        q.bind(2, key);
        q.bind(3, value.get<double>());
        q.bind(4, time);
        q.bind(5, source);
        if (subject && kind == "metric") {
          q.bind(6, (*subject)["artifact"].get<std::string>());
          q.bind(7, (*subject)["node"].get<std::string>());
        }
        q.exec();
      }
    }
    if (subject && kind == "promote" && node.contains("alias") &&
        node["alias"].is_string()) {
      auto& q = stmt("INSERT OR IGNORE INTO promotions(node, artifact, alias, "
                     "version_node, hash, time, forced) "
                     "VALUES(?, ?, ?, ?, ?, ?, ?)");
      q.bind(1, id);
      q.bind(2, (*subject)["artifact"].get<std::string>());
      q.bind(3, node["alias"].get<std::string>());
      q.bind(4, (*subject)["node"].get<std::string>());
      q.bind(5, (*subject)["hash"].get<std::string>());
      q.bind(6, time_end);
      const json& policy = node.value("policy", json::object());
      q.bind(7, policy.is_object() && policy.value("forced", false) ? 1 : 0);
      q.exec();
    }
    if (kind == "purge" && node.contains("purge") &&
        node["purge"].is_object()) {
      for (const auto& item : node["inputs"]) {
        const std::string role = item.value("role", "");
        if ((role != "purged" && role != "affected") ||
            !item.contains("node") || !item["node"].is_string()) {
          continue;
        }
        auto& q = stmt("INSERT OR IGNORE INTO purges(node, artifact, "
                       "version_node, hash, role, time) "
                       "VALUES(?, ?, ?, ?, ?, ?)");
        q.bind(1, id);
        q.bind(2, item["artifact"].get<std::string>());
        q.bind(3, item["node"].get<std::string>());
        q.bind(4, item["hash"].get<std::string>());
        q.bind(5, role);
        q.bind(6, time_end);
        q.exec();
      }
      const json& objects = node["purge"].value("objects", json::array());
      for (const auto& hash : objects) {
        if (!hash.is_string()) {
          continue;
        }
        auto& q = stmt("INSERT OR IGNORE INTO purged_objects(hash, node) "
                       "VALUES(?, ?)");
        q.bind(1, hash.get<std::string>());
        q.bind(2, id);
        q.exec();
      }
    }
    if (subject && (kind == "approve" || kind == "revoke")) {
      auto& q = stmt("INSERT OR IGNORE INTO approvals(node, artifact, "
                     "version_node, hash, decision, time) "
                     "VALUES(?, ?, ?, ?, ?, ?)");
      q.bind(1, id);
      q.bind(2, (*subject)["artifact"].get<std::string>());
      q.bind(3, (*subject)["node"].get<std::string>());
      q.bind(4, (*subject)["hash"].get<std::string>());
      q.bind(5, kind);
      q.bind(6, time_end);
      q.exec();
    }
    {
      // The node's search document; the artifacts it touched get theirs
      // rewritten by settle().
      std::string title, body = kind;
      for (const char* key : {"study", "analysis", "task"}) {
        append_words(title, string_field(node, key));
      }
      for (const char* key : {"algorithm", "alias", "host"}) {
        append_words(body, string_field(node, key));
      }
      append_words(body, string_field(user, "name"));
      append_words(body, string_field(user, "email"));
      for (const char* key : {"params", "metrics"}) {
        if (node.contains(key) && node[key].is_object()) {
          for (const auto& [name, value] : node[key].items()) {
            append_words(body, name);
            if (std::string(key) == "params") {
              append_words(body,
                           value.is_string() ? value.get<std::string>()
                                             : value.dump());
            }
          }
        }
      }
      for (const char* key : {"inputs", "outputs"}) {
        for (const auto& item : node[key]) {
          const std::string artifact = item["artifact"].get<std::string>();
          append_words(body, artifact);
          m_unsettled_docs.push_back(artifact);
        }
      }
      if (node.contains("metadata") && node["metadata"].is_object()) {
        for (const auto& [artifact, changes] : node["metadata"].items()) {
          m_unsettled_docs.push_back(artifact);
        }
      }
      put_search_doc("node",
                     id,
                     kind,
                     time_end,
                     title,
                     node["message"].get<std::string>(),
                     body);
    }
    for (const auto& parent : node["parents"]) {
      auto& q = stmt("INSERT OR IGNORE INTO node_parents(node, parent) "
                     "VALUES(?, ?)");
      q.bind(1, id);
      q.bind(2, parent.get<std::string>());
      q.exec();
      auto& h = stmt("DELETE FROM heads WHERE id = ?");
      h.bind(1, parent.get<std::string>());
      h.exec();
    }
    {
      // A node projected after one that names it (a replay in any order)
      // is not a head.
      auto& h = stmt("INSERT OR IGNORE INTO heads(id) SELECT ?1 WHERE NOT "
                     "EXISTS (SELECT 1 FROM node_parents WHERE parent = ?1)");
      h.bind(1, id);
      h.exec();
    }
    {
      auto& q = stmt("INSERT OR IGNORE INTO users(name, email) VALUES(?, ?)");
      q.bind(1, string_field(user, "name"));
      q.bind(2, string_field(user, "email"));
      q.exec();
    }

    auto touch_artifact = [&](const std::string& name) {
      auto& q = stmt("INSERT INTO artifacts(name, created, created_node) "
                     "VALUES(?, ?, ?) ON CONFLICT(name) DO UPDATE SET "
                     "created = excluded.created, "
                     "created_node = excluded.created_node "
                     "WHERE (excluded.created, excluded.created_node) < "
                     "(artifacts.created, artifacts.created_node)");
      q.bind(1, name);
      q.bind(2, time_end);
      q.bind(3, id);
      q.exec();
    };
    auto set_field = [&](const std::string& artifact,
                         const std::string& field,
                         const std::string& value) {
      auto& q = stmt("INSERT INTO artifact_fields(artifact, field, value, "
                     "time, node) VALUES(?, ?, ?, ?, ?) "
                     "ON CONFLICT(artifact, field) DO UPDATE SET "
                     "value = excluded.value, time = excluded.time, "
                     "node = excluded.node "
                     "WHERE (excluded.time, excluded.node) > "
                     "(artifact_fields.time, artifact_fields.node)");
      q.bind(1, artifact);
      q.bind(2, field);
      q.bind(3, value);
      q.bind(4, time_end);
      q.bind(5, id);
      q.exec();
    };
    auto record_annotation = [&](const std::string& artifact,
                                 const std::string& field,
                                 const std::string& value) {
      auto& q = stmt("INSERT OR IGNORE INTO annotations(node, artifact, "
                     "field, value, time) VALUES(?, ?, ?, ?, ?)");
      q.bind(1, id);
      q.bind(2, artifact);
      q.bind(3, field);
      q.bind(4, value);
      q.bind(5, time_end);
      q.exec();
    };

    for (auto [key, direction] :
         {std::pair{"inputs", "in"}, std::pair{"outputs", "out"}}) {
      int seq = 0;
      for (const auto& item : node[key]) {
        const std::string artifact = item["artifact"];
        const std::string hash = item["hash"];
        const std::string type = item["type"];
        const std::string path = item["path"];
        const auto size = item.value("size", std::uint64_t{0});
        auto& q = stmt("INSERT INTO node_io(node, direction, seq, artifact, "
                       "hash, role, type, size, path, source) "
                       "VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
        q.bind(1, id);
        q.bind(2, direction);
        q.bind(3, seq++);
        q.bind(4, artifact);
        q.bind(5, hash);
        q.bind(
            6,
            item.value("role",
                       std::string(key == std::string("inputs") ? "input"
                                                                : "output")));
        q.bind(7, type);
        q.bind(8, static_cast<int64_t>(size));
        q.bind(9, path);
        if (item.contains("node") && item["node"].is_string()) {
          q.bind(10, item["node"].get<std::string>());
        }
        q.exec();
        touch_artifact(artifact);
        if (std::string(direction) == "out") {
          auto& v = stmt("INSERT OR IGNORE INTO versions(artifact, node, "
                         "hash, type, size, files, exec, path, time, stored) "
                         "VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
          v.bind(1, artifact);
          v.bind(2, id);
          v.bind(3, hash);
          v.bind(4, type);
          v.bind(5, static_cast<int64_t>(size));
          v.bind(6, static_cast<int64_t>(item.value("files", 1)));
          v.bind(7, item.value("exec", false) ? 1 : 0);
          v.bind(8, path);
          v.bind(9, time_end);
          v.bind(10, item.value("stored", true) ? 1 : 0);
          v.exec();
          set_field(artifact, "path", path);
          if (item.contains("metafeatures") &&
              item["metafeatures"].is_object()) {
            auto& m = stmt("INSERT OR IGNORE INTO metafeatures(artifact, "
                           "node, json) VALUES(?, ?, ?)");
            m.bind(1, artifact);
            m.bind(2, id);
            m.bind(3, item["metafeatures"].dump());
            m.exec();
          }
        }
      }
    }

    if (node.contains("metadata") && node["metadata"].is_object()) {
      for (const auto& [artifact, changes] : node["metadata"].items()) {
        if (!changes.is_object()) {
          continue;
        }
        touch_artifact(artifact);
        for (const auto& [field, value] : changes.items()) {
          if (field == "tags" && value.is_object()) {
            for (auto [list, present] :
                 {std::pair{"add", 1}, std::pair{"remove", 0}}) {
              if (!value.contains(list) || !value[list].is_array()) {
                continue;
              }
              for (const auto& tag : value[list]) {
                if (!tag.is_string()) {
                  continue;
                }
                auto& q = stmt(
                    "INSERT INTO artifact_tags(artifact, tag, present, time, "
                    "node) VALUES(?, ?, ?, ?, ?) "
                    "ON CONFLICT(artifact, tag) DO UPDATE SET "
                    "present = excluded.present, time = excluded.time, "
                    "node = excluded.node "
                    "WHERE (excluded.time, excluded.node) > "
                    "(artifact_tags.time, artifact_tags.node)");
                q.bind(1, artifact);
                q.bind(2, tag.get<std::string>());
                q.bind(3, present);
                q.bind(4, time_end);
                q.bind(5, id);
                q.exec();
                record_annotation(artifact,
                                  "tag",
                                  (present ? "+" : "-") +
                                      tag.get<std::string>());
              }
            }
          } else if (value.is_string()) {
            set_field(artifact, field, value.get<std::string>());
            record_annotation(artifact, field, value.get<std::string>());
          }
        }
      }
    }
  });
}

bool
Index::has_node(const std::string& id)
{
  return guard(m_path, [&] {
    auto& q = stmt("SELECT 1 FROM nodes WHERE id = ?");
    q.bind(1, id);
    return q.executeStep();
  });
}

std::vector<std::string>
Index::all_node_ids()
{
  return guard(m_path, [&] {
    std::vector<std::string> ids;
    auto& q = stmt("SELECT id FROM nodes");
    while (q.executeStep()) {
      ids.push_back(q.getColumn(0).getString());
    }
    return ids;
  });
}

std::int64_t
Index::node_count()
{
  return guard(m_path, [&] {
    auto& q = stmt("SELECT count(*) FROM nodes");
    q.executeStep();
    return q.getColumn(0).getInt64();
  });
}

std::vector<std::string>
Index::heads()
{
  return guard(m_path, [&] {
    std::vector<std::string> ids;
    auto& q = stmt("SELECT id FROM heads ORDER BY id");
    while (q.executeStep()) {
      ids.push_back(q.getColumn(0).getString());
    }
    return ids;
  });
}

std::optional<NodeRow>
Index::node(const std::string& id)
{
  return guard(m_path, [&]() -> std::optional<NodeRow> {
    auto& q = stmt("SELECT " MLAKE_NODE_COLUMNS "FROM nodes n WHERE n.id = ?");
    q.bind(1, id);
    if (q.executeStep()) {
      return read_node_row(q);
    }
    return std::nullopt;
  });
}

std::vector<std::string>
Index::nodes_with_prefix(const std::string& prefix, int limit)
{
  return guard(m_path, [&] {
    std::vector<std::string> ids;
    auto& q = stmt("SELECT id FROM nodes WHERE id >= ? AND id < ? "
                   "ORDER BY id LIMIT ?");
    q.bind(1, prefix);
    q.bind(2, prefix + "g"); // one past 'f', the last hex digit
    q.bind(3, limit);
    while (q.executeStep()) {
      ids.push_back(q.getColumn(0).getString());
    }
    return ids;
  });
}

std::vector<NodeRow>
Index::log(const std::optional<std::string>& artifact, int limit)
{
  return guard(m_path, [&] {
    std::vector<NodeRow> rows;
    if (artifact) {
      auto& q = stmt("SELECT " MLAKE_NODE_COLUMNS "FROM nodes n WHERE n.id IN "
                     "(SELECT node FROM node_io WHERE artifact = ?1 UNION "
                     "SELECT node FROM annotations WHERE artifact = ?1) "
                     "ORDER BY n.time_end DESC, n.id DESC LIMIT ?2");
      q.bind(1, *artifact);
      q.bind(2, limit);
      while (q.executeStep()) {
        rows.push_back(read_node_row(q));
      }
    } else {
      auto& q = stmt("SELECT " MLAKE_NODE_COLUMNS
                     "FROM nodes n ORDER BY n.time_end DESC, n.id DESC "
                     "LIMIT ?");
      q.bind(1, limit);
      while (q.executeStep()) {
        rows.push_back(read_node_row(q));
      }
    }
    return rows;
  });
}

std::vector<IoRow>
Index::node_io(const std::string& id)
{
  return guard(m_path, [&] {
    std::vector<IoRow> rows;
    auto& q = stmt("SELECT node, direction, artifact, hash, role, type, size, "
                   "path, source FROM node_io WHERE node = ? "
                   "ORDER BY direction, seq");
    q.bind(1, id);
    while (q.executeStep()) {
      IoRow row;
      row.node = q.getColumn(0).getString();
      row.direction = q.getColumn(1).getString();
      row.artifact = q.getColumn(2).getString();
      row.hash = q.getColumn(3).getString();
      row.role = q.getColumn(4).getString();
      row.type = q.getColumn(5).getString();
      row.size = static_cast<std::uint64_t>(q.getColumn(6).getInt64());
      row.path = q.getColumn(7).getString();
      row.source = q.getColumn(8).getString();
      rows.push_back(std::move(row));
    }
    return rows;
  });
}

std::optional<json>
Index::metafeatures(const std::string& artifact, const std::string& node)
{
  return guard(m_path, [&]() -> std::optional<json> {
    auto& q = stmt("SELECT json FROM metafeatures WHERE artifact = ? AND "
                   "node = ?");
    q.bind(1, artifact);
    q.bind(2, node);
    if (q.executeStep()) {
      return json::parse(q.getColumn(0).getString(), nullptr, false);
    }
    return std::nullopt;
  });
}

std::vector<std::pair<std::string, std::string>>
Index::params(const std::string& id)
{
  return guard(m_path, [&] {
    std::vector<std::pair<std::string, std::string>> out;
    auto& q = stmt("SELECT key, value FROM params WHERE node = ? ORDER BY key");
    q.bind(1, id);
    while (q.executeStep()) {
      out.emplace_back(q.getColumn(0).getString(), q.getColumn(1).getString());
    }
    return out;
  });
}

std::vector<std::pair<std::string, double>>
Index::metrics(const std::string& id)
{
  return guard(m_path, [&] {
    std::vector<std::pair<std::string, double>> out;
    auto& q = stmt("SELECT key, value FROM metrics WHERE node = ? "
                   "ORDER BY key, rowid");
    q.bind(1, id);
    while (q.executeStep()) {
      out.emplace_back(q.getColumn(0).getString(), q.getColumn(1).getDouble());
    }
    return out;
  });
}

std::vector<StudyRow>
Index::studies()
{
  return guard(m_path, [&] {
    std::vector<StudyRow> out;
    auto& q =
        stmt("SELECT study, count(DISTINCT analysis), "
             "count(DISTINCT coalesce(analysis, '') || '/' || task), count(*), "
             "max(time_end) FROM nodes WHERE study IS NOT NULL "
             "GROUP BY study ORDER BY study");
    while (q.executeStep()) {
      out.push_back({q.getColumn(0).getString(),
                     q.getColumn(1).getInt(),
                     q.getColumn(2).getInt(),
                     q.getColumn(3).getInt(),
                     q.getColumn(4).getString()});
    }
    return out;
  });
}

std::vector<NodeRow>
Index::study_nodes(const std::string& study)
{
  return guard(m_path, [&] {
    std::vector<NodeRow> out;
    auto& q = stmt("SELECT " MLAKE_NODE_COLUMNS "FROM nodes n WHERE "
                   "n.study = ? ORDER BY n.analysis, n.task, n.time_end, "
                   "n.id");
    q.bind(1, study);
    while (q.executeStep()) {
      out.push_back(read_node_row(q));
    }
    return out;
  });
}

void
Index::settle(const std::vector<std::string>& artifacts)
{
  guard(m_path, [&] {
    const char* renumber =
        "UPDATE versions SET ordinal = x.n FROM (SELECT artifact, node, "
        "ROW_NUMBER() OVER (PARTITION BY artifact ORDER BY time, node) AS n "
        "FROM versions WHERE ?1 IS NULL OR artifact = ?1) x WHERE "
        "versions.artifact = x.artifact AND versions.node = x.node AND "
        "versions.ordinal IS NOT x.n";
    if (artifacts.empty()) {
      SQLite::Statement all(*m_db, renumber);
      all.exec();
    }
    for (const auto& artifact : artifacts) {
      auto& q = stmt(renumber);
      q.bind(1, artifact);
      q.exec();
    }
    std::sort(m_unsettled_docs.begin(), m_unsettled_docs.end());
    m_unsettled_docs.erase(
        std::unique(m_unsettled_docs.begin(), m_unsettled_docs.end()),
        m_unsettled_docs.end());
    for (const auto& artifact : m_unsettled_docs) {
      write_artifact_doc(artifact);
    }
    m_unsettled_docs.clear();
  });
}

void
Index::put_search_doc(const std::string& type,
                      const std::string& target,
                      const std::string& kind,
                      const std::string& time,
                      const std::string& name,
                      const std::string& description,
                      const std::string& body)
{
  auto& find = stmt("SELECT id FROM search_docs WHERE type = ? AND target = ?");
  find.bind(1, type);
  find.bind(2, target);
  if (find.executeStep()) {
    const std::int64_t id = find.getColumn(0).getInt64();
    find.reset();
    auto& drop = stmt("DELETE FROM search WHERE rowid = ?");
    drop.bind(1, id);
    drop.exec();
    auto& drop_doc = stmt("DELETE FROM search_docs WHERE id = ?");
    drop_doc.bind(1, id);
    drop_doc.exec();
  }
  auto& doc = stmt("INSERT INTO search_docs(type, target, kind, time) "
                   "VALUES(?, ?, ?, ?)");
  doc.bind(1, type);
  doc.bind(2, target);
  doc.bind(3, kind);
  doc.bind(4, time);
  doc.exec();
  auto& text = stmt("INSERT INTO search(rowid, name, description, body) "
                    "VALUES(?, ?, ?, ?)");
  text.bind(1, m_db->getLastInsertRowid());
  text.bind(2, name);
  text.bind(3, description);
  text.bind(4, body);
  text.exec();
}

void
Index::write_artifact_doc(const std::string& artifact)
{
  std::map<std::string, std::string> fields;
  {
    auto& q = stmt("SELECT field, value FROM artifact_fields WHERE "
                   "artifact = ?");
    q.bind(1, artifact);
    while (q.executeStep()) {
      fields[q.getColumn(0).getString()] = q.getColumn(1).getString();
    }
  }
  auto field = [&](const std::string& key, const std::string& fallback) {
    auto it = fields.find(key);
    return it == fields.end() ? fallback : it->second;
  };
  const std::string kind = field("kind", "other");
  std::string body = kind;
  for (const char* key : {"owner", "security", "path"}) {
    append_words(body, field(key, ""));
  }
  {
    auto& q = stmt("SELECT tag FROM artifact_tags WHERE artifact = ? AND "
                   "present = 1 ORDER BY tag");
    q.bind(1, artifact);
    while (q.executeStep()) {
      append_words(body, q.getColumn(0).getString());
    }
  }
  {
    // The studies it was made or used in: a project's title finds its
    // data and models as well as its runs.
    auto& q = stmt("SELECT DISTINCT n.study, n.analysis, n.task FROM "
                   "node_io io JOIN nodes n ON n.id = io.node WHERE "
                   "io.artifact = ? AND n.study IS NOT NULL LIMIT 20");
    q.bind(1, artifact);
    while (q.executeStep()) {
      for (int i = 0; i < 3; ++i) {
        if (!q.getColumn(i).isNull()) {
          append_words(body, q.getColumn(i).getString());
        }
      }
    }
  }
  std::string time;
  {
    auto& q = stmt("SELECT v.time, n.message FROM versions v JOIN nodes n "
                   "ON n.id = v.node WHERE v.artifact = ? "
                   "ORDER BY v.time DESC, v.node DESC LIMIT 1");
    q.bind(1, artifact);
    if (q.executeStep()) {
      time = q.getColumn(0).getString();
      append_words(body, q.getColumn(1).getString());
    }
  }
  if (time.empty()) {
    auto& q = stmt("SELECT created FROM artifacts WHERE name = ?");
    q.bind(1, artifact);
    if (q.executeStep()) {
      time = q.getColumn(0).getString();
    }
  }
  put_search_doc("artifact",
                 artifact,
                 kind,
                 time,
                 artifact,
                 field("description", ""),
                 body);
}

std::vector<SearchHit>
Index::search(const SearchQuery& query)
{
  return guard(m_path, [&] {
    // Filters apply to documents of both kinds; each says what it means
    // for an artifact (through the nodes that made or used it) and for a
    // node. The subqueries run once per candidate document, so each is
    // written to start from it (CROSS JOIN fixes SQLite's join order).
    std::string where = "1";
    std::vector<std::optional<std::string>> binds; // nullopt: NULL
    auto both = [&](const std::string& artifact_sql,
                    const std::string& node_sql,
                    int artifact_binds,
                    int node_binds,
                    const std::vector<std::optional<std::string>>& values) {
      // Unary + keeps the type out of index choice: the newest documents
      // are read in time order until enough match, not all then sorted.
      where += " AND ((+d.type = 'artifact' AND " + artifact_sql +
               ") OR (+d.type = 'node' AND " + node_sql + "))";
      for (int i = 0; i < artifact_binds; ++i) {
        binds.insert(binds.end(), values.begin(), values.end());
      }
      for (int i = 0; i < node_binds; ++i) {
        binds.insert(binds.end(), values.begin(), values.end());
      }
    };
    if (query.kind) {
      // Without words, the documents of the kind are read newest first
      // (search_docs_kind); with words, the full-text match leads.
      where += query.match.empty() ? " AND d.kind = ?" : " AND +d.kind = ?";
      binds.push_back(*query.kind);
    }
    // A study is selective: the documents it allows are looked up from
    // that set (rowids, then a small sort) instead of asking every document
    // in time order, which suits the broader filters (a tag, an owner who
    // made most of the lake) better.
    auto within = [&](const std::string& artifacts_sql,
                      const std::string& nodes_sql,
                      int artifact_binds,
                      int node_binds,
                      const std::vector<std::optional<std::string>>& values) {
      where += " AND d.id IN (SELECT sd.id FROM search_docs sd WHERE "
               "sd.type = 'artifact' AND sd.target IN (" +
               artifacts_sql +
               ") UNION ALL SELECT sd.id FROM search_docs sd WHERE "
               "sd.type = 'node' AND sd.target IN (" +
               nodes_sql + "))";
      for (int i = 0; i < artifact_binds; ++i) {
        binds.insert(binds.end(), values.begin(), values.end());
      }
      for (int i = 0; i < node_binds; ++i) {
        binds.insert(binds.end(), values.begin(), values.end());
      }
    };
    // A param or metric that few nodes have is matched as a set: the nodes
    // found once through the index, then their documents and those of what
    // they wrote (and, for a metric, the models an evaluation read). Asked
    // document by document instead, a filter that matches little reads
    // every candidate (all train runs) before it can say so. A common one
    // is asked document by document: the newest matches come first.
    constexpr int few_nodes = 2000;
    auto few = [&](const std::string& nodes_sql,
                   const std::vector<std::optional<std::string>>& values) {
      SQLite::Statement count(*m_db,
                              "SELECT count(*) FROM (" + nodes_sql + " LIMIT " +
                                  std::to_string(few_nodes + 1) + ")");
      int at = 1;
      for (const auto& value : values) {
        if (value) {
          count.bind(at, *value);
        }
        ++at;
      }
      return count.executeStep() && count.getColumn(0).getInt() <= few_nodes;
    };
    auto nodes_and_outputs = [](const std::string& nodes_sql) {
      return "SELECT io.artifact FROM (" + nodes_sql +
             ") x CROSS JOIN node_io io ON io.node = x.node AND io.direction "
             "= 'out'";
    };
    if (query.tag) {
      both("EXISTS (SELECT 1 FROM artifact_tags t WHERE t.artifact = "
           "d.target AND t.present = 1 AND t.tag = ?)",
           "EXISTS (SELECT 1 FROM node_io io CROSS JOIN artifact_tags t ON "
           "t.artifact = io.artifact WHERE io.node = d.target AND "
           "t.present = 1 AND t.tag = ?)",
           1,
           1,
           {*query.tag});
    }
    if (query.owner) {
      both("EXISTS (SELECT 1 FROM artifact_fields f WHERE f.artifact = "
           "d.target AND f.field = 'owner' AND f.value = ?)",
           "EXISTS (SELECT 1 FROM nodes n WHERE n.id = d.target AND "
           "(n.user_name = ? OR n.user_email = ?))",
           1,
           2,
           {*query.owner});
    }
    if (query.study) {
      within("SELECT io.artifact FROM nodes n CROSS JOIN node_io io ON "
             "io.node = n.id WHERE n.study = ?",
             "SELECT id FROM nodes WHERE study = ?",
             1,
             1,
             {*query.study});
    }
    for (const auto& [key, value] : query.params) {
      // As written (0.1, true), as a string ("adam"), or as the same
      // number written otherwise (0.10).
      std::optional<std::string> number;
      try {
        std::size_t used = 0;
        std::stod(value, &used);
        if (used == value.size()) {
          number = value;
        }
      } catch (const std::exception&) {
      }
      const std::string match =
          std::string("p.key = ? AND (p.value = ? OR p.value = json_quote(?)") +
          (number ? " OR p.number = ?)" : ")");
      std::vector<std::optional<std::string>> values = {key, value, value};
      if (number) {
        values.push_back(number);
      }
      // One index per form: (key, value) for the text, (key, number) for
      // the number.
      std::string nodes_with_param = "SELECT p.node FROM params p WHERE "
                                     "p.key = ? AND p.value IN (?, "
                                     "json_quote(?))";
      std::vector<std::optional<std::string>> set_values = {key, value, value};
      if (number) {
        nodes_with_param += " UNION SELECT p.node FROM params p WHERE p.key = "
                            "? AND p.number = CAST(? AS REAL)";
        set_values.push_back(key);
        set_values.push_back(number);
      }
      if (few(nodes_with_param, set_values)) {
        within(nodes_and_outputs(nodes_with_param),
               "SELECT node FROM (" + nodes_with_param + ")",
               1,
               1,
               set_values);
        continue;
      }
      both("EXISTS (SELECT 1 FROM versions v CROSS JOIN params p ON p.node = "
           "v.node WHERE v.artifact = d.target AND " +
               match + ")",
           "EXISTS (SELECT 1 FROM params p WHERE p.node = d.target AND " +
               match + ")",
           1,
           1,
           values);
    }
    for (const auto& m : query.metrics) {
      static const std::set<std::string> ops = {
          "<", "<=", "=", ">=", ">", "!="};
      if (!ops.count(m.op)) {
        throw std::logic_error("metric comparison " + m.op);
      }
      const std::vector<std::optional<std::string>> values = {
          m.key, std::to_string(m.value)};
      const std::string nodes_with_metric =
          "SELECT node FROM metrics WHERE key = ? AND value " + m.op +
          " CAST(? AS REAL)";
      if (few(nodes_with_metric, values)) {
        within(nodes_and_outputs(nodes_with_metric) +
                   " UNION SELECT io.artifact FROM (" + nodes_with_metric +
                   ") x CROSS JOIN nodes n ON n.id = x.node CROSS JOIN "
                   "node_io io ON io.node = x.node AND io.direction = 'in' "
                   "WHERE n.kind = 'evaluate'",
               nodes_with_metric,
               2,
               1,
               values);
        continue;
      }
      // Unary + keeps SQLite from scanning metrics by key for every
      // document: each lookup starts from the node.
      // (which also drops the column's affinity: hence the CAST).
      const std::string match =
          "+m.key = ? AND +m.value " + m.op + " CAST(? AS REAL)";
      // A model matches through the run that made it or an evaluation
      // that read it.
      both("(EXISTS (SELECT 1 FROM versions v CROSS JOIN metrics m ON m.node = "
           "v.node WHERE v.artifact = d.target AND " +
               match +
               ") OR EXISTS (SELECT 1 FROM node_io io CROSS JOIN metrics m "
               "ON m.node = io.node CROSS JOIN nodes n ON n.id = io.node WHERE "
               "io.direction = 'in' AND io.artifact = d.target AND "
               "n.kind = 'evaluate' AND " +
               match + "))",
           "EXISTS (SELECT 1 FROM metrics m WHERE m.node = d.target AND " +
               match + ")",
           2,
           1,
           {m.key, std::to_string(m.value)});
    }
    std::string sql;
    if (query.match.empty()) {
      sql = "SELECT d.type, d.target, d.kind, d.time, 0 FROM search_docs d "
            "WHERE " +
            where + " ORDER BY d.time DESC, d.id DESC LIMIT ?";
    } else {
      sql = "SELECT d.type, d.target, d.kind, d.time, "
            "bm25(search, 10.0, 5.0, 1.0) AS score FROM search JOIN "
            "search_docs d ON d.id = search.rowid WHERE search MATCH ? AND " +
            where + " ORDER BY score, d.time DESC LIMIT ?";
    }
    SQLite::Statement q(*m_db, sql);
    int at = 1;
    if (!query.match.empty()) {
      q.bind(at++, query.match);
    }
    for (const auto& value : binds) {
      if (value) {
        q.bind(at, *value);
      }
      ++at;
    }
    q.bind(at, query.limit);
    std::vector<SearchHit> hits;
    while (q.executeStep()) {
      SearchHit hit;
      hit.type = q.getColumn(0).getString();
      hit.target = q.getColumn(1).getString();
      hit.kind = q.getColumn(2).getString();
      hit.time = q.getColumn(3).getString();
      hit.score = q.getColumn(4).getDouble();
      hits.push_back(std::move(hit));
    }
    return hits;
  });
}

Index::LineageRows
Index::lineage(const std::vector<std::string>& start,
               bool up,
               int depth,
               const std::optional<std::string>& artifact)
{
  return guard(m_path, [&] {
    // The set is built in SQLite (one recursive query, index lookups per
    // step) and kept in a temporary table for the queries that read it.
    m_db->exec("CREATE TEMP TABLE IF NOT EXISTS lineage_start(node TEXT "
               "PRIMARY KEY) WITHOUT ROWID");
    m_db->exec("CREATE TEMP TABLE IF NOT EXISTS lineage_set(node TEXT "
               "PRIMARY KEY) WITHOUT ROWID");
    m_db->exec("DELETE FROM lineage_start; DELETE FROM lineage_set");
    for (const auto& id : start) {
      auto& q = stmt("INSERT OR IGNORE INTO temp.lineage_start VALUES(?)");
      q.bind(1, id);
      q.exec();
    }
    // Up: from a node to the nodes that recorded its inputs. Down: from a
    // node to the nodes that read one of its outputs (from the start nodes
    // only `artifact`'s, when given). Without a depth limit each node is
    // expanded once (UNION on the node alone); with one, the depth is
    // carried and bounds the walk.
    const std::string from =
        up ? "FROM r JOIN node_io io ON io.node = r.node AND io.direction = "
             "'in' WHERE io.source IS NOT NULL"
           : "FROM r JOIN node_io io ON io.source = r.node AND io.direction = "
             "'in' WHERE (?2 IS NULL OR io.artifact = ?2 OR r.node NOT IN "
             "(SELECT node FROM temp.lineage_start))";
    const std::string next = up ? "io.source" : "io.node";
    std::string sql =
        depth < 0
            ? "INSERT INTO temp.lineage_set WITH RECURSIVE r(node) AS (SELECT "
              "node FROM temp.lineage_start UNION SELECT " +
                  next + " " + from + ") SELECT node FROM r"
            : "INSERT INTO temp.lineage_set WITH RECURSIVE r(node, depth) AS "
              "(SELECT node, 0 FROM temp.lineage_start UNION SELECT " +
                  next + ", r.depth + 1 " + from +
                  " AND r.depth < ?1) SELECT DISTINCT node FROM r";
    SQLite::Statement fill(*m_db, sql);
    if (depth >= 0) {
      fill.bind(1, depth);
    }
    if (!up && artifact) {
      fill.bind(2, *artifact);
    }
    fill.exec();

    LineageRows rows;
    SQLite::Statement nodes(
        *m_db,
        "SELECT " MLAKE_NODE_COLUMNS
        "FROM temp.lineage_set s CROSS JOIN nodes n ON n.id = "
        "s.node ORDER BY n.time_end, n.id");
    while (nodes.executeStep()) {
      rows.nodes.push_back(read_node_row(nodes));
    }
    SQLite::Statement io(
        *m_db,
        "SELECT io.node, io.direction, io.artifact, io.hash, "
        "io.role, io.type, io.size, io.path, io.source FROM "
        "temp.lineage_set s CROSS JOIN node_io io ON io.node = "
        "s.node ORDER BY io.node, io.direction, io.seq");
    while (io.executeStep()) {
      IoRow row;
      row.node = io.getColumn(0).getString();
      row.direction = io.getColumn(1).getString();
      row.artifact = io.getColumn(2).getString();
      row.hash = io.getColumn(3).getString();
      row.role = io.getColumn(4).getString();
      row.type = io.getColumn(5).getString();
      row.size = static_cast<std::uint64_t>(io.getColumn(6).getInt64());
      row.path = io.getColumn(7).getString();
      row.source = io.getColumn(8).getString();
      rows.io.push_back(std::move(row));
    }
    SQLite::Statement code(
        *m_db,
        "SELECT c.node, c.path, c.hash, c.size FROM "
        "temp.lineage_set s CROSS JOIN node_code c ON c.node = "
        "s.node ORDER BY c.node, c.path");
    while (code.executeStep()) {
      rows.code.push_back(
          {code.getColumn(0).getString(),
           code.getColumn(1).getString(),
           code.getColumn(2).getString(),
           static_cast<std::uint64_t>(code.getColumn(3).getInt64())});
    }
    SQLite::Statement ordinals(
        *m_db,
        "SELECT v.artifact, v.node, v.ordinal FROM temp.lineage_set s CROSS "
        "JOIN node_io io ON io.node = s.node CROSS JOIN versions v ON "
        "v.artifact = "
        "io.artifact AND v.node = (CASE io.direction WHEN 'in' THEN io.source "
        "ELSE io.node END)");
    while (ordinals.executeStep()) {
      rows.ordinals.emplace(ordinals.getColumn(0).getString() + "\n" +
                                ordinals.getColumn(1).getString(),
                            ordinals.getColumn(2).getInt());
    }
    return rows;
  });
}

std::vector<std::string>
Index::parents(const std::string& id)
{
  return guard(m_path, [&] {
    std::vector<std::string> ids;
    auto& q = stmt("SELECT parent FROM node_parents WHERE node = ? "
                   "ORDER BY parent");
    q.bind(1, id);
    while (q.executeStep()) {
      ids.push_back(q.getColumn(0).getString());
    }
    return ids;
  });
}

std::vector<std::string>
Index::children(const std::string& id)
{
  return guard(m_path, [&] {
    std::vector<std::string> ids;
    auto& q = stmt("SELECT node FROM node_parents WHERE parent = ? "
                   "ORDER BY node");
    q.bind(1, id);
    while (q.executeStep()) {
      ids.push_back(q.getColumn(0).getString());
    }
    return ids;
  });
}

std::vector<VersionRow>
Index::query_versions(const std::string& where, const std::string& key)
{
  // Ordinals are kept up to date by settle().
  std::string sql =
      "SELECT v.artifact, v.ordinal, v.node, v.hash, v.type, v.size, "
      "v.files, v.exec, v.path, v.time, v.stored, n.kind, n.user_name, "
      "n.user_email, n.message FROM versions v JOIN nodes n ON n.id = v.node "
      "WHERE v." +
      where + " ORDER BY v.artifact, v.ordinal";
  SQLite::Statement q(*m_db, sql);
  q.bind(1, key);
  std::vector<VersionRow> rows;
  while (q.executeStep()) {
    VersionRow row;
    row.artifact = q.getColumn(0).getString();
    row.ordinal = q.getColumn(1).getInt();
    row.node = q.getColumn(2).getString();
    row.hash = q.getColumn(3).getString();
    row.type = q.getColumn(4).getString();
    row.size = static_cast<std::uint64_t>(q.getColumn(5).getInt64());
    row.files = static_cast<std::uint64_t>(q.getColumn(6).getInt64());
    row.exec = q.getColumn(7).getInt() != 0;
    row.path = q.getColumn(8).getString();
    row.time = q.getColumn(9).getString();
    row.stored = q.getColumn(10).getInt() != 0;
    row.node_kind = q.getColumn(11).getString();
    row.user_name = q.getColumn(12).getString();
    row.user_email = q.getColumn(13).getString();
    row.message = q.getColumn(14).getString();
    rows.push_back(std::move(row));
  }
  return rows;
}

std::vector<VersionRow>
Index::versions(const std::string& artifact)
{
  return guard(m_path,
               [&] { return query_versions("artifact = ?1", artifact); });
}

std::vector<VersionRow>
Index::versions_with_hash(const std::string& hash)
{
  return guard(m_path, [&] { return query_versions("hash = ?1", hash); });
}

void
Index::fill_artifact(ArtifactRow& row)
{
  {
    auto& q = stmt("SELECT field, value FROM artifact_fields "
                   "WHERE artifact = ?");
    q.bind(1, row.name);
    while (q.executeStep()) {
      row.fields[q.getColumn(0).getString()] = q.getColumn(1).getString();
    }
  }
  {
    auto& q = stmt("SELECT tag FROM artifact_tags WHERE artifact = ? AND "
                   "present = 1 ORDER BY tag");
    q.bind(1, row.name);
    while (q.executeStep()) {
      row.tags.push_back(q.getColumn(0).getString());
    }
  }
  auto versions = query_versions("artifact = ?1", row.name);
  row.version_count = static_cast<int>(versions.size());
  if (!versions.empty()) {
    row.latest = versions.back();
  }
}

std::optional<ArtifactRow>
Index::artifact(const std::string& name)
{
  return guard(m_path, [&]() -> std::optional<ArtifactRow> {
    auto& q = stmt("SELECT name, created, created_node FROM artifacts "
                   "WHERE name = ?");
    q.bind(1, name);
    if (!q.executeStep()) {
      return std::nullopt;
    }
    ArtifactRow row;
    row.name = q.getColumn(0).getString();
    row.created = q.getColumn(1).getString();
    row.created_node = q.getColumn(2).getString();
    fill_artifact(row);
    return row;
  });
}

std::vector<ArtifactRow>
Index::artifacts(const std::optional<std::string>& kind)
{
  return guard(m_path, [&] {
    std::vector<ArtifactRow> rows;
    {
      auto& q = stmt("SELECT name, created, created_node FROM artifacts "
                     "ORDER BY name");
      while (q.executeStep()) {
        ArtifactRow row;
        row.name = q.getColumn(0).getString();
        row.created = q.getColumn(1).getString();
        row.created_node = q.getColumn(2).getString();
        rows.push_back(std::move(row));
      }
    }
    // Four scans for the whole table, rather than three queries per
    // artifact: a lake may have 100,000 of them.
    std::unordered_map<std::string, ArtifactRow*> by_name;
    for (auto& row : rows) {
      by_name[row.name] = &row;
    }
    {
      auto& q = stmt("SELECT artifact, field, value FROM artifact_fields");
      while (q.executeStep()) {
        if (auto it = by_name.find(q.getColumn(0).getString());
            it != by_name.end()) {
          it->second->fields[q.getColumn(1).getString()] =
              q.getColumn(2).getString();
        }
      }
    }
    {
      auto& q = stmt("SELECT artifact, tag FROM artifact_tags WHERE "
                     "present = 1 ORDER BY artifact, tag");
      while (q.executeStep()) {
        if (auto it = by_name.find(q.getColumn(0).getString());
            it != by_name.end()) {
          it->second->tags.push_back(q.getColumn(1).getString());
        }
      }
    }
    for (auto& latest :
         query_versions("ordinal = (SELECT max(ordinal) FROM versions w WHERE "
                        "w.artifact = v.artifact) AND ?1 = ?1",
                        "")) {
      if (auto it = by_name.find(latest.artifact); it != by_name.end()) {
        it->second->version_count = latest.ordinal;
        it->second->latest = std::move(latest);
      }
    }
    if (kind) {
      std::erase_if(rows, [&](const ArtifactRow& row) {
        return row.field("kind", "other") != *kind;
      });
    }
    return rows;
  });
}

std::optional<std::string>
Index::artifact_at_path(const std::string& path)
{
  return guard(m_path, [&]() -> std::optional<std::string> {
    auto& q = stmt("SELECT artifact FROM artifact_fields WHERE field = 'path' "
                   "AND value = ? ORDER BY time DESC, node DESC LIMIT 1");
    q.bind(1, path);
    if (q.executeStep()) {
      return q.getColumn(0).getString();
    }
    return std::nullopt;
  });
}

std::vector<AnnotationRow>
Index::annotations(const std::string& artifact)
{
  return guard(m_path, [&] {
    std::vector<AnnotationRow> rows;
    auto& q = stmt("SELECT a.node, a.artifact, a.field, a.value, a.time, "
                   "n.user_name, n.message FROM annotations a JOIN nodes n "
                   "ON n.id = a.node WHERE a.artifact = ? "
                   "ORDER BY a.time, a.node, a.field, a.value");
    q.bind(1, artifact);
    while (q.executeStep()) {
      AnnotationRow row;
      row.node = q.getColumn(0).getString();
      row.artifact = q.getColumn(1).getString();
      row.field = q.getColumn(2).getString();
      row.value = q.getColumn(3).getString();
      row.time = q.getColumn(4).getString();
      row.user_name = q.getColumn(5).getString();
      row.message = q.getColumn(6).getString();
      rows.push_back(std::move(row));
    }
    return rows;
  });
}

// A snapshot's entries are encoded back to back: u32 path length, the path,
// u64 ino, u64 size, i64 mtime_ns, i64 ctime_ns (in the machine's byte
// order: the cache never leaves the machine), then 64 hex digits.
namespace {

constexpr std::size_t stat_fixed_size = 4 + 8 * 4 + 64;

template <typename T>
void
put_raw(std::string& out, T value)
{
  out.append(reinterpret_cast<const char*>(&value), sizeof(value));
}

template <typename T>
T
get_raw(const char*& p)
{
  T value;
  std::memcpy(&value, p, sizeof(value));
  p += sizeof(value);
  return value;
}

} // namespace

const StatEntry*
StatSnapshot::find(std::string_view path) const
{
  auto it = std::lower_bound(
      m_entries.begin(),
      m_entries.end(),
      path,
      [](const StatEntry& e, std::string_view p) { return e.path < p; });
  return it != m_entries.end() && it->path == path ? &*it : nullptr;
}

std::vector<PromotionRow>
Index::promotions(const std::string& artifact)
{
  return guard(m_path, [&] {
    std::vector<PromotionRow> rows;
    auto& q = stmt("SELECT p.node, p.artifact, p.alias, p.version_node, "
                   "p.hash, p.time, p.forced, n.user_name, n.message "
                   "FROM promotions p JOIN nodes n ON n.id = p.node "
                   "WHERE p.artifact = ? ORDER BY p.time, p.node");
    q.bind(1, artifact);
    while (q.executeStep()) {
      PromotionRow row;
      row.node = q.getColumn(0).getString();
      row.artifact = q.getColumn(1).getString();
      row.alias = q.getColumn(2).getString();
      row.version_node = q.getColumn(3).getString();
      row.hash = q.getColumn(4).getString();
      row.time = q.getColumn(5).getString();
      row.forced = q.getColumn(6).getInt() != 0;
      row.user_name = q.getColumn(7).getString();
      row.message = q.getColumn(8).getString();
      rows.push_back(std::move(row));
    }
    return rows;
  });
}

std::optional<std::string>
Index::alias_target(const std::string& artifact, const std::string& alias)
{
  return guard(m_path, [&]() -> std::optional<std::string> {
    auto& q = stmt("SELECT version_node FROM promotions WHERE artifact = ? "
                   "AND alias = ? ORDER BY time DESC, node DESC LIMIT 1");
    q.bind(1, artifact);
    q.bind(2, alias);
    if (q.executeStep()) {
      return q.getColumn(0).getString();
    }
    return std::nullopt;
  });
}

std::vector<PurgeRow>
Index::purges()
{
  return guard(m_path, [&] {
    std::vector<PurgeRow> rows;
    auto& q = stmt("SELECT p.node, p.artifact, p.version_node, p.hash, "
                   "p.role, p.time, n.user_name, n.user_email, n.message "
                   "FROM purges p JOIN nodes n ON n.id = p.node "
                   "ORDER BY p.time, p.node, p.artifact, p.version_node");
    while (q.executeStep()) {
      PurgeRow row;
      row.node = q.getColumn(0).getString();
      row.artifact = q.getColumn(1).getString();
      row.version_node = q.getColumn(2).getString();
      row.hash = q.getColumn(3).getString();
      row.role = q.getColumn(4).getString();
      row.time = q.getColumn(5).getString();
      row.user_name = q.getColumn(6).getString();
      row.user_email = q.getColumn(7).getString();
      row.message = q.getColumn(8).getString();
      rows.push_back(std::move(row));
    }
    return rows;
  });
}

std::vector<std::string>
Index::purged_objects()
{
  return guard(m_path, [&] {
    std::vector<std::string> hashes;
    auto& q = stmt("SELECT DISTINCT hash FROM purged_objects ORDER BY hash");
    while (q.executeStep()) {
      hashes.push_back(q.getColumn(0).getString());
    }
    return hashes;
  });
}

std::vector<VersionRow>
Index::stored_folder_versions()
{
  return guard(m_path, [&] {
    return query_versions("type = 'dir' AND v.stored = 1 AND ?1 = ?1", "");
  });
}

std::vector<ApprovalRow>
Index::approvals(const std::string& artifact)
{
  return guard(m_path, [&] {
    std::vector<ApprovalRow> rows;
    auto& q = stmt("SELECT a.node, a.artifact, a.version_node, a.hash, "
                   "a.decision, a.time, n.user_name, n.user_email, "
                   "n.message FROM approvals a JOIN nodes n ON n.id = a.node "
                   "WHERE a.artifact = ? ORDER BY a.time, a.node");
    q.bind(1, artifact);
    while (q.executeStep()) {
      ApprovalRow row;
      row.node = q.getColumn(0).getString();
      row.artifact = q.getColumn(1).getString();
      row.version_node = q.getColumn(2).getString();
      row.hash = q.getColumn(3).getString();
      row.decision = q.getColumn(4).getString();
      row.time = q.getColumn(5).getString();
      row.user_name = q.getColumn(6).getString();
      row.user_email = q.getColumn(7).getString();
      row.message = q.getColumn(8).getString();
      rows.push_back(std::move(row));
    }
    return rows;
  });
}

namespace {

MetricRow
read_metric_row(SQLite::Statement& q)
{
  MetricRow row;
  row.node = q.getColumn(0).getString();
  row.kind = q.getColumn(1).getString();
  row.key = q.getColumn(2).getString();
  row.value = q.getColumn(3).getDouble();
  row.time = q.getColumn(4).getString();
  row.source = q.getColumn(5).getString();
  return row;
}

} // namespace

std::vector<MetricRow>
Index::observations(const std::string& artifact,
                    const std::string& version_node)
{
  return guard(m_path, [&] {
    std::vector<MetricRow> rows;
    auto& q = stmt("SELECT m.node, n.kind, m.key, m.value, m.time, "
                   "m.source FROM metrics m JOIN nodes n ON n.id = m.node "
                   "WHERE m.artifact = ? AND m.version_node = ? "
                   "AND n.kind = 'metric' ORDER BY m.time, m.node, m.key");
    q.bind(1, artifact);
    q.bind(2, version_node);
    while (q.executeStep()) {
      rows.push_back(read_metric_row(q));
    }
    return rows;
  });
}

std::vector<MetricRow>
Index::version_metrics(const std::string& artifact,
                       const std::string& version_node)
{
  return guard(m_path, [&] {
    std::vector<MetricRow> rows;
    auto& q = stmt(
        "SELECT m.node, n.kind, m.key, m.value, m.time, m.source "
        "FROM metrics m JOIN nodes n ON n.id = m.node "
        "WHERE n.kind <> 'metric' AND (m.node = ?2 OR m.node IN "
        "(SELECT node FROM node_io WHERE direction = 'in' AND "
        "artifact = ?1 AND source = ?2)) ORDER BY n.time_end, m.node, m.key");
    q.bind(1, artifact);
    q.bind(2, version_node);
    while (q.executeStep()) {
      rows.push_back(read_metric_row(q));
    }
    return rows;
  });
}

StatSnapshot
Index::stat_snapshot(const std::string& root)
{
  return guard(m_path, [&] {
    StatSnapshot snapshot;
    auto& q = stmt("SELECT whole_hash, entries FROM stat_snapshots "
                   "WHERE root = ?");
    q.bind(1, root);
    if (!q.executeStep()) {
      return snapshot;
    }
    snapshot.m_whole = q.getColumn(0).getString();
    auto column = q.getColumn(1);
    const auto size = static_cast<std::size_t>(column.getBytes());
    snapshot.m_blob.reset(new char[size]);
    if (size) {
      std::memcpy(snapshot.m_blob.get(), column.getBlob(), size);
    }
    const char* p = snapshot.m_blob.get();
    const char* end = p + size;
    while (static_cast<std::size_t>(end - p) >= stat_fixed_size) {
      auto length = get_raw<std::uint32_t>(p);
      if (static_cast<std::size_t>(end - p) < length + stat_fixed_size - 4) {
        // Damaged: drop the snapshot; the files are hashed again.
        snapshot.m_entries.clear();
        snapshot.m_whole.clear();
        break;
      }
      StatEntry e;
      e.path = std::string_view(p, length);
      p += length;
      e.ino = get_raw<std::uint64_t>(p);
      e.size = get_raw<std::uint64_t>(p);
      e.mtime_ns = get_raw<std::int64_t>(p);
      e.ctime_ns = get_raw<std::int64_t>(p);
      e.hash = std::string_view(p, 64);
      p += 64;
      snapshot.m_entries.push_back(e);
    }
    return snapshot;
  });
}

void
Index::put_stat_snapshot(const std::string& root,
                         const std::vector<StatEntry>& entries,
                         const std::string& whole_hash)
{
  std::string blob;
  blob.reserve(entries.size() * (stat_fixed_size + 32));
  for (const auto& e : entries) {
    if (e.hash.size() != 64) {
      continue;
    }
    put_raw(blob, static_cast<std::uint32_t>(e.path.size()));
    blob.append(e.path);
    put_raw(blob, e.ino);
    put_raw(blob, e.size);
    put_raw(blob, e.mtime_ns);
    put_raw(blob, e.ctime_ns);
    blob.append(e.hash);
  }
  guard(m_path, [&] {
    auto& q = stmt("INSERT OR REPLACE INTO stat_snapshots(root, whole_hash, "
                   "entries) VALUES(?, ?, ?)");
    q.bind(1, root);
    q.bind(2, whole_hash);
    q.bind(3, blob.data(), static_cast<int>(blob.size()));
    q.exec();
  });
}

void
Index::remove_stat_snapshot(const std::string& root)
{
  guard(m_path, [&] {
    auto& q = stmt("DELETE FROM stat_snapshots WHERE root = ?");
    q.bind(1, root);
    q.exec();
  });
}

} // namespace mlake::index
