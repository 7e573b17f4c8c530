#include <mlake/data/csv.hpp>
#include <mlake/data/metafeatures.hpp>
#include <mlake/data/model_scan.hpp>
#include <mlake/lake/erasure.hpp>
#include <mlake/lake/lake.hpp>
#include <mlake/lake/lock_file.hpp>
#include <mlake/lake/metadata.hpp>
#include <mlake/lake/workspace.hpp>
#include <mlake/store/tree.hpp>
#include <mlake/util/error.hpp>
#include <mlake/util/hash.hpp>
#include <mlake/util/interrupt.hpp>
#include <mlake/util/parallel.hpp>
#include <mlake/util/time.hpp>

#include <algorithm>
#include <atomic>
#include <set>

#include "workspace_util.hpp"

namespace mlake::lake {

namespace {

struct Target
{
  ProjectPath where;
  bool is_dir = false;
  std::string artifact;
  std::optional<index::ArtifactRow> existing;
  AddedPath result;
  json metafeatures; // for CSV/TSV and model files, null otherwise
};

void
check_options(const AddOptions& options)
{
  if (options.paths.empty()) {
    throw Error(
        Exit::usage, "no path given", "say what to add: mlake add PATH...");
  }
  check_message(options.message);
  if (options.name) {
    if (options.paths.size() != 1) {
      throw Error(Exit::usage, "--name needs exactly one path");
    }
    check_artifact_name(*options.name);
  }
  if (options.kind) {
    check_choice("kind", *options.kind, artifact_kinds());
  }
  if (options.security) {
    check_choice("security level", *options.security, security_levels());
  }
  for (const auto& tag : options.tags) {
    check_tag(tag);
  }
}

// A tracked path is never inside another one.
void
check_no_overlap(const LockFile& lock, const std::string& rel)
{
  if (auto covering = lock.covering(rel); covering && covering->first != rel) {
    throw Error(
        Exit::usage,
        quote(rel) + " is inside the tracked folder " + quote(covering->first),
        "add " + quote(covering->first) + " again to record a change in it");
  }
  auto inside = lock.entries.lower_bound(rel + "/");
  if (inside != lock.entries.end() && inside->first.starts_with(rel + "/")) {
    throw Error(Exit::usage,
                quote(rel) + " contains the tracked path " +
                    quote(inside->first),
                "add the paths inside it one by one instead");
  }
}

// Check one path the user named and decide which artifact it belongs to.
Target
make_target(Lake& lake,
            const AddOptions& options,
            const std::string& text,
            const LockFile& lock,
            const fs::path& real_root)
{
  Target t;
  t.where = resolve_project_path(lake, options.cwd, text);
  auto lst = util::lstat_path(t.where.abs);
  if (!lst) {
    throw Error(Exit::not_found, "no such file or folder " + quote(text));
  }
  std::error_code ec;
  fs::path real = fs::canonical(t.where.abs, ec);
  if (ec) {
    throw Error(Exit::usage,
                "cannot resolve " + quote(text) + ": " + ec.message());
  }
  if (!util::is_within(real, real_root)) {
    throw Error(Exit::usage,
                quote(text) +
                    " is a symbolic link leading outside the "
                    "project, to " +
                    quote(real.string()),
                "copy the file into the project instead");
  }
  auto st = util::stat_path(t.where.abs);
  if (!st || (!st->is_dir() && !st->is_regular())) {
    throw Error(Exit::usage,
                quote(text) + " is not a regular file or a folder");
  }
  t.is_dir = st->is_dir();
  const std::string& rel = t.where.rel;

  check_no_overlap(lock, rel);

  auto& idx = lake.index();
  std::optional<std::string> tracked_as;
  if (auto it = lock.entries.find(rel); it != lock.entries.end()) {
    tracked_as = it->second.artifact;
  } else if (auto at = idx.artifact_at_path(rel)) {
    tracked_as = at;
  }
  if (tracked_as && options.name && *options.name != *tracked_as) {
    throw Error(Exit::usage,
                quote(rel) + " is already tracked as " + quote(*tracked_as),
                "leave out --name to add a new version of it");
  }
  t.artifact = tracked_as.value_or(options.name.value_or(rel));
  check_artifact_name(t.artifact);
  t.existing = idx.artifact(t.artifact);
  return t;
}

// Inspect a model file (safetensors, GGUF, pickles, PyTorch and joblib
// files): {"model": {...}}, or null when it is none. Only headers and
// pickle opcodes are read, so files of any size are inspected.
json
describe_model(Lake& lake, const Target& t)
{
  data::ModelScanOptions options;
  options.name = t.where.rel;
  auto model = data::scan_model(lake.objects().path_of(t.result.hash), options);
  return model ? json{{"model", std::move(*model)}} : json();
}

// Compute the metafeatures of the CSV/TSV files and inspect the model
// files among the new versions, from the stored objects (which cannot
// change underneath), on every core.
void
describe_tables(Lake& lake,
                std::vector<Target>& targets,
                const AddOptions& options)
{
  std::vector<Target*> tables;
  for (auto& t : targets) {
    if (!t.is_dir && t.result.changed &&
        (!data::is_tabular(t.where.rel) ||
         lake.config().wants_metafeatures(t.result.size))) {
      tables.push_back(&t);
    }
  }
  util::parallel_for(tables.size(), util::default_jobs(), [&](std::size_t i) {
    Target& t = *tables[i];
    if (!data::is_tabular(t.where.rel)) {
      t.metafeatures = describe_model(lake, t);
      if (!t.metafeatures.is_null()) {
        t.result.model = t.metafeatures["model"];
      }
      return;
    }
    data::MetafeatureOptions mf;
    mf.target = options.target;
    // The object is read, but errors name the file the user added.
    mf.name = t.where.rel;
    try {
      t.metafeatures =
          data::metafeatures(lake.objects().path_of(t.result.hash), mf);
    } catch (const Error& e) {
      if (options.target) {
        throw; // the user asked for something this file does not have
      }
      // A file named .csv that is not valid delimited text is still
      // tracked; the node says why it has no metafeatures.
      t.metafeatures = {{"error", e.what()}};
    }
  });
}

// The metadata this add sets for one artifact: everything for a new one,
// only what the user changed for an existing one.
json
metadata_changes(const Target& t, const AddOptions& options)
{
  json changes = json::object();
  auto set = [&](const char* field,
                 const std::optional<std::string>& value,
                 const std::string& fallback_for_new) {
    if (!t.existing) {
      std::string v = value.value_or(fallback_for_new);
      if (!v.empty()) {
        changes[field] = v;
      }
    } else if (value && t.existing->field(field) != *value) {
      changes[field] = *value;
    }
  };
  std::string inferred = infer_kind(t.where.rel, t.is_dir);
  if (options.new_kind && (inferred == "other" || inferred == "dataset")) {
    inferred = *options.new_kind;
  }
  set("kind", options.kind, inferred);
  set("security", options.security, "internal");
  set("owner", options.owner, "");
  set("description", options.description, "");
  std::vector<std::string> new_tags;
  for (const auto& tag : options.tags) {
    bool present = t.existing && std::find(t.existing->tags.begin(),
                                           t.existing->tags.end(),
                                           tag) != t.existing->tags.end();
    if (!present &&
        std::find(new_tags.begin(), new_tags.end(), tag) == new_tags.end()) {
      new_tags.push_back(tag);
    }
  }
  if (!new_tags.empty()) {
    changes["tags"] = {{"add", new_tags}};
  }
  return changes;
}

} // namespace

struct StagedAdd::Detail
{
  LockFile lock;
  std::vector<Target> targets;
  std::vector<RootFiles> scans;
  std::int64_t clock_before_stat = 0;
  AddOptions options;
};

StagedAdd::StagedAdd() = default;
StagedAdd::StagedAdd(StagedAdd&&) noexcept = default;
StagedAdd& StagedAdd::operator=(StagedAdd&&) noexcept = default;
StagedAdd::~StagedAdd() = default;

StagedAdd
stage_add(Lake& lake,
          const AddOptions& options,
          bool always_new_version,
          util::Progress& progress)
{
  check_options(options);
  if (!lake.locked()) {
    throw std::logic_error("stage_add without the lake lock");
  }
  auto& idx = lake.index();
  const auto& objects = lake.objects();
  StagedAdd staged;
  staged.m_detail = std::make_unique<StagedAdd::Detail>();
  auto& d = *staged.m_detail;
  d.options = options;
  d.lock = LockFile::load(lake.root());
  const fs::path real_root = fs::canonical(lake.root());

  std::set<std::string> seen;
  for (const auto& text : options.paths) {
    Target t = make_target(lake, options, text, d.lock, real_root);
    if (seen.insert(t.where.rel).second) {
      d.targets.push_back(std::move(t));
    }
  }
  for (const auto& a : d.targets) {
    for (const auto& b : d.targets) {
      if (a.where.rel != b.where.rel &&
          b.where.rel.starts_with(a.where.rel + "/")) {
        throw Error(Exit::usage,
                    quote(b.where.rel) + " is inside " + quote(a.where.rel) +
                        ", which is also being added",
                    "add one or the other");
      }
    }
  }

  // A --target column that a table does not have is refused before
  // anything is stored, so that the refusal leaves no object behind.
  if (options.target) {
    for (const auto& t : d.targets) {
      auto st = util::stat_path(t.where.abs);
      if (!t.is_dir && st && data::is_tabular(t.where.rel) &&
          lake.config().wants_metafeatures(st->size)) {
        data::check_column(t.where.abs, *options.target, t.where.rel);
      }
    }
  }

  // Files whose mtime is not older than this may still change unseen.
  d.clock_before_stat = util::file_clock_now_ns();
  auto in_store = [&](std::string_view hash) { return objects.contains(hash); };
  for (const auto& t : d.targets) {
    util::throw_if_interrupted();
    RootFiles scan;
    scan.rel = t.where.rel;
    scan.abs = t.where.abs;
    scan.is_dir = t.is_dir;
    scan_root(
        scan, real_root, [&] { return idx.stat_snapshot(scan.rel); }, in_store);
    if (!t.is_dir && scan.files.empty()) {
      throw Error(Exit::not_found,
                  quote(t.where.rel) + " disappeared while it was added");
    }
    d.scans.push_back(std::move(scan));
  }

  std::atomic<std::uint64_t> stored_files{0}, stored_bytes{0};
  hash_missing(
      d.scans,
      [&](const fs::path& path) {
        auto stored = objects.put_file(path, progress);
        if (stored.added) {
          stored_files += 1;
          stored_bytes += stored.size;
        }
        return HashedSize{stored.hash, stored.size};
      },
      progress,
      "adding");
  staged.files_stored = stored_files;
  staged.bytes_stored = stored_bytes;

  const Erasure purges = load_purges(lake);
  for (std::size_t k = 0; k < d.targets.size(); ++k) {
    Target& t = d.targets[k];
    const RootFiles& scan = d.scans[k];
    AddedPath& r = t.result;
    r.path = t.where.rel;
    r.artifact = t.artifact;
    r.type = t.is_dir ? "dir" : "file";
    r.new_artifact = !t.existing;
    if (t.is_dir) {
      store::Tree tree = tree_of(scan);
      r.hash = !scan.whole.empty() && objects.contains(scan.whole)
                   ? scan.whole
                   : objects.put_bytes(store::serialize_tree(tree));
      r.size = tree.total_size();
      r.files = tree.entries.size();
    } else {
      r.hash = scan.files.front().hash;
      r.size = scan.files.front().size;
      r.files = 1;
      r.exec = scan.files.front().st.is_exec();
    }
    const auto& latest = t.existing ? t.existing->latest : std::nullopt;
    // Bytes a purge erased, tracked again, are a new version: the purged
    // one stays erased.
    r.changed = always_new_version || !latest || latest->hash != r.hash ||
                latest->path != r.path || latest->type != r.type ||
                latest->exec != r.exec ||
                purges.purged(latest->artifact, latest->node);
    r.version = t.existing ? t.existing->version_count : 0;
    staged.paths.push_back(r);
  }
  describe_tables(lake, d.targets, options);
  util::throw_if_interrupted();
  return staged;
}

void
check_addable(const Lake& lake, const std::vector<std::string>& paths)
{
  LockFile lock = LockFile::load(lake.root());
  for (const auto& rel : paths) {
    check_no_overlap(lock, rel);
  }
}

json
StagedAdd::outputs() const
{
  json outputs = json::array();
  for (const auto& t : m_detail->targets) {
    if (!t.result.changed) {
      continue;
    }
    json out = {{"artifact", t.artifact},
                {"hash", t.result.hash},
                {"path", t.result.path},
                {"role", "output"},
                {"size", t.result.size},
                {"type", t.result.type}};
    if (t.is_dir) {
      out["files"] = t.result.files;
    } else if (t.result.exec) {
      out["exec"] = true;
    }
    if (!t.metafeatures.is_null()) {
      out["metafeatures"] = t.metafeatures;
    }
    outputs.push_back(std::move(out));
  }
  return outputs;
}

json
StagedAdd::metadata() const
{
  json metadata = json::object();
  for (const auto& t : m_detail->targets) {
    if (!t.result.changed) {
      continue;
    }
    json changes = metadata_changes(t, m_detail->options);
    if (!changes.empty()) {
      metadata[t.artifact] = std::move(changes);
    }
  }
  return metadata;
}

AddResult
finish_add(Lake& lake,
           StagedAdd&& staged,
           const std::optional<std::string>& node)
{
  // The change is recorded (or there was none): what follows brings the
  // workspace's bookkeeping in line. If it is cut short, a re-run of the
  // same add finds nothing new to record and repairs it.
  auto& d = *staged.m_detail;
  auto& idx = lake.index();
  AddResult result;
  result.node = node;
  LockFile updated = d.lock;
  for (auto& t : d.targets) {
    AddedPath& r = t.result;
    if (r.changed && node) {
      ++r.version;
    }
    auto row = idx.artifact(t.artifact);
    std::erase_if(updated.entries, [&](const auto& entry) {
      return entry.second.artifact == t.artifact && entry.first != r.path;
    });
    LockEntry entry;
    entry.artifact = t.artifact;
    entry.kind = row ? row->field("kind", "other") : "other";
    entry.type = r.type;
    entry.size = r.size;
    entry.files = r.files;
    entry.exec = r.exec;
    entry.hash = r.hash;
    entry.node = r.changed && node
                     ? *node
                     : (row && row->latest ? row->latest->node : "");
    updated.entries[r.path] = std::move(entry);
    result.paths.push_back(r);
  }
  if (updated.entries != d.lock.entries) {
    updated.save(lake.root());
  }
  idx.transaction([&] {
    for (std::size_t k = 0; k < d.targets.size(); ++k) {
      store_snapshot(
          idx, d.scans[k], d.targets[k].result.hash, d.clock_before_stat);
    }
  });
  std::vector<std::string> rels;
  for (const auto& t : d.targets) {
    rels.push_back(t.where.rel);
  }
  ensure_gitignored(lake.root(), rels);
  result.files_stored = staged.files_stored;
  result.bytes_stored = staged.bytes_stored;
  return result;
}

AddResult
add(Lake& lake, const AddOptions& options, util::Progress& progress)
{
  check_options(options);
  lake.lock("mlake add");
  const util::Micros start = util::now_micros();
  StagedAdd staged = stage_add(lake, options, false, progress);
  std::optional<std::string> node_id;
  json outputs = staged.outputs();
  if (!outputs.empty()) {
    json node = {{"kind", "add"},
                 {"message", options.message},
                 {"inputs", json::array()},
                 {"outputs", std::move(outputs)},
                 {"env", basic_env()},
                 {"time",
                  {{"start", util::format_rfc3339(start)},
                   {"end", util::format_rfc3339(util::now_micros())}}}};
    if (json metadata = staged.metadata(); !metadata.empty()) {
      node["metadata"] = std::move(metadata);
    }
    node_id = lake.commit(std::move(node));
  }
  return finish_add(lake, std::move(staged), node_id);
}

} // namespace mlake::lake
