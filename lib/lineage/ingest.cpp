#include <mlake/data/csv.hpp>
#include <mlake/data/metafeatures.hpp>
#include <mlake/data/model_scan.hpp>
#include <mlake/lake/lake.hpp>
#include <mlake/lake/lock_file.hpp>
#include <mlake/lake/metadata.hpp>
#include <mlake/lineage/capture.hpp>
#include <mlake/lineage/ingest.hpp>
#include <mlake/store/object_store.hpp>
#include <mlake/store/tree.hpp>
#include <mlake/store/walk.hpp>
#include <mlake/util/error.hpp>
#include <mlake/util/hash.hpp>
#include <mlake/util/http.hpp>
#include <mlake/util/interrupt.hpp>
#include <mlake/util/time.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>

namespace mlake::lineage {

using lake::Lake;

namespace {

bool
is_url(const std::string& source)
{
  std::string lower = source.substr(0, 8);
  std::transform(
      lower.begin(), lower.end(), lower.begin(), [](unsigned char c) {
        return static_cast<char>(std::tolower(c));
      });
  return lower.starts_with("http://") || lower.starts_with("https://");
}

std::string
name_of_url(const std::string& url)
{
  std::string path = url.substr(0, url.find_first_of("?#"));
  auto scheme = path.find("://");
  auto slash = path.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  if (slash == std::string::npos) {
    return "download";
  }
  path = path.substr(slash);
  while (!path.empty() && path.back() == '/') {
    path.pop_back();
  }
  std::string name = path.substr(path.rfind('/') + 1);
  return name.empty() ? "download" : name;
}

void
copy_file(const fs::path& source, const fs::path& dest, unsigned mode)
{
  util::UniqueFd in(::open(source.c_str(), O_RDONLY | O_CLOEXEC));
  if (!in) {
    throw Error(Exit::not_found,
                "cannot read " + quote(source.string()) + ": " +
                    util::errno_text(errno));
  }
  fs::create_directories(dest.parent_path());
  util::AtomicFile out(dest.parent_path(), dest.filename().string(), mode);
  util::copy_contents(in.get(), out.fd(), source, dest);
  out.commit(dest, util::AtomicFile::Sync::none);
}

// Copy a folder under a temporary name beside `dest`, then put it in place.
void
copy_folder(const fs::path& source, const fs::path& dest)
{
  fs::path staging =
      util::temp_name(dest.parent_path(), dest.filename().string());
  struct Cleanup
  {
    fs::path path;
    ~Cleanup()
    {
      if (!path.empty()) {
        std::error_code ignored;
        fs::remove_all(path, ignored);
      }
    }
  } cleanup{staging};
  fs::create_directories(staging);
  for (const auto& walked : store::walk_files(source, source)) {
    util::throw_if_interrupted();
    copy_file(source / walked.path,
              staging / walked.path,
              walked.st.is_exec() ? 0755 : 0644);
  }
  std::error_code ec;
  fs::remove_all(dest, ec);
  fs::rename(staging, dest, ec);
  if (ec) {
    throw Error(Exit::usage,
                "cannot write " + quote(dest.string()) + ": " + ec.message());
  }
  cleanup.path.clear();
}

std::string
tree_hash_of(const fs::path& dir, std::uint64_t& size)
{
  store::Tree tree;
  for (const auto& walked : store::walk_files(dir, dir)) {
    util::throw_if_interrupted();
    tree.entries.push_back({walked.path,
                            walked.st.size,
                            walked.st.is_exec(),
                            store::hash_file(dir / walked.path)});
    size += walked.st.size;
  }
  return util::sha256_hex(store::serialize_tree(tree));
}

} // namespace

IngestResult
ingest(Lake& lake, const IngestOptions& options, util::Progress& progress)
{
  lake::check_message(options.message);
  lake::check_choice("ingest mode", options.mode, {"copy", "reference"});
  if (options.security) {
    lake::check_choice(
        "security level", *options.security, lake::security_levels());
  }
  for (const auto& tag : options.tags) {
    lake::check_tag(tag);
  }

  // Where it comes from.
  const bool url = is_url(options.source);
  if (!url && options.source.find("://") != std::string::npos) {
    throw Error(Exit::usage,
                "cannot ingest from " + quote(util::redact_url(options.source)),
                "give a path, or an http:// or https:// URL");
  }
  json source;
  fs::path local;
  std::string type;
  if (url) {
    type = "url";
    source = {{"type", "url"},
              {"location", util::redact_url(options.source)},
              {"name", name_of_url(options.source)}};
  } else {
    local = util::absolute_normal(options.cwd / options.source);
    auto st = util::stat_path(local);
    if (!st) {
      throw Error(Exit::not_found,
                  "no such file or folder " + quote(options.source));
    }
    if (!st->is_dir() && !st->is_regular()) {
      throw Error(Exit::usage,
                  quote(options.source) + " is not a regular file or a folder");
    }
    type = st->is_dir() ? "dir" : "file";
    source = {{"type", type},
              {"location", local.string()},
              {"name", local.filename().string()},
              {"modified", util::format_rfc3339(st->mtime_ns / 1000)}};
  }
  if (options.source_type && *options.source_type != type) {
    throw Error(Exit::usage,
                quote(options.source) + " is a " + type + ", not a " +
                    *options.source_type);
  }
  if (options.owner) {
    source["owner"] = *options.owner;
  }
  if (options.description) {
    source["description"] = *options.description;
  }

  // Where it goes.
  const std::string name =
      options.as.value_or(source["name"].get<std::string>());
  fs::path dest_abs = util::absolute_normal(options.cwd / name);
  if (!util::is_within(dest_abs, lake.root()) || dest_abs == lake.root() ||
      util::is_within(dest_abs, lake.dir())) {
    throw Error(Exit::usage,
                "the destination " + quote(name) +
                    " must be inside the project, outside .mlake",
                "choose it with --as PATH");
  }
  const std::string dest = util::relative_to(dest_abs, lake.root());
  lake::check_artifact_name(dest);
  const bool in_place = !url && local == dest_abs;

  lake.lock("mlake ingest");
  const std::string start = util::format_rfc3339(util::now_micros());
  IngestResult result;
  result.mode = options.mode;
  json env = run_environment({}, lake.config().env);

  if (options.mode == "reference") {
    // Only what identifies the content is kept: its hash, size and where
    // it is. Nothing goes into the lake or the workspace.
    std::string hash;
    std::uint64_t size = 0;
    if (url) {
      util::Sha256 sha;
      auto response = util::http_get(
          options.source,
          [&](std::string_view chunk) { sha.update(chunk); },
          progress);
      hash = sha.hex_digest();
      size = response.bytes;
      source["location"] = response.url;
      if (response.last_modified) {
        source["modified"] = *response.last_modified;
      }
      if (response.etag) {
        source["etag"] = *response.etag;
      }
    } else if (type == "dir") {
      hash = tree_hash_of(local, size);
    } else {
      hash = store::hash_file(local);
      size = util::stat_path(local)->size;
    }
    source["size"] = size;
    auto existing = lake.index().artifact(dest);
    json changes = {{"source", source["location"]}, {"source_type", type}};
    if (!existing) {
      changes["kind"] = lake::infer_kind(dest, type == "dir");
      changes["security"] = options.security.value_or("internal");
    } else if (options.security) {
      changes["security"] = *options.security;
    }
    for (auto [key, value] : {std::pair{"owner", &options.owner},
                              std::pair{"description", &options.description}}) {
      if (*value) {
        changes[key] = **value;
      }
    }
    if (!options.tags.empty()) {
      changes["tags"] = {{"add", options.tags}};
    }
    json output = {{"artifact", dest},
                   {"hash", hash},
                   {"path", dest},
                   {"role", "output"},
                   {"size", size},
                   {"stored", false},
                   {"type", type == "url" ? "file" : type}};
    if (type == "file") {
      // A model file left where it is gets inspected all the same: its
      // verdict matters most when it is loaded from there.
      data::ModelScanOptions scan;
      scan.name = dest;
      if (auto model = data::scan_model(local, scan)) {
        result.path.model = *model;
        output["metafeatures"] = {{"model", std::move(*model)}};
      }
    }
    json node = {{"kind", "ingest"},
                 {"message", options.message},
                 {"mode", "reference"},
                 {"source", source},
                 {"inputs", json::array()},
                 {"outputs", json::array({output})},
                 {"metadata", {{dest, changes}}},
                 {"env", env},
                 {"time",
                  {{"start", start},
                   {"end", util::format_rfc3339(util::now_micros())}}}};
    result.node = lake.commit(std::move(node));
    result.path.path = dest;
    result.path.artifact = dest;
    result.path.type = output["type"];
    result.path.hash = hash;
    result.path.size = size;
    result.path.changed = true;
    result.source = source;
    return result;
  }

  // Copy mode: the destination may only be replaced when what is there is
  // safe in the lake (tracked and unchanged).
  if (!in_place && util::lstat_path(dest_abs)) {
    lake::LockFile lock = lake::LockFile::load(lake.root());
    bool tracked = lock.entries.count(dest) > 0;
    if (!tracked || !lake::status(lake, {dest}, lake.root()).changes.empty()) {
      throw Error(Exit::usage,
                  quote(dest) + " already exists and holds changes not in "
                                "the lake",
                  "choose another destination with --as, or add it first");
    }
  }
  // A --target column the table does not have is refused before anything
  // is copied into the workspace. (A file ingested in place is checked by
  // stage_add, before it stores anything.)
  auto check_target = [&](const fs::path& path, const std::string& name) {
    auto st = util::stat_path(path);
    if (options.target && st && st->is_regular() && data::is_tabular(dest) &&
        lake.config().wants_metafeatures(st->size)) {
      data::check_column(path, *options.target, name);
    }
  };
  if (url) {
    fs::create_directories(dest_abs.parent_path());
    util::AtomicFile file(dest_abs.parent_path(), dest_abs.filename().string());
    auto response = util::http_get(
        options.source,
        [&](std::string_view chunk) { file.write(chunk); },
        progress);
    source["location"] = response.url;
    source["size"] = response.bytes;
    if (response.last_modified) {
      source["modified"] = *response.last_modified;
    }
    if (response.etag) {
      source["etag"] = *response.etag;
    }
    if (response.content_type) {
      source["content_type"] = *response.content_type;
    }
    check_target(file.tmp_path(), util::redact_url(options.source));
    file.commit(dest_abs, util::AtomicFile::Sync::none);
  } else if (!in_place) {
    check_target(local, options.source);
    if (type == "dir") {
      copy_folder(local, dest_abs);
    } else {
      copy_file(
          local, dest_abs, util::stat_path(local)->is_exec() ? 0755 : 0644);
    }
  }

  lake::AddOptions add;
  add.paths = {dest};
  add.cwd = lake.root();
  add.message = options.message;
  add.owner = options.owner;
  add.description = options.description;
  add.security = options.security;
  add.tags = options.tags;
  add.target = options.target;
  lake::StagedAdd staged = lake::stage_add(lake, add, false, progress);
  json outputs = staged.outputs();
  if (!outputs.empty()) {
    json metadata = staged.metadata();
    metadata[dest]["source"] = source["location"];
    metadata[dest]["source_type"] = type;
    json node = {{"kind", "ingest"},
                 {"message", options.message},
                 {"mode", "copy"},
                 {"source", source},
                 {"inputs", json::array()},
                 {"outputs", std::move(outputs)},
                 {"metadata", std::move(metadata)},
                 {"env", env},
                 {"time",
                  {{"start", start},
                   {"end", util::format_rfc3339(util::now_micros())}}}};
    result.node = lake.commit(std::move(node));
  }
  auto added = lake::finish_add(lake, std::move(staged), result.node);
  result.path = added.paths.front();
  result.source = source;
  return result;
}

} // namespace mlake::lineage
