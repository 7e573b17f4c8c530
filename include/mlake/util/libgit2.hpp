#pragma once

#include <git2.h>

namespace mlake::util {

// The libgit2 functions mlake calls. Add a name here to call another one;
// its type comes from git2.h, so a call with the wrong arguments does not
// compile.
#define MLAKE_LIBGIT2_FUNCTIONS(X)                                             \
  X(libgit2_init)                                                              \
  X(repository_open_ext)                                                       \
  X(repository_free)                                                           \
  X(repository_config_snapshot)                                                \
  X(config_open_default)                                                       \
  X(config_snapshot)                                                           \
  X(config_get_string)                                                         \
  X(config_free)                                                               \
  X(repository_head)                                                           \
  X(repository_head_detached)                                                  \
  X(repository_workdir)                                                        \
  X(reference_target)                                                          \
  X(reference_shorthand)                                                       \
  X(reference_free)                                                            \
  X(oid_tostr_s)                                                               \
  X(remote_list)                                                               \
  X(remote_lookup)                                                             \
  X(remote_url)                                                                \
  X(remote_free)                                                               \
  X(strarray_dispose)                                                          \
  X(status_list_new)                                                           \
  X(status_list_entrycount)                                                    \
  X(status_list_free)                                                          \
  X(commit_lookup)                                                             \
  X(commit_tree)                                                               \
  X(commit_free)                                                               \
  X(tree_free)                                                                 \
  X(diff_tree_to_workdir_with_index)                                           \
  X(diff_to_buf)                                                               \
  X(diff_free)                                                                 \
  X(buf_dispose)

struct LibGit2
{
#define MLAKE_LIBGIT2_MEMBER(name) decltype(&::git_##name) name = nullptr;
  MLAKE_LIBGIT2_FUNCTIONS(MLAKE_LIBGIT2_MEMBER)
#undef MLAKE_LIBGIT2_MEMBER
};

// libgit2, loaded and initialised on first use; nullptr when it cannot be
// loaded, and callers then do without what git would have told them.
// Linked the usual way, libgit2 and the libraries it pulls in cost every
// mlake command about 3 ms of start-up, though most commands never read a
// git repository.
const LibGit2* libgit2();

} // namespace mlake::util
