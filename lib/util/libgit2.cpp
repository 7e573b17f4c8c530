#include <mlake/util/libgit2.hpp>

#include <dlfcn.h>

#include <mutex>

namespace mlake::util {

const LibGit2*
libgit2()
{
  static LibGit2 table;
  static const LibGit2* loaded = nullptr;
  static std::once_flag once;
  std::call_once(once, [] {
    // The version mlake was built against: the same ABI as its headers.
    void* handle =
        ::dlopen("libgit2.so." LIBGIT2_SOVERSION, RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
      return;
    }
#define MLAKE_LIBGIT2_RESOLVE(name)                                            \
  table.name =                                                                 \
      reinterpret_cast<decltype(table.name)>(::dlsym(handle, "git_" #name));   \
  if (!table.name) {                                                           \
    return;                                                                    \
  }
    MLAKE_LIBGIT2_FUNCTIONS(MLAKE_LIBGIT2_RESOLVE)
#undef MLAKE_LIBGIT2_RESOLVE
    table.libgit2_init();
    loaded = &table;
  });
  return loaded;
}

} // namespace mlake::util
