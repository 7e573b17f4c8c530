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
  X(config_free)

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
