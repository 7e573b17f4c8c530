#include <mlake/remote/remote.hpp>
#include <mlake/remote/sigv4.hpp>
#include <mlake/util/error.hpp>
#include <mlake/util/fs.hpp>
#include <mlake/util/hash.hpp>
#include <mlake/util/http.hpp>
#include <mlake/util/interrupt.hpp>
#include <mlake/util/libcurl.hpp>
#include <mlake/util/parallel.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <ctime>
#include <exception>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

namespace mlake::remote {

namespace {

constexpr std::uint64_t default_part_size = 64ull << 20;
constexpr int max_attempts = 5;
// Objects larger than one range are downloaded a range at a time, several
// at once: one connection to an S3 server seldom carries all it can send.
constexpr std::uint64_t range_size = 8 << 20;
constexpr int ranges_at_once = 4;
// Threads that fetch ranges for downloads other than their own, across the
// process: bounds the memory that ranges waiting for their turn can take.
constexpr int max_range_helpers = 8;
std::atomic<int> range_helpers_free{max_range_helpers};

// How many of `wanted` range helpers may start; give them back with
// release_range_helpers.
int
take_range_helpers(int wanted)
{
  int free = range_helpers_free.load();
  for (;;) {
    int take = std::min(free, wanted);
    if (take <= 0) {
      return 0;
    }
    if (range_helpers_free.compare_exchange_weak(free, free - take)) {
      return take;
    }
  }
}

void
release_range_helpers(int count)
{
  range_helpers_free += count;
}

// The total size in a Content-Range header: "bytes 0-99/1234" -> 1234.
std::optional<std::uint64_t>
content_range_total(const std::string& header)
{
  auto slash = header.rfind('/');
  if (slash == std::string::npos || slash + 1 == header.size()) {
    return std::nullopt;
  }
  std::uint64_t total = 0;
  for (char c : header.substr(slash + 1)) {
    if (c < '0' || c > '9') {
      return std::nullopt;
    }
    total = total * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return total;
}

std::string
env(const char* name)
{
  const char* value = std::getenv(name);
  return value ? value : "";
}

// The credentials of ~/.aws/credentials (or AWS_SHARED_CREDENTIALS_FILE),
// profile AWS_PROFILE or "default".
sigv4::Credentials
credentials_from_file()
{
  sigv4::Credentials out;
  std::string path = env("AWS_SHARED_CREDENTIALS_FILE");
  if (path.empty() && !env("HOME").empty()) {
    path = env("HOME") + "/.aws/credentials";
  }
  std::string profile = env("AWS_PROFILE");
  if (profile.empty()) {
    profile = "default";
  }
  std::ifstream in(path);
  std::string line;
  std::string section;
  auto trim = [](std::string text) {
    text.erase(0, text.find_first_not_of(" \t\r"));
    text.erase(text.find_last_not_of(" \t\r") + 1);
    return text;
  };
  while (std::getline(in, line)) {
    line = trim(line);
    if (line.empty() || line[0] == '#' || line[0] == ';') {
      continue;
    }
    if (line.front() == '[' && line.back() == ']') {
      section = trim(line.substr(1, line.size() - 2));
      continue;
    }
    auto eq = line.find('=');
    if (section != profile || eq == std::string::npos) {
      continue;
    }
    std::string key = trim(line.substr(0, eq));
    std::string value = trim(line.substr(eq + 1));
    if (key == "aws_access_key_id") {
      out.access_key = value;
    } else if (key == "aws_secret_access_key") {
      out.secret_key = value;
    } else if (key == "aws_session_token") {
      out.session_token = value;
    }
  }
  return out;
}

sigv4::Credentials
find_credentials()
{
  sigv4::Credentials out;
  out.access_key = env("AWS_ACCESS_KEY_ID");
  out.secret_key = env("AWS_SECRET_ACCESS_KEY");
  out.session_token = env("AWS_SESSION_TOKEN");
  if (!out.access_key.empty() && !out.secret_key.empty()) {
    return out;
  }
  out = credentials_from_file();
  if (out.access_key.empty() || out.secret_key.empty()) {
    std::string file = env("AWS_SHARED_CREDENTIALS_FILE");
    if (file.empty()) {
      file = "~/.aws/credentials";
    }
    std::string profile = env("AWS_PROFILE");
    throw Error(Exit::remote,
                "no S3 credentials: AWS_ACCESS_KEY_ID and "
                "AWS_SECRET_ACCESS_KEY are not set, and " +
                    file + " has no profile " +
                    quote(profile.empty() ? "default" : profile),
                "set the two variables, or AWS_PROFILE to a profile in " +
                    file);
  }
  return out;
}

std::string
amz_now()
{
  std::time_t now = std::time(nullptr);
  std::tm utc{};
  ::gmtime_r(&now, &utc);
  char buffer[20];
  std::strftime(buffer, sizeof(buffer), "%Y%m%dT%H%M%SZ", &utc);
  return buffer;
}

// The text of every <tag>...</tag> in `xml`, entities decoded. S3's
// answers are small, flat documents: this is all the XML they need.
std::vector<std::string>
xml_values(std::string_view xml, const std::string& tag)
{
  std::vector<std::string> out;
  const std::string open = "<" + tag + ">";
  const std::string close = "</" + tag + ">";
  std::size_t at = 0;
  while ((at = xml.find(open, at)) != std::string_view::npos) {
    std::size_t start = at + open.size();
    std::size_t end = xml.find(close, start);
    if (end == std::string_view::npos) {
      break;
    }
    std::string_view raw = xml.substr(start, end - start);
    std::string text;
    for (std::size_t i = 0; i < raw.size(); ++i) {
      if (raw[i] != '&') {
        text += raw[i];
        continue;
      }
      static const std::pair<std::string_view, char> entities[] = {
          {"&amp;", '&'},
          {"&lt;", '<'},
          {"&gt;", '>'},
          {"&quot;", '"'},
          {"&apos;", '\''}};
      bool decoded = false;
      for (const auto& [entity, c] : entities) {
        if (raw.substr(i, entity.size()) == entity) {
          text += c;
          i += entity.size() - 1;
          decoded = true;
          break;
        }
      }
      if (!decoded && raw.substr(i, 2) == "&#") {
        auto semi = raw.find(';', i);
        if (semi != std::string_view::npos) {
          std::string number(raw.substr(i + 2, semi - i - 2));
          unsigned long code =
              number.size() > 1 && number[0] == 'x'
                  ? std::strtoul(number.c_str() + 1, nullptr, 16)
                  : std::strtoul(number.c_str(), nullptr, 10);
          // UTF-8 encode the code point.
          if (code < 0x80) {
            text += static_cast<char>(code);
          } else if (code < 0x800) {
            text += static_cast<char>(0xC0 | (code >> 6));
            text += static_cast<char>(0x80 | (code & 0x3F));
          } else if (code < 0x10000) {
            text += static_cast<char>(0xE0 | (code >> 12));
            text += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
            text += static_cast<char>(0x80 | (code & 0x3F));
          } else {
            text += static_cast<char>(0xF0 | (code >> 18));
            text += static_cast<char>(0x80 | ((code >> 12) & 0x3F));
            text += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
            text += static_cast<char>(0x80 | (code & 0x3F));
          }
          i = semi;
          decoded = true;
        }
      }
      if (!decoded) {
        text += '&';
      }
    }
    out.push_back(std::move(text));
    at = end + close.size();
  }
  return out;
}

std::string
xml_value(std::string_view xml, const std::string& tag)
{
  auto values = xml_values(xml, tag);
  return values.empty() ? "" : values.front();
}

// What a request sends.
struct Body
{
  std::string_view bytes; // in memory, or:
  int fd = -1;            // a file range
  std::uint64_t offset = 0;
  std::uint64_t size = 0;
  bool has = false;
};

struct Response
{
  long status = 0;
  std::string body; // error bodies and small answers
  std::map<std::string, std::string> headers;
  bool streamed = false; // the body went to the sink
};

struct Call
{
  const Body* body = nullptr;
  std::uint64_t sent = 0;
  const Sink* sink = nullptr;
  Response* response = nullptr;
  std::exception_ptr error;
  util::Progress* progress = nullptr;
  // An abort of a multipart upload must run even after Ctrl-C.
  bool interruptible = true;
};

std::size_t
on_read(char* buffer, std::size_t size, std::size_t count, void* user)
{
  auto* call = static_cast<Call*>(user);
  const Body& body = *call->body;
  std::size_t want = size * count;
  std::uint64_t left = body.size - call->sent;
  if (want > left) {
    want = static_cast<std::size_t>(left);
  }
  if (want == 0) {
    return 0;
  }
  if (body.fd < 0) {
    std::copy_n(body.bytes.data() + call->sent, want, buffer);
  } else {
    ssize_t n = ::pread(
        body.fd, buffer, want, static_cast<off_t>(body.offset + call->sent));
    if (n <= 0) {
      return CURL_READFUNC_ABORT;
    }
    want = static_cast<std::size_t>(n);
  }
  call->sent += want;
  return want;
}

std::size_t
on_write(char* data, std::size_t size, std::size_t count, void* user)
{
  auto* call = static_cast<Call*>(user);
  std::size_t n = size * count;
  Response& response = *call->response;
  if (call->sink && response.headers.count(":ok")) {
    try {
      (*call->sink)(std::string_view(data, n));
      response.streamed = true;
    } catch (...) {
      call->error = std::current_exception();
      return 0;
    }
  } else if (response.body.size() < (1 << 20)) {
    response.body.append(data, n);
  }
  return n;
}

std::size_t
on_header(char* data, std::size_t size, std::size_t count, void* user)
{
  auto* call = static_cast<Call*>(user);
  std::string_view line(data, size * count);
  if (line.substr(0, 5) == "HTTP/") {
    // A new status line (after a 100 Continue, say): start over.
    call->response->headers.clear();
    auto space = line.find(' ');
    int status =
        space == std::string_view::npos
            ? 0
            : std::atoi(std::string(line.substr(space + 1, 3)).c_str());
    if (status >= 200 && status < 300) {
      call->response->headers[":ok"] = "1";
    }
    return size * count;
  }
  if (auto header = util::parse_header_line(line)) {
    call->response->headers[header->first] = std::move(header->second);
  }
  return size * count;
}

int
on_progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t)
{
  auto* call = static_cast<Call*>(user);
  return call->interruptible && util::interrupt_requested() ? 1 : 0;
}

// One easy handle per thread, reset between requests, so that each thread
// keeps its connection to the server alive.
CURL*
thread_handle()
{
  struct Handle
  {
    CURL* curl = nullptr;
    ~Handle()
    {
      if (curl) {
        util::libcurl().easy_cleanup(curl);
      }
    }
  };
  thread_local Handle handle;
  const auto& curl = util::libcurl();
  if (!handle.curl) {
    handle.curl = curl.easy_init();
    if (!handle.curl) {
      throw Error(Exit::remote, "cannot start a transfer (libcurl)");
    }
  } else {
    curl.easy_reset(handle.curl);
  }
  return handle.curl;
}

bool
transient(CURLcode rc)
{
  switch (rc) {
  case CURLE_OPERATION_TIMEDOUT:
  case CURLE_SEND_ERROR:
  case CURLE_RECV_ERROR:
  case CURLE_GOT_NOTHING:
  case CURLE_PARTIAL_FILE:
  case CURLE_COULDNT_RESOLVE_HOST:
  case CURLE_SSL_CONNECT_ERROR:
    return true;
  default:
    return false;
  }
}

class S3Remote final : public Remote
{
public:
  explicit S3Remote(const lake::RemoteConfig& config) : m_url(config.url)
  {
    std::string rest = config.url.substr(5); // after "s3://"
    m_bucket = rest.substr(0, rest.find('/'));
    if (m_bucket.size() < rest.size()) {
      m_prefix = rest.substr(m_bucket.size() + 1) + "/";
    }
    m_region = config.region.value_or("");
    if (m_region.empty()) {
      m_region = env("AWS_REGION");
    }
    if (m_region.empty()) {
      m_region = env("AWS_DEFAULT_REGION");
    }
    if (m_region.empty()) {
      m_region = "us-east-1";
    }
    std::string endpoint = config.endpoint.value_or("");
    if (endpoint.empty()) {
      endpoint = env("AWS_ENDPOINT_URL_S3");
    }
    if (endpoint.empty()) {
      endpoint = env("AWS_ENDPOINT_URL");
    }
    // A custom endpoint (MinIO, Ceph, a test server) is usually addressed
    // by path; AWS by virtual host.
    m_path_style = config.path_style.value_or(!endpoint.empty());
    if (endpoint.empty()) {
      endpoint = "https://s3." + m_region + ".amazonaws.com";
    }
    while (!endpoint.empty() && endpoint.back() == '/') {
      endpoint.pop_back();
    }
    if (util::redact_url(endpoint) != endpoint) {
      throw Error(Exit::remote,
                  "credentials do not belong in an S3 endpoint URL (" +
                      quote(util::redact_url(endpoint)) + ")",
                  "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY");
    }
    auto scheme_end = endpoint.find("://");
    if (scheme_end == std::string::npos ||
        (endpoint.substr(0, scheme_end) != "http" &&
         endpoint.substr(0, scheme_end) != "https")) {
      throw Error(Exit::remote,
                  "bad S3 endpoint " + quote(util::redact_url(endpoint)),
                  "give http(s)://HOST[:PORT] in --endpoint or "
                  "AWS_ENDPOINT_URL");
    }
    m_scheme = endpoint.substr(0, scheme_end);
    m_host = endpoint.substr(scheme_end + 3);
    if (m_host.find('/') != std::string::npos) {
      m_host = m_host.substr(0, m_host.find('/'));
    }
    if (!m_path_style) {
      m_host = m_bucket + "." + m_host;
    }
    m_part_size = config.part_size.value_or(default_part_size);
  }

