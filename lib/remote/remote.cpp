#include <mlake/remote/remote.hpp>
#include <mlake/util/error.hpp>
#include <mlake/util/fs.hpp>
#include <mlake/util/hash.hpp>
#include <mlake/util/http.hpp>

namespace mlake::remote {

namespace {

const std::string file_scheme = "file://";
const std::string s3_scheme = "s3://";

bool
starts_with(std::string_view text, std::string_view prefix)
{
  return text.substr(0, prefix.size()) == prefix;
}

Error
bad_url(const std::string& url, const std::string& why)
{
  return Error(Exit::usage,
               "bad remote URL " + quote(util::redact_url(url)) + ": " + why,
               "use a path, file:///path or s3://bucket/prefix");
}

// The rules S3 sets for bucket names that work with both addressing
// styles: 3-63 lower-case letters, digits, '.' and '-', starting and
// ending with a letter or digit.
bool
valid_bucket(std::string_view bucket)
{
  if (bucket.size() < 3 || bucket.size() > 63) {
    return false;
  }
  for (char c : bucket) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
          c == '-')) {
      return false;
    }
  }
  auto alnum = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
  };
  return alnum(bucket.front()) && alnum(bucket.back()) &&
         bucket.find("..") == std::string_view::npos;
}

} // namespace

std::string
normalize_url(const std::string& url, const fs::path& base_dir)
{
  if (url.empty()) {
    throw bad_url(url, "it is empty");
  }
  if (url.find("://") != std::string::npos && util::redact_url(url) != url) {
    throw Error(Exit::usage,
                "bad remote URL " + quote(util::redact_url(url)) +
                    ": credentials do not belong in a URL",
                "for S3, set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or "
                "use ~/.aws/credentials");
  }
  if (starts_with(url, s3_scheme)) {
    std::string rest = url.substr(s3_scheme.size());
    std::string bucket = rest.substr(0, rest.find('/'));
    std::string prefix =
        bucket.size() < rest.size() ? rest.substr(bucket.size() + 1) : "";
    if (bucket.find('@') != std::string::npos ||
        bucket.find(':') != std::string::npos) {
      throw Error(Exit::usage,
                  "bad remote URL: credentials do not belong in a URL",
                  "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or use "
                  "~/.aws/credentials");
    }
    if (!valid_bucket(bucket)) {
      throw bad_url(url,
                    "bucket name " + quote(bucket) +
                        " is not valid (3-63 lower-case letters, digits, '.' "
                        "and '-')");
    }
    while (!prefix.empty() && prefix.back() == '/') {
      prefix.pop_back();
    }
    if (!prefix.empty() && !util::is_safe_relative_path(prefix)) {
      throw bad_url(url, "the prefix has empty, '.' or '..' parts");
    }
    return s3_scheme + bucket + (prefix.empty() ? "" : "/" + prefix);
  }
  std::string path = url;
  if (starts_with(url, file_scheme)) {
    path = url.substr(file_scheme.size());
    if (path.empty() || path[0] != '/') {
      throw bad_url(url, "a file URL needs an absolute path (file:///path)");
    }
  } else if (url.find("://") != std::string::npos) {
    // A remote mlake cannot talk to, as the issue of remotes has it: the
    // remote's failure (12), like a bucket that does not exist.
    Error error =
        bad_url(url, "unknown scheme " + quote(url.substr(0, url.find("://"))));
    throw Error(Exit::remote, error.what(), error.hint());
  }
  fs::path absolute = util::absolute_normal(base_dir / path);
  std::string text = absolute.string();
  while (text.size() > 1 && text.back() == '/') {
    text.pop_back();
  }
  return text;
}

void
check_config(lake::RemoteConfig& config, const fs::path& base_dir)
{
  if (!lake::valid_remote_name(config.name)) {
    throw Error(Exit::usage,
                "bad remote name " + quote(config.name),
                "use letters, digits, '.', '_' and '-'");
  }
  config.url = normalize_url(config.url, base_dir);
  const bool s3 = starts_with(config.url, s3_scheme);
  if (!s3 && (config.endpoint || config.region || config.path_style ||
              config.part_size)) {
    throw Error(Exit::usage,
                "--endpoint, --region, --path-style and --part-size are for "
                "s3:// remotes");
  }
  if (config.endpoint) {
    const std::string& endpoint = *config.endpoint;
    if (!starts_with(endpoint, "http://") &&
        !starts_with(endpoint, "https://")) {
      throw Error(Exit::usage,
                  "bad endpoint " + quote(util::redact_url(endpoint)),
                  "give a URL such as https://minio.example.org:9000");
    }
    if (util::redact_url(endpoint) != endpoint) {
      throw Error(Exit::usage,
                  "credentials do not belong in an endpoint URL",
                  "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY");
    }
  }
  if (config.part_size && *config.part_size < (5ull << 20)) {
    throw Error(Exit::usage,
                "the part size must be at least 5 MiB (5242880 bytes), the "
                "smallest part S3 accepts");
  }
}

Error
damaged_object(std::string_view expected, const std::string& actual)
{
  return Error(Exit::integrity,
               "object " + std::string(expected) +
                   " of this lake is damaged (its content hashes to " + actual +
                   "); it was not sent",
               "run 'mlake fsck'; a copy from another clone repairs it");
}

std::unique_ptr<Remote>
open_remote(const lake::RemoteConfig& config, const fs::path& base_dir)
{
  std::string url;
  try {
    url = normalize_url(config.url, base_dir);
  } catch (const Error& e) {
    throw Error(Exit::remote,
                "remote " + quote(config.name) + ": " + e.what(),
                e.hint());
  }
  if (starts_with(url, s3_scheme)) {
    lake::RemoteConfig normal = config;
    normal.url = url;
    return open_s3_remote(normal);
  }
  return open_file_remote(url);
}

std::string
object_key(std::string_view hash)
{
  std::string key = "objects/";
  key.append(hash.substr(0, 2));
  key += '/';
  key.append(hash.substr(2));
  return key;
}

std::string
node_key(std::string_view id)
{
  std::string key = "nodes/";
  key.append(id);
  key += ".json";
  return key;
}

std::optional<std::string>
hash_of_object_key(std::string_view key)
{
  // "objects/" + 2 + "/" + 62
  if (key.size() != 8 + 2 + 1 + 62 || !starts_with(key, "objects/") ||
      key[10] != '/') {
    return std::nullopt;
  }
  std::string hash(key.substr(8, 2));
  hash.append(key.substr(11));
  if (!util::is_sha256_hex(hash)) {
    return std::nullopt;
  }
  return hash;
}

std::optional<std::string>
id_of_node_key(std::string_view key)
{
  if (key.size() != 6 + 64 + 5 || !starts_with(key, "nodes/") ||
      key.substr(70) != ".json") {
    return std::nullopt;
  }
  std::string id(key.substr(6, 64));
  if (!util::is_sha256_hex(id)) {
    return std::nullopt;
  }
  return id;
}

} // namespace mlake::remote
