#include <mlake/lake/lake.hpp>
#include <mlake/util/error.hpp>
#include <mlake/util/hash.hpp>
#include <mlake/util/interrupt.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <unordered_set>

namespace mlake::lake {

namespace {

constexpr const char* lake_dir_name = ".mlake";

int
lock_timeout_ms()
{
  if (const char* env = std::getenv("MLAKE_LOCK_TIMEOUT")) {
    char* end = nullptr;
    double seconds = std::strtod(env, &end);
    if (end != env && seconds >= 0) {
      return static_cast<int>(seconds * 1000);
    }
  }
  return 5000;
}

void
make_dir(const fs::path& path)
{
  if (::mkdir(path.c_str(), 0755) != 0 && errno != EEXIST) {
    throw Error(Exit::usage,
                "cannot create " + quote(path.string()) + ": " +
                    util::errno_text(errno));
  }
}

} // namespace

fs::path
lake_dir_of(const fs::path& root)
{
  return root / lake_dir_name;
}

Lake::Lake(fs::path root, Config config)
    : m_root(std::move(root)), m_dir(lake_dir_of(m_root)),
      m_config(std::move(config)), m_objects(m_dir), m_nodes(m_dir)
{}

Lake::Lake(Lake&&) noexcept = default;
Lake::~Lake() = default;

Lake
Lake::init(const fs::path& dir)
{
  fs::path root = util::absolute_normal(dir);
  std::error_code ec;
  fs::create_directories(root, ec);
  if (ec) {
    throw Error(Exit::usage,
                "cannot create " + quote(root.string()) + ": " + ec.message());
  }
  if (fs::exists(lake_dir_of(root))) {
    throw Error(Exit::usage,
                quote(root.string()) + " is already a lake",
                "use it as it is, or remove its .mlake folder to start over");
  }

  // Build the lake under a temporary name and rename it into place, so that
  // an interrupted init leaves no half-made lake behind.
  fs::path staging = util::temp_name(root, "mlake-init");
  struct Cleanup
  {
    fs::path path;
    ~Cleanup()
    {
      std::error_code ignored;
      fs::remove_all(path, ignored);
    }
  } cleanup{staging};
  make_dir(staging);
  for (const char* sub : {"objects", "nodes", "tmp"}) {
    make_dir(staging / sub);
  }
  Config config;
  config.user = discover_identity(root);
  config.save(staging / "config.yaml");
  {
    index::Index created(staging / "index.db");
  }
  util::fsync_dir(staging);
  if (::rename(staging.c_str(), lake_dir_of(root).c_str()) != 0) {
    throw Error(Exit::usage,
                "cannot create " + quote(lake_dir_of(root).string()) + ": " +
                    util::errno_text(errno));
  }
  cleanup.path.clear();
  util::fsync_dir(root);
  return open(root);
}

Lake
Lake::open(const fs::path& start)
{
  fs::path dir = util::absolute_normal(start);
  for (;;) {
    auto st = util::stat_path(lake_dir_of(dir));
    if (st && st->is_dir()) {
      Config config = Config::load(lake_dir_of(dir) / "config.yaml");
      return Lake(dir, std::move(config));
    }
    if (dir == dir.root_path() || !dir.has_parent_path()) {
      break;
    }
    dir = dir.parent_path();
  }
  throw Error(Exit::not_a_lake,
              "not inside a lake (no .mlake folder here or in any parent)",
              "run 'mlake init' to make one");
}

Identity
Lake::identity() const
{
  Identity who = current_identity(m_config.user);
  if (who.name.empty() || who.email.empty()) {
    // A config.yaml without a user: find one as init does.
    Identity found = discover_identity(m_root);
    who.name = who.name.empty() ? found.name : who.name;
    who.email = who.email.empty() ? found.email : who.email;
  }
  return who;
}

void
Lake::lock(const std::string& what)
{
  if (!m_lock) {
    m_lock = std::make_unique<util::FileLock>(
        m_dir / "lock", what, lock_timeout_ms());
    // Another writer may have added nodes since the index was opened.
    if (m_index) {
      sync_index(*m_index);
    }
  }
}

std::string
Lake::nodes_dir_stamp() const
{
  auto st = util::stat_path(m_nodes.dir());
  if (!st) {
    throw Error(Exit::integrity,
                "the lake has no " + quote(m_nodes.dir().string()),
                "the .mlake folder is damaged");
  }
  return std::to_string(st->mtime_ns) + ":" + std::to_string(st->ctime_ns) +
         ":" + std::to_string(st->ino);
}

index::Index&
Lake::index()
{
  if (!m_index) {
    auto opened = std::make_unique<index::Index>(m_dir / "index.db");
    sync_index(*opened);
    m_index = std::move(opened);
  }
  return *m_index;
}

void
Lake::sync_index(index::Index& idx)
{
  const bool full = idx.needs_reprojection();
  const std::string stamp = nodes_dir_stamp();
  // A commit that died between writing its node and indexing it leaves
  // this mark; the folder's mtime alone could miss it when both happened
  // within one tick of the file clock.
  const bool interrupted_commit =
      !idx.meta("pending_commit").value_or("").empty();
  if (!full && !interrupted_commit && idx.meta("nodes_stamp") == stamp) {
    return;
  }
  // Bringing the index up to date is a write: it needs the lock. When a
  // writer holds it, that writer will update the index itself, and a
  // reader can answer from the index as it is.
  std::unique_ptr<util::FileLock> temporary;
  if (!m_lock) {
    temporary = util::FileLock::try_lock(m_dir / "lock", "mlake index update");
    if (!temporary) {
      if (!full) {
        return;
      }
      temporary = std::make_unique<util::FileLock>(
          m_dir / "lock", "mlake index update", lock_timeout_ms());
    }
  }
  if (full) {
    reproject(idx, util::no_progress());
    return;
  }
  auto on_disk = m_nodes.list();
  std::unordered_set<std::string> known;
  for (auto& id : idx.all_node_ids()) {
    known.insert(std::move(id));
  }
  // Nodes are never deleted: one that went away stays in the index, so
  // that fsck can name it (a deleted head node is named by no other node).
  // 'mlake reindex' is how a user accepts the loss.
  idx.transaction([&] {
    std::vector<std::string> touched;
    for (const auto& id : on_disk) {
      if (!known.count(id)) {
        apply_from_disk(idx, id, &touched);
      }
    }
    idx.settle(touched);
    idx.set_meta("nodes_stamp", stamp);
    idx.set_meta("pending_commit", "");
  });
}

bool
Lake::apply_from_disk(index::Index& idx,
                      const std::string& id,
                      std::vector<std::string>* touched)
{
  auto bytes = m_nodes.read_bytes(id);
  if (!bytes || util::sha256_hex(*bytes) != id) {
    return false; // fsck reports it; the index only holds sound nodes
  }
  json node = json::parse(*bytes, nullptr, false);
  if (node.is_discarded() || store::node_shape_problem(node)) {
    return false;
  }
  idx.apply(id, node);
  if (touched) {
    for (const auto& output : node["outputs"]) {
      touched->push_back(output["artifact"].get<std::string>());
    }
  }
  return true;
}

void
Lake::reproject(index::Index& idx, util::Progress& progress)
{
  const std::string stamp = nodes_dir_stamp();
  auto ids = m_nodes.list();
  util::ProgressPhase phase(progress, "indexing", ids.size(), 0);
  idx.transaction([&] {
    idx.clear_projection();
    for (const auto& id : ids) {
      util::throw_if_interrupted();
      progress.advance(1, 0);
      apply_from_disk(idx, id, nullptr);
    }
    idx.settle();
    idx.set_meta("nodes_stamp", stamp);
    idx.set_meta("pending_commit", "");
  });
}

void
Lake::reindex(util::Progress& progress)
{
  if (!m_lock) {
    lock("mlake reindex");
  }
  m_index.reset();
  std::unique_ptr<index::Index> opened;
  try {
    opened = std::make_unique<index::Index>(m_dir / "index.db");
    reproject(*opened, progress);
  } catch (const Error& e) {
    if (e.code() == Exit::interrupted) {
      throw;
    }
    // The database itself is damaged (or its tables are not what its
    // schema version says): start a new one. Only the stat cache is lost,
    // and the next status rebuilds it.
    opened.reset();
    for (const char* name : {"index.db", "index.db-wal", "index.db-shm"}) {
      std::error_code ignored;
      fs::remove(m_dir / name, ignored);
    }
    opened = std::make_unique<index::Index>(m_dir / "index.db");
    reproject(*opened, progress);
  }
  m_index = std::move(opened);
}

void
Lake::set_config(Config config)
{
  if (!m_lock) {
    throw std::logic_error("set_config without the lake lock");
  }
  config.save(m_dir / "config.yaml");
  m_config = std::move(config);
}

void
Lake::receive_nodes(
    const std::vector<std::pair<std::string, std::string>>& id_bytes)
{
  if (!m_lock) {
    throw std::logic_error("receive_nodes without the lake lock");
  }
  if (id_bytes.empty()) {
    return;
  }
  auto& idx = index();
  // As for a commit: an index that misses nodes written within one tick
  // of the file clock is caught by this mark.
  idx.set_meta("pending_commit", "1");
  for (const auto& [id, bytes] : id_bytes) {
    util::throw_if_interrupted();
    m_nodes.write_verified(id, bytes);
  }
  idx.transaction([&] {
    std::vector<std::string> touched;
    for (const auto& [id, bytes] : id_bytes) {
      if (!idx.has_node(id)) {
        apply_from_disk(idx, id, &touched);
      }
    }
    idx.settle(touched);
    idx.set_meta("nodes_stamp", nodes_dir_stamp());
    idx.set_meta("pending_commit", "");
  });
}

std::string
Lake::commit(json node)
{
  if (!m_lock) {
    throw std::logic_error("commit without the lake lock");
  }
  // Everything the node refers to must be on disk before the node is.
  // Large objects were synced one by one as they were written; the small
  // ones are synced here, in one batch.
  if (m_objects.take_unsynced() > 0) {
    util::sync_filesystem(m_dir);
  }
  auto& idx = index();
  node["parents"] = idx.heads();
  if (!node.contains("user")) {
    Identity who = identity();
    node["user"] = {{"name", who.name}, {"email", who.email}};
  }
  if (!node.contains("host")) {
    node["host"] = host_name();
  }
  node["format"] = node_format;
  if (auto problem = store::node_shape_problem(node)) {
    throw std::logic_error("malformed node: " + *problem);
  }
  idx.set_meta("pending_commit", "1");
  std::string id = m_nodes.write(node);
  idx.transaction([&] {
    idx.apply(id, node);
    std::vector<std::string> touched;
    for (const auto& output : node["outputs"]) {
      touched.push_back(output["artifact"].get<std::string>());
    }
    idx.settle(touched);
    idx.set_meta("nodes_stamp", nodes_dir_stamp());
    idx.set_meta("pending_commit", "");
  });
  return id;
}

} // namespace mlake::lake
