#include <mlake/util/error.hpp>
#include <mlake/util/http.hpp>
#include <mlake/util/interrupt.hpp>
#include <mlake/util/libcurl.hpp>
#include <mlake/util/time.hpp>

#include <cctype>
#include <exception>
#include <memory>

namespace mlake::util {

std::optional<std::pair<std::string, std::string>>
parse_header_line(std::string_view line)
{
  auto colon = line.find(':');
  if (colon == std::string_view::npos) {
    return std::nullopt;
  }
  std::string name(line.substr(0, colon));
  for (auto& c : name) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  std::string value(line.substr(colon + 1));
  value.erase(0, value.find_first_not_of(" \t"));
  value.erase(value.find_last_not_of(" \t\r\n") + 1);
  return std::make_pair(std::move(name), std::move(value));
}

std::string
redact_url(const std::string& url)
{
  auto scheme = url.find("://");
  if (scheme == std::string::npos) {
    return url;
  }
  auto start = scheme + 3;
  auto end = url.find_first_of("/?#", start);
  std::string authority = url.substr(start, end - start);
  auto at = authority.rfind('@');
  if (at == std::string::npos) {
    return url;
  }
  return url.substr(0, start) + authority.substr(at + 1) +
         (end == std::string::npos ? "" : url.substr(end));
}

namespace {

struct Transfer
{
  const std::function<void(std::string_view)>* sink;
  Progress* progress;
  HttpResponse* response;
  std::exception_ptr error; // from the sink: rethrown after curl returns
};

std::size_t
on_body(char* data, std::size_t size, std::size_t count, void* user)
{
  auto* t = static_cast<Transfer*>(user);
  std::size_t n = size * count;
  try {
    (*t->sink)(std::string_view(data, n));
  } catch (...) {
    t->error = std::current_exception();
    return 0; // makes curl stop with CURLE_WRITE_ERROR
  }
  t->response->bytes += n;
  t->progress->advance(0, n);
  return n;
}

std::size_t
on_header(char* data, std::size_t size, std::size_t count, void* user)
{
  auto* t = static_cast<Transfer*>(user);
  if (auto header = parse_header_line(std::string_view(data, size * count))) {
    const auto& [name, value] = *header;
    // Headers of a redirect are replaced by those of the final answer.
    if (name == "etag") {
      t->response->etag = value;
    } else if (name == "content-type") {
      t->response->content_type = value;
    }
  }
  return size * count;
}

int
on_progress(void*, curl_off_t, curl_off_t, curl_off_t, curl_off_t)
{
  return interrupt_requested() ? 1 : 0;
}

} // namespace

HttpResponse
http_get(const std::string& url,
         const std::function<void(std::string_view)>& sink,
         Progress& progress)
{
  const LibCurl& curl = libcurl();
  std::unique_ptr<CURL, void (*)(CURL*)> handle(curl.easy_init(),
                                                curl.easy_cleanup);
  if (!handle) {
    throw Error(Exit::remote, "cannot start a download (libcurl)");
  }
  HttpResponse response;
  Transfer transfer{&sink, &progress, &response, nullptr};
  CURL* h = handle.get();
  curl.easy_setopt(h, CURLOPT_URL, url.c_str());
  curl.easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl.easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl.easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
  curl.easy_setopt(h, CURLOPT_MAXREDIRS, 10L);
  curl.easy_setopt(h, CURLOPT_FAILONERROR, 1L);
  curl.easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 30L);
  // A transfer that stalls (under 1 byte/s for a minute) is abandoned.
  curl.easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl.easy_setopt(h, CURLOPT_LOW_SPEED_TIME, 60L);
  curl.easy_setopt(h, CURLOPT_FILETIME, 1L);
  curl.easy_setopt(h, CURLOPT_USERAGENT, "mlake/" MLAKE_VERSION);
  curl.easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
  curl.easy_setopt(h, CURLOPT_WRITEDATA, &transfer);
  curl.easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
  curl.easy_setopt(h, CURLOPT_HEADERDATA, &transfer);
  curl.easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
  curl.easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
  CURLcode rc = curl.easy_perform(h);
  if (transfer.error) {
    std::rethrow_exception(transfer.error);
  }
  throw_if_interrupted();
  curl.easy_getinfo(h, CURLINFO_RESPONSE_CODE, &response.status);
  if (rc != CURLE_OK) {
    std::string why = curl.easy_strerror(rc);
    if (rc == CURLE_HTTP_RETURNED_ERROR) {
      why = "the server answered " + std::to_string(response.status);
    }
    throw Error(Exit::remote,
                "cannot download " + quote(redact_url(url)) + ": " + why,
                "check the URL and the network");
  }
  char* effective = nullptr;
  curl.easy_getinfo(h, CURLINFO_EFFECTIVE_URL, &effective);
  response.url = redact_url(effective ? effective : url);
  curl_off_t filetime = -1;
  if (curl.easy_getinfo(h, CURLINFO_FILETIME_T, &filetime) == CURLE_OK &&
      filetime >= 0) {
    response.last_modified =
        format_rfc3339(static_cast<Micros>(filetime) * 1'000'000);
  }
  return response;
}

} // namespace mlake::util