  std::string
  location() const override
  {
    return m_url;
  }

  void
  check(bool /*for_push*/) override
  {
    // One listing of at most one key: it fails as every later request
    // would (no bucket, bad credentials, no server).
    auto r =
        request("GET",
                "",
                {{"list-type", "2"}, {"max-keys", "1"}, {"prefix", m_prefix}},
                nullptr,
                nullptr);
    if (r.status != 200) {
      throw failure(r, "cannot list the bucket");
    }
  }

  bool
  exists(const std::string& key) override
  {
    auto r = request("HEAD", m_prefix + key, {}, nullptr, nullptr);
    if (r.status == 200) {
      return true;
    }
    if (r.status == 404) {
      return false;
    }
    throw failure(r, "cannot look up " + key);
  }

  void
  get(const std::string& key, const Sink& sink) override
  {
    // The empty content has no first byte to ask for: S3 answers a range
    // of it with 416, s3rver with a broken 206.
    static const std::string empty_object = object_key(util::sha256_hex(""));
    if (key == empty_object) {
      get_whole(key, sink);
      return;
    }
    // The first range tells the size; an object that fits in it is done.
    std::uint64_t received = 0;
    const Sink counting = [&](std::string_view data) {
      sink(data);
      received += data.size();
    };
    auto r = request("GET",
                     m_prefix + key,
                     {},
                     nullptr,
                     &counting,
                     util::sha256_hex(""),
                     true,
                     range_header(0, range_size));
    if (r.status == 206) {
      auto total = content_range_total(r.headers["content-range"]);
      if (!total) {
        throw Error(Exit::remote,
                    "S3 remote " + quote(m_url) + " answered a range of " +
                        key + " without its size (Content-Range " +
                        quote(r.headers["content-range"]) + ")");
      }
      if (received < *total) {
        get_ranges(key, received, *total, sink);
      }
      return;
    }
    if (r.status == 200) {
      return; // a server that ignores ranges sends it all
    }
    if (r.status == 416 && received == 0) {
      get_whole(key, sink); // empty after all
      return;
    }
    throw download_failure(r, key);
  }

