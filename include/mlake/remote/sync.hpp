#pragma once

#include <mlake/lake/lake.hpp>
#include <mlake/remote/remote.hpp>
#include <mlake/util/progress.hpp>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace mlake::remote {

namespace fs = std::filesystem;

// The transfers run this many at a time unless told otherwise.
constexpr unsigned default_transfer_jobs = 8;

struct SelectedRemote
{
  lake::RemoteConfig config;
  std::unique_ptr<Remote> remote;
};

// The remote called `name`; with no name, the default remote, or the only
// one. Throws Error(Exit::not_found) for an unknown name, Error(Exit::usage)
// when there is no remote or no way to choose one.
SelectedRemote select_remote(const lake::Lake& lake, const std::string& name);

struct PushOptions
{
  std::string remote; // empty: the default
  // NAME[@VER]: push only these versions' content (every node is pushed:
  // history is small). Empty: all content the history names.
  std::vector<std::string> refs;
  bool history_only = false; // nodes and trees, no content
  unsigned jobs = default_transfer_jobs;
  fs::path cwd;
};

struct PushResult
{
  std::string remote;
  std::string location;
  std::uint64_t nodes_sent = 0;
  std::uint64_t objects_sent = 0;
  std::uint64_t bytes_sent = 0;
  std::uint64_t objects_present = 0; // already on the remote
  // Content the pushed history names that neither this lake (it was
  // fetched as history only) nor the remote holds.
  std::uint64_t objects_unavailable = 0;
};

// Upload what the remote lacks: objects first, then nodes, parents before
// children, so that no reader of the remote ever sees a node before what
// it names. Needs no lock on either side. Content a purge erased is never
// sent; a purge on the remote this lake has not pulled refuses the push
// (Error(Exit::check_failed)), as this lake may hold what it erased.
PushResult push(lake::Lake& lake,
                const PushOptions& options,
                util::Progress& progress = util::no_progress());

struct PullOptions
{
  std::string remote; // empty: the default
  // NAME[@VER]: download only these versions' content. Empty: all.
  std::vector<std::string> refs;
  bool metadata_only = false; // nodes only (fetch)
  bool update_workspace = true;
  unsigned jobs = default_transfer_jobs;
  fs::path cwd;
};

struct PullResult
{
  std::string remote;
  std::string location;
  std::uint64_t nodes_received = 0;
  // Nodes whose parents the remote did not have yet (a push in progress):
  // the next pull takes them.
  std::uint64_t nodes_deferred = 0;
  std::uint64_t objects_received = 0;
  std::uint64_t bytes_received = 0;
  // Content the history names that the remote does not hold (pushed in
  // part, or purged).
  std::vector<std::string> missing_on_remote;
  // What received purges erased here: objects, and unchanged workspace
  // copies of their content.
  std::uint64_t objects_erased = 0;
  std::vector<std::string> erased_workspace;
  std::vector<std::string> updated; // workspace paths checked out
  std::vector<std::string> kept;    // paths with local changes, left alone
};

// Take the remote's new nodes, then the content asked for, each re-hashed
// on arrival; then bring the workspace to the latest versions as checkout
// would, never overwriting a file with changes not in the lake.
PullResult pull(lake::Lake& lake,
                const PullOptions& options,
                util::Progress& progress = util::no_progress());

struct CloneOptions
{
  lake::RemoteConfig remote; // name and URL; endpoint etc. for S3
  fs::path dir;              // made; must not exist or be empty
  bool metadata_only = false;
  unsigned jobs = default_transfer_jobs;
};

struct CloneResult
{
  fs::path root;
  PullResult pull;
};

// init + remote add + pull. A clone that fails leaves no lake behind.
CloneResult clone(const CloneOptions& options,
                  util::Progress& progress = util::no_progress());

// The folder a clone of `url` goes to when none is given: the URL's last
// path part ("s3://b/team/iris" -> "iris").
std::string clone_dir_name(const std::string& url);

} // namespace mlake::remote
