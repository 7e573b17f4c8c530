#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mlake::remote::sigv4 {

// AWS Signature Version 4 (the S3 flavour: the path is encoded once, never
// normalised), computed with OpenSSL's HMAC-SHA256.
//
// References: "Signature Calculations for the Authorization Header" in the
// Amazon S3 API Reference, and the AWS SigV4 test suite; the unit tests
// check this code against their worked examples.

struct Credentials
{
  std::string access_key;
  std::string secret_key;
  std::string session_token; // empty unless temporary credentials
};

struct Request
{
  std::string method;
  std::string path; // as sent: already URI-encoded, starting with '/'
  // Unencoded names and values; encoded and sorted when signing.
  std::vector<std::pair<std::string, std::string>> query;
  // Every header to sign, host and x-amz-date among them.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string payload_hash; // hex SHA-256, or "UNSIGNED-PAYLOAD"
};

// RFC 3986 percent-encoding of everything but A-Z a-z 0-9 - . _ ~ (and '/'
// unless `encode_slash`), upper-case hex, as SigV4 wants.
std::string uri_encode(std::string_view text, bool encode_slash);

// The query as it appears in the canonical request and on the wire:
// encoded, sorted by name then value, joined with '&'.
std::string
canonical_query(const std::vector<std::pair<std::string, std::string>>& query);

std::string canonical_request(const Request& request);
// "host;x-amz-date;...": the lower-case names of the signed headers.
std::string signed_headers(const Request& request);

// `amz_date` is "YYYYMMDDTHHMMSSZ".
std::string string_to_sign(const std::string& amz_date,
                           const std::string& scope,
                           const std::string& canonical);

// The hex signature of `string_to_sign`.
std::string signature(const std::string& secret_key,
                      const std::string& date, // YYYYMMDD
                      const std::string& region,
                      const std::string& service,
                      const std::string& string_to_sign);

// The value of the Authorization header.
std::string authorization(const Credentials& credentials,
                          const Request& request,
                          const std::string& amz_date,
                          const std::string& region,
                          const std::string& service);

} // namespace mlake::remote::sigv4