  void
  put_file(const std::string& key,
           const fs::path& source,
           std::uint64_t size,
           std::string_view expected_sha256,
           util::Progress& progress) override
  {
    util::UniqueFd fd(::open(source.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) {
      throw Error(Exit::usage,
                  "cannot read " + quote(source.string()) + ": " +
                      util::errno_text(errno));
    }
    if (size > m_part_size) {
      if (!expected_sha256.empty()) {
        std::string actual = hash_range(fd.get(), 0, size);
        if (actual != expected_sha256) {
          throw damaged_object(expected_sha256, actual);
        }
      }
      put_multipart(key, fd.get(), size, progress);
      return;
    }
    Body body;
    body.fd = fd.get();
    body.size = size;
    body.has = true;
    // The payload is signed with its hash, which is also its name: a
    // damaged object is caught here for free.
    std::string payload_hash = hash_range(fd.get(), 0, size);
    if (!expected_sha256.empty() && payload_hash != expected_sha256) {
      throw damaged_object(expected_sha256, payload_hash);
    }
    auto r = request("PUT", m_prefix + key, {}, &body, nullptr, payload_hash);
    if (r.status != 200) {
      throw failure(r, "cannot upload " + key);
    }
    progress.advance(0, size);
  }

  void
  put_bytes(const std::string& key, std::string_view bytes) override
  {
    Body body;
    body.bytes = bytes;
    body.size = bytes.size();
    body.has = true;
    auto r = request(
        "PUT", m_prefix + key, {}, &body, nullptr, util::sha256_hex(bytes));
    if (r.status != 200) {
      throw failure(r, "cannot upload " + key);
    }
  }

  void
  remove(const std::string& key) override
  {
    auto r = request(
        "DELETE", m_prefix + key, {}, nullptr, nullptr, util::sha256_hex(""));
    // S3 answers 204 whether or not the key was there; some servers 404.
    if (r.status != 204 && r.status != 200 && r.status != 404) {
      throw failure(r, "cannot delete " + key);
    }
  }

  void
  flush() override
  {
    // S3 answers a PUT once the object is stored.
  }

  void
  list(const std::string& prefix,
       const std::function<void(const ListedKey&)>& fn) override
  {
    std::string token;
    for (;;) {
      std::vector<std::pair<std::string, std::string>> query = {
          {"list-type", "2"}, {"prefix", m_prefix + prefix}};
      if (!token.empty()) {
        query.emplace_back("continuation-token", token);
      }
      auto r = request("GET", "", query, nullptr, nullptr);
      if (r.status != 200) {
        throw failure(r, "cannot list the bucket");
      }
      auto keys = xml_values(r.body, "Key");
      auto sizes = xml_values(r.body, "Size");
      for (std::size_t i = 0; i < keys.size(); ++i) {
        if (keys[i].compare(0, m_prefix.size(), m_prefix) != 0) {
          continue;
        }
        ListedKey item;
        item.key = keys[i].substr(m_prefix.size());
        if (i < sizes.size()) {
          item.size = std::strtoull(sizes[i].c_str(), nullptr, 10);
        }
        fn(item);
      }
      if (xml_value(r.body, "IsTruncated") != "true") {
        break;
      }
      token = xml_value(r.body, "NextContinuationToken");
      if (token.empty()) {
        throw Error(Exit::remote,
                    "S3 at " + quote(m_url) +
                        " said the listing goes on but gave no continuation "
                        "token");
      }
    }
  }

private:
  static std::string
  hash_range(int fd, std::uint64_t offset, std::uint64_t size)
  {
    util::Sha256 hasher;
    const std::size_t capacity = static_cast<std::size_t>(
        std::clamp<std::uint64_t>(size, 4096, 1 << 20));
    std::unique_ptr<char[]> buffer(new char[capacity]);
    std::uint64_t done = 0;
    while (done < size) {
      std::size_t want = static_cast<std::size_t>(
          std::min<std::uint64_t>(capacity, size - done));
      ssize_t n =
          ::pread(fd, buffer.get(), want, static_cast<off_t>(offset + done));
      if (n < 0 && errno == EINTR) {
        continue;
      }
      if (n <= 0) {
        throw Error(Exit::usage,
                    "cannot read an object to upload: " +
                        util::errno_text(n < 0 ? errno : EIO));
      }
      hasher.update(buffer.get(), static_cast<std::size_t>(n));
      done += static_cast<std::uint64_t>(n);
    }
    return hasher.hex_digest();
  }

  void
  put_multipart(const std::string& key,
                int fd,
                std::uint64_t size,
                util::Progress& progress)
  {
    const std::string object = m_prefix + key;
    Body empty;
    empty.has = true;
    auto r = request("POST", object, {{"uploads", ""}}, &empty, nullptr);
    if (r.status != 200) {
      throw failure(r, "cannot start uploading " + key);
    }
    const std::string upload_id = xml_value(r.body, "UploadId");
    if (upload_id.empty()) {
      throw Error(Exit::remote,
                  "S3 at " + quote(m_url) + " started an upload of " + key +
                      " without an UploadId");
    }
    const std::size_t parts =
        static_cast<std::size_t>((size + m_part_size - 1) / m_part_size);
    std::vector<std::string> etags(parts);
    try {
      // A few parts at a time: the transfers of other objects run too.
      util::parallel_for(parts, 4, [&](std::size_t i) {
        Body body;
        body.fd = fd;
        body.offset = i * m_part_size;
        body.size = std::min<std::uint64_t>(m_part_size, size - body.offset);
        body.has = true;
        auto part = request(
            "PUT",
            object,
            {{"partNumber", std::to_string(i + 1)}, {"uploadId", upload_id}},
            &body,
            nullptr,
            hash_range(fd, body.offset, body.size));
        if (part.status != 200) {
          throw failure(part,
                        "cannot upload part " + std::to_string(i + 1) + " of " +
                            key);
        }
        etags[i] = part.headers["etag"];
        progress.advance(0, body.size);
      });
      std::string xml = "<CompleteMultipartUpload>";
      for (std::size_t i = 0; i < parts; ++i) {
        xml += "<Part><PartNumber>" + std::to_string(i + 1) +
               "</PartNumber><ETag>" + etags[i] + "</ETag></Part>";
      }
      xml += "</CompleteMultipartUpload>";
      Body body;
      body.bytes = xml;
      body.size = xml.size();
      body.has = true;
      auto done = request("POST",
                          object,
                          {{"uploadId", upload_id}},
                          &body,
                          nullptr,
                          util::sha256_hex(xml));
      // S3 may answer 200 with an error in the body.
      if (done.status != 200 || !error_code(done).empty()) {
        throw failure(done, "cannot finish uploading " + key);
      }
    } catch (...) {
      // Parts of an abandoned upload are invisible, but stored and billed.
      try {
        request("DELETE",
                object,
                {{"uploadId", upload_id}},
                nullptr,
                nullptr,
                util::sha256_hex(""),
                false);
      } catch (...) {
      }
      throw;
    }
  }

  static std::string
  error_code(const Response& r)
  {
    return xml_value(r.body, "Code");
  }

  Error
  failure(const Response& r, const std::string& what) const
  {
    std::string code = error_code(r);
    std::string where = "S3 remote " + quote(m_url);
    if (r.status == 403) {
      return Error(Exit::remote,
                   where + ": access denied (" + (code.empty() ? "403" : code) +
                       ")",
                   "check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or "
                   "the AWS_PROFILE in ~/.aws/credentials) and the bucket's "
                   "permissions");
    }
    if (code == "NoSuchBucket") {
      return Error(Exit::remote,
                   where + ": bucket " + quote(m_bucket) + " does not exist",
                   "create it, or check the URL with 'mlake remote list'");
    }
    std::string message = xml_value(r.body, "Message");
    return Error(Exit::remote,
                 where + ": " + what + ": HTTP " + std::to_string(r.status) +
                     (code.empty() ? "" : " " + code) +
                     (message.empty() ? "" : " (" + message + ")"));
  }

  void
  get_whole(const std::string& key, const Sink& sink)
  {
    auto r = request("GET", m_prefix + key, {}, nullptr, &sink);
    if (r.status != 200) {
      throw download_failure(r, key);
    }
  }

  Error
  download_failure(Response& r, const std::string& key)
  {
    if (r.status == 404 && error_code(r) != "NoSuchBucket") {
      return Error(Exit::not_found,
                   "remote " + quote(m_url) + " has no " + key);
    }
    return failure(r, "cannot download " + key);
  }

  static std::string
  range_header(std::uint64_t from, std::uint64_t size)
  {
    return "bytes=" + std::to_string(from) + "-" +
           std::to_string(from + size - 1);
  }

  // Bytes [start, total) of `key`, in ranges fetched by up to
  // ranges_at_once threads and handed to `sink` in order. This thread
  // hands them over, and fetches each range no helper has taken.
  void
  get_ranges(const std::string& key,
             std::uint64_t start,
             std::uint64_t total,
             const Sink& sink)
  {
    const std::size_t count =
        static_cast<std::size_t>((total - start + range_size - 1) / range_size);
    struct Part
    {
      std::string bytes;
      bool done = false;
    };
    std::vector<Part> parts(count);
    std::mutex mutex;
    std::condition_variable cv;
    std::size_t next_to_fetch = 0;
    std::size_t delivered = 0;
    std::exception_ptr error;

    auto fetch = [&](std::size_t i) {
      const std::uint64_t from = start + i * range_size;
      const std::uint64_t size = std::min(range_size, total - from);
      std::string bytes;
      bytes.reserve(static_cast<std::size_t>(size));
      const Sink into = [&](std::string_view data) { bytes.append(data); };
      auto r = request("GET",
                       m_prefix + key,
                       {},
                       nullptr,
                       &into,
                       util::sha256_hex(""),
                       true,
                       range_header(from, size));
      if (r.status != 206) {
        throw download_failure(r, key);
      }
      if (bytes.size() != size) {
        throw Error(Exit::remote,
                    "S3 remote " + quote(m_url) + " sent " +
                        std::to_string(bytes.size()) + " bytes of " + key +
                        " from byte " + std::to_string(from) + ", not " +
                        std::to_string(size),
                    "run the transfer again");
      }
      std::lock_guard<std::mutex> lock(mutex);
      parts[i].bytes = std::move(bytes);
      parts[i].done = true;
      cv.notify_all();
    };
    auto help = [&] {
      for (;;) {
        std::size_t i = 0;
        {
          std::unique_lock<std::mutex> lock(mutex);
          cv.wait(lock, [&] {
            return error || next_to_fetch >= count ||
                   next_to_fetch < delivered + ranges_at_once;
          });
          if (error || next_to_fetch >= count) {
            return;
          }
          i = next_to_fetch++;
        }
        try {
          fetch(i);
        } catch (...) {
          std::lock_guard<std::mutex> lock(mutex);
          if (!error) {
            error = std::current_exception();
          }
          cv.notify_all();
          return;
        }
      }
    };

    const int helper_count = take_range_helpers(
        std::min<int>(ranges_at_once - 1, static_cast<int>(count) - 1));
    std::vector<std::thread> helpers;
    auto stop_helpers = [&] {
      for (auto& helper : helpers) {
        helper.join();
      }
      release_range_helpers(helper_count);
    };
    try {
      for (int k = 0; k < helper_count; ++k) {
        helpers.emplace_back(help);
      }
      for (std::size_t i = 0; i < count; ++i) {
        std::unique_lock<std::mutex> lock(mutex);
        if (next_to_fetch == i && !error) {
          ++next_to_fetch;
          lock.unlock();
          fetch(i);
          lock.lock();
        }
        cv.wait(lock, [&] { return parts[i].done || error; });
        if (error) {
          std::rethrow_exception(error);
        }
        std::string bytes = std::move(parts[i].bytes);
        lock.unlock();
        sink(bytes);
        lock.lock();
        delivered = i + 1;
        cv.notify_all();
      }
    } catch (...) {
      {
        std::lock_guard<std::mutex> lock(mutex);
        if (!error) {
          error = std::current_exception();
        }
      }
      cv.notify_all();
      stop_helpers();
      throw;
    }
    stop_helpers();
  }

  // One signed request, retried with backoff on a 5xx answer, a timeout or
  // a dropped connection. A request whose body was partly given to a sink
  // is not retried: the sink cannot take it back.
  Response
  request(const std::string& method,
          const std::string& object_key,
          const std::vector<std::pair<std::string, std::string>>& query,
          const Body* body,
          const Sink* sink,
          const std::string& payload_hash = util::sha256_hex(""),
          bool interruptible = true,
          const std::string& range = "")
  {
    std::string path = (m_path_style ? "/" + m_bucket + "/" : "/") +
                       sigv4::uri_encode(object_key, false);
    std::string canonical_query = sigv4::canonical_query(query);
    std::string url = m_scheme + "://" + m_host + path +
                      (canonical_query.empty() ? "" : "?" + canonical_query);
    for (int attempt = 1;; ++attempt) {
      if (interruptible) {
        util::throw_if_interrupted();
      }
      Response response;
      CURLcode rc = perform(method,
                            url,
                            path,
                            query,
                            body,
                            sink,
                            payload_hash,
                            interruptible,
                            range,
                            response);
      if (interruptible) {
        util::throw_if_interrupted();
      }
      bool retry = false;
      std::string why;
      if (rc != CURLE_OK) {
        retry = transient(rc);
        why = util::libcurl().easy_strerror(rc);
      } else if (response.status >= 500) {
        retry = true;
        why = "HTTP " + std::to_string(response.status);
      } else {
        return response;
      }
      if (!retry || attempt >= max_attempts || response.streamed) {
        if (rc == CURLE_OK) {
          return response; // a 5xx, reported by the caller
        }
        throw Error(Exit::remote,
                    "S3 remote " + quote(m_url) + ": cannot reach " + m_scheme +
                        "://" + m_host + ": " + why,
                    "check the endpoint, the network, and that the server "
                    "is running");
      }
      std::this_thread::sleep_for(
          std::chrono::milliseconds(200 * (1 << (attempt - 1))));
    }
  }

  CURLcode
  perform(const std::string& method,
          const std::string& url,
          const std::string& path,
          const std::vector<std::pair<std::string, std::string>>& query,
          const Body* body,
          const Sink* sink,
          const std::string& payload_hash,
          bool interruptible,
          const std::string& range,
          Response& response)
  {
    const auto& curl = util::libcurl();
    CURL* h = thread_handle();
    const std::string amz_date = amz_now();
    sigv4::Request signing;
    signing.method = method;
    signing.path = path;
    signing.query = query;
    signing.headers = {{"host", m_host},
                       {"x-amz-content-sha256", payload_hash},
                       {"x-amz-date", amz_date}};
    const auto& credentials = this->credentials();
    if (!credentials.session_token.empty()) {
      signing.headers.emplace_back("x-amz-security-token",
                                   credentials.session_token);
    }
    if (!range.empty()) {
      signing.headers.emplace_back("range", range);
    }
    signing.payload_hash = payload_hash;
    const std::string auth =
        sigv4::authorization(credentials, signing, amz_date, m_region, "s3");

    struct curl_slist* headers = nullptr;
    auto add = [&](const std::string& line) {
      headers = curl.slist_append(headers, line.c_str());
    };
    add("Authorization: " + auth);
    add("x-amz-content-sha256: " + payload_hash);
    add("x-amz-date: " + amz_date);
    if (!credentials.session_token.empty()) {
      add("x-amz-security-token: " + credentials.session_token);
    }
    if (!range.empty()) {
      add("Range: " + range);
    }
    add("Expect:"); // no 100-continue round trip
    std::unique_ptr<curl_slist, void (*)(curl_slist*)> header_list(
        headers, curl.slist_free_all);

    Call call;
    call.body = body;
    call.sink = sink;
    call.response = &response;
    call.interruptible = interruptible;
    curl.easy_setopt(h, CURLOPT_URL, url.c_str());
    curl.easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl.easy_setopt(h, CURLOPT_HTTPHEADER, header_list.get());
    curl.easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 10L);
    curl.easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl.easy_setopt(h, CURLOPT_LOW_SPEED_TIME, 60L);
    curl.easy_setopt(h, CURLOPT_USERAGENT, "mlake/" MLAKE_VERSION);
    curl.easy_setopt(h, CURLOPT_WRITEFUNCTION, on_write);
    curl.easy_setopt(h, CURLOPT_WRITEDATA, &call);
    curl.easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl.easy_setopt(h, CURLOPT_HEADERDATA, &call);
    curl.easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl.easy_setopt(h, CURLOPT_XFERINFODATA, &call);
    curl.easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    curl.easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    if (method == "HEAD") {
      curl.easy_setopt(h, CURLOPT_NOBODY, 1L);
    } else if (method == "PUT") {
      curl.easy_setopt(h, CURLOPT_UPLOAD, 1L);
      curl.easy_setopt(h, CURLOPT_READFUNCTION, on_read);
      curl.easy_setopt(h, CURLOPT_READDATA, &call);
      curl.easy_setopt(h,
                       CURLOPT_INFILESIZE_LARGE,
                       static_cast<curl_off_t>(body ? body->size : 0));
    } else if (method == "POST") {
      curl.easy_setopt(h, CURLOPT_POST, 1L);
      curl.easy_setopt(h, CURLOPT_READFUNCTION, on_read);
      curl.easy_setopt(h, CURLOPT_READDATA, &call);
      curl.easy_setopt(h,
                       CURLOPT_POSTFIELDSIZE_LARGE,
                       static_cast<curl_off_t>(body ? body->size : 0));
    } else if (method != "GET") {
      curl.easy_setopt(h, CURLOPT_CUSTOMREQUEST, method.c_str());
    }
    static const Body no_body;
    if (!body) {
      call.body = &no_body;
    }
    CURLcode rc = curl.easy_perform(h);
    if (call.error) {
      std::rethrow_exception(call.error);
    }
    curl.easy_getinfo(h, CURLINFO_RESPONSE_CODE, &response.status);
    return rc;
  }

  const sigv4::Credentials&
  credentials()
  {
    std::call_once(m_credentials_once,
                   [this] { m_credentials = find_credentials(); });
    return m_credentials;
  }

  std::string m_url;
  std::string m_bucket;
  std::string m_prefix; // "" or "team/iris/"
  std::string m_region;
  std::string m_scheme;
  std::string m_host;
  bool m_path_style = false;
  std::uint64_t m_part_size = default_part_size;
  std::once_flag m_credentials_once;
  sigv4::Credentials m_credentials;
};

} // namespace

std::unique_ptr<Remote>
open_s3_remote(const lake::RemoteConfig& config)
{
  return std::make_unique<S3Remote>(config);
}

} // namespace mlake::remote
