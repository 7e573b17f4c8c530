#include <mlake/remote/sigv4.hpp>
#include <mlake/util/hash.hpp>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <cctype>
#include <stdexcept>

namespace mlake::remote::sigv4 {

namespace {

std::string
hmac(std::string_view key, std::string_view data)
{
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (!HMAC(EVP_sha256(),
            key.data(),
            static_cast<int>(key.size()),
            reinterpret_cast<const unsigned char*>(data.data()),
            data.size(),
            out,
            &size)) {
    throw std::runtime_error("HMAC-SHA256 failed (OpenSSL)");
  }
  return std::string(reinterpret_cast<char*>(out), size);
}

std::string
to_hex(std::string_view bytes)
{
  static const char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

std::string
lower(std::string text)
{
  for (auto& c : text) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return text;
}

// Header values are trimmed and inner runs of spaces collapsed.
std::string
trimmed(std::string_view value)
{
  std::string out;
  bool space = false;
  for (char c : value) {
    if (c == ' ' || c == '\t') {
      space = !out.empty();
      continue;
    }
    if (space) {
      out += ' ';
      space = false;
    }
    out += c;
  }
  return out;
}

std::vector<std::pair<std::string, std::string>>
sorted_headers(const Request& request)
{
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [name, value] : request.headers) {
    out.emplace_back(lower(name), trimmed(value));
  }
  std::sort(out.begin(), out.end());
  return out;
}

} // namespace

std::string
uri_encode(std::string_view text, bool encode_slash)
{
  static const char digits[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
        (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
        c == '~' || (c == '/' && !encode_slash)) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += digits[c >> 4];
      out += digits[c & 15];
    }
  }
  return out;
}

std::string
canonical_query(const std::vector<std::pair<std::string, std::string>>& query)
{
  std::vector<std::pair<std::string, std::string>> encoded;
  for (const auto& [name, value] : query) {
    encoded.emplace_back(uri_encode(name, true), uri_encode(value, true));
  }
  std::sort(encoded.begin(), encoded.end());
  std::string out;
  for (const auto& [name, value] : encoded) {
    out += (out.empty() ? "" : "&") + name + "=" + value;
  }
  return out;
}

std::string
signed_headers(const Request& request)
{
  std::string out;
  for (const auto& [name, value] : sorted_headers(request)) {
    out += (out.empty() ? "" : ";") + name;
  }
  return out;
}

std::string
canonical_request(const Request& request)
{
  std::string out = request.method + "\n" + request.path + "\n" +
                    canonical_query(request.query) + "\n";
  for (const auto& [name, value] : sorted_headers(request)) {
    out += name + ":" + value + "\n";
  }
  out += "\n" + signed_headers(request) + "\n" + request.payload_hash;
  return out;
}

std::string
string_to_sign(const std::string& amz_date,
               const std::string& scope,
               const std::string& canonical)
{
  return "AWS4-HMAC-SHA256\n" + amz_date + "\n" + scope + "\n" +
         util::sha256_hex(canonical);
}

std::string
signature(const std::string& secret_key,
          const std::string& date,
          const std::string& region,
          const std::string& service,
          const std::string& to_sign)
{
  std::string key = hmac("AWS4" + secret_key, date);
  key = hmac(key, region);
  key = hmac(key, service);
  key = hmac(key, "aws4_request");
  return to_hex(hmac(key, to_sign));
}

std::string
authorization(const Credentials& credentials,
              const Request& request,
              const std::string& amz_date,
              const std::string& region,
              const std::string& service)
{
  const std::string date = amz_date.substr(0, 8);
  const std::string scope =
      date + "/" + region + "/" + service + "/aws4_request";
  const std::string to_sign =
      string_to_sign(amz_date, scope, canonical_request(request));
  return "AWS4-HMAC-SHA256 Credential=" + credentials.access_key + "/" + scope +
         ", SignedHeaders=" + signed_headers(request) + ", Signature=" +
         signature(credentials.secret_key, date, region, service, to_sign);
}

} // namespace mlake::remote::sigv4
