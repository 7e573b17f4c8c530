#pragma once

#include <mlake/util/progress.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace mlake::util {

struct HttpResponse
{
  long status = 0;
  std::string url; // after redirects, without credentials
  std::optional<std::string> last_modified; // RFC 3339, from Last-Modified
  std::optional<std::string> etag;
  std::optional<std::string> content_type;
  std::uint64_t bytes = 0;
};

// GET `url` (http or https), following redirects and streaming the body to
// `sink` chunk by chunk, so that memory does not grow with the download.
// Throws Error(Exit::remote) naming the URL (without credentials) and why:
// an unreachable host, a timeout, an HTTP error status. Honours the
// interrupt flag (Error(Exit::interrupted)).
HttpResponse http_get(const std::string& url,
                      const std::function<void(std::string_view)>& sink,
                      Progress& progress = no_progress());

// A response header line as libcurl hands it over ("Name: value\r\n"):
// the name in lower case and the value trimmed; nullopt for a line that is
// not a header (a status line, the blank line after the headers).
std::optional<std::pair<std::string, std::string>>
parse_header_line(std::string_view line);

// `url` without credentials ("https://user:token@host/x" -> "https://host/x").
std::string redact_url(const std::string& url);

} // namespace mlake::util
