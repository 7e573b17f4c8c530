#pragma once

#include <mlake/util/json.hpp>
#include <mlake/util/progress.hpp>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace mlake::lake {

namespace fs = std::filesystem;

class Lake;

struct AddOptions
{
  std::vector<std::string> paths; // as given, relative to `cwd`
  fs::path cwd;
  std::string message;
  std::optional<std::string> name;
  std::optional<std::string> kind;
  // The kind of a new artifact when `kind` is not given and its path does
  // not say (what a training run writes is a model).
  std::optional<std::string> new_kind;
  std::optional<std::string> owner;
  std::optional<std::string> description;
  std::optional<std::string> security;
  std::vector<std::string> tags;
  // For CSV/TSV files: the column whose class balance the metafeatures
  // report.
  std::optional<std::string> target;
};

struct AddedPath
{
  std::string path; // project-relative
  std::string artifact;
  std::string type; // "file" or "dir"
  std::string hash;
  std::uint64_t size = 0;
  std::uint64_t files = 0;
  bool exec = false;    // a file with its executable bit set
  bool changed = false; // false: same content as the latest version
  bool new_artifact = false;
  int version = 0; // the artifact's version number after the add
  // What inspecting a model file found (data::scan_model), for a new
  // version of a file that is one; null otherwise.
  json model;
};

struct AddResult
{
  std::optional<std::string> node; // nullopt when nothing changed
  std::vector<AddedPath> paths;
  std::uint64_t files_stored = 0; // new objects written
  std::uint64_t bytes_stored = 0;
};

// Store files and folders (a folder as one tree) as new versions of their
// artifacts and record one `add` node; update mlake.lock and the stat
// cache. Content equal to an artifact's latest version makes no version.
// Validates everything before it writes anything: on bad input it throws
// and the lake is unchanged.
AddResult add(Lake& lake,
              const AddOptions& options,
              util::Progress& progress = util::no_progress());

// Paths stored in the lake by stage_add and waiting for the node that
// records them. Commands that record their own kind of node (a run's
// outputs, an ingest) stage, commit, then finish.
class StagedAdd
{
public:
  StagedAdd();
  StagedAdd(StagedAdd&&) noexcept;
  StagedAdd& operator=(StagedAdd&&) noexcept;
  ~StagedAdd();

  std::vector<AddedPath> paths;
  std::uint64_t files_stored = 0;
  std::uint64_t bytes_stored = 0;

  // A node's "outputs" entries for the paths that make new versions.
  json outputs() const;
  // A node's "metadata" entries: what the options set for those artifacts.
  json metadata() const;

private:
  friend StagedAdd stage_add(Lake&, const AddOptions&, bool, util::Progress&);
  friend AddResult
  finish_add(Lake&, StagedAdd&&, const std::optional<std::string>&);
  struct Detail;
  std::unique_ptr<Detail> m_detail;
};

// Check the paths of `options` and store their content, as add does, but
// record nothing. With `always_new_version`, content equal to an artifact's
// latest version still makes a new version (a run produced it again).
// The caller holds the lake lock.
StagedAdd stage_add(Lake& lake,
                    const AddOptions& options,
                    bool always_new_version,
                    util::Progress& progress = util::no_progress());

// Check, as stage_add does, that project-relative `paths` do not overlap
// tracked paths: throws Error(Exit::usage) for a path inside a tracked
// folder, or a folder that contains tracked paths. For commands that add
// paths only after doing something long (a run's outputs): they check
// first.
void check_addable(const Lake& lake, const std::vector<std::string>& paths);

// Update mlake.lock, the stat cache and .gitignore for staged paths once
// `node` (nullopt: nothing new was recorded) names them.
AddResult finish_add(Lake& lake,
                     StagedAdd&& staged,
                     const std::optional<std::string>& node);

struct StatusChange
{
  std::string path;     // project-relative
  std::string artifact; // the tracked path it belongs to
  std::string change;   // "modified", "deleted" or "new"
};

struct StatusResult
{
  std::vector<StatusChange> changes; // sorted by path
  std::size_t tracked = 0;           // tracked paths looked at
};

// How the workspace differs from mlake.lock, limited to `paths` (relative
// to `cwd`) when given. Unchanged files are not read: the stat cache
// answers for them.
StatusResult status(Lake& lake,
                    const std::vector<std::string>& paths,
                    const fs::path& cwd,
                    util::Progress& progress = util::no_progress());

struct CheckoutOptions
{
  std::vector<std::string> refs; // NAME[@VER]; empty: all of mlake.lock
  fs::path cwd;
  std::optional<fs::path> to; // another folder to write into
  bool force = false;
};

struct CheckedOutPath
{
  std::string path; // relative to the target folder
  std::string artifact;
  std::string hash;
  int version = 0; // 0 when taken from mlake.lock without a version lookup
};

struct CheckoutResult
{
  std::vector<CheckedOutPath> paths;
  std::uint64_t files_written = 0;
  std::uint64_t files_unchanged = 0;
  std::uint64_t files_removed = 0;
  fs::path target; // the folder written into
};

// Put content back into the workspace (or `to`). Refuses, before writing
// anything, when a file with changes not in the lake would be overwritten
// or removed, unless `force`. Checking out a version (not from the lock)
// updates mlake.lock to it.
CheckoutResult checkout(Lake& lake,
                        const CheckoutOptions& options,
                        util::Progress& progress = util::no_progress());

} // namespace mlake::lake
