#include <mlake/util/error.hpp>
#include <mlake/util/libcurl.hpp>

#include <dlfcn.h>

#include <mutex>

namespace mlake::util {

const LibCurl&
libcurl()
{
  static LibCurl table;
  static bool loaded = false;
  static std::once_flag once;
  std::call_once(once, [] {
    void* handle = ::dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
      return;
    }
#define MLAKE_LIBCURL_RESOLVE(name)                                            \
  table.name =                                                                 \
      reinterpret_cast<decltype(table.name)>(::dlsym(handle, "curl_" #name));  \
  if (!table.name) {                                                           \
    return;                                                                    \
  }
    MLAKE_LIBCURL_FUNCTIONS(MLAKE_LIBCURL_RESOLVE)
#undef MLAKE_LIBCURL_RESOLVE
    loaded = table.global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
  });
  if (!loaded) {
    throw Error(Exit::remote,
                "cannot load libcurl (libcurl.so.4)",
                "install it: apt-get install libcurl4");
  }
  return table;
}

} // namespace mlake::util
