#pragma once

#include <curl/curl.h>

namespace mlake::util {

// The libcurl functions mlake calls (see libgit2.hpp for why they are
// loaded on first use: libcurl and the libraries it pulls in would cost
// every command its start-up time, and few commands use the network).
#define MLAKE_LIBCURL_FUNCTIONS(X)                                             \
  X(global_init)                                                               \
  X(easy_init)                                                                 \
  X(easy_setopt)                                                               \
  X(easy_perform)                                                              \
  X(easy_getinfo)                                                              \
  X(easy_cleanup)                                                              \
  X(easy_reset)                                                                \
  X(easy_strerror)                                                             \
  X(slist_append)                                                              \
  X(slist_free_all)

struct LibCurl
{
#define MLAKE_LIBCURL_MEMBER(name) decltype(&::curl_##name) name = nullptr;
  MLAKE_LIBCURL_FUNCTIONS(MLAKE_LIBCURL_MEMBER)
#undef MLAKE_LIBCURL_MEMBER
};

// libcurl (ABI 4), loaded and globally initialised on first use; throws
// Error(Exit::remote) when it cannot be loaded.
const LibCurl& libcurl();

} // namespace mlake::util
