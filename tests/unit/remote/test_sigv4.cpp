// The signer against published vectors: the worked examples of the Amazon
// S3 API Reference ("Signature Calculations for the Authorization Header:
// Transferring Payload in a Single Chunk") and cases of the AWS SigV4 test
// suite (service "service", 2015-08-30).

#include <mlake/remote/sigv4.hpp>
#include <mlake/util/hash.hpp>

#include <catch2/catch.hpp>

using namespace mlake::remote;

namespace {

const std::string empty_hash =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

const sigv4::Credentials s3_example{
    "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", ""};
const std::string s3_date = "20130524T000000Z";

const sigv4::Credentials suite{
    "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ""};
const std::string suite_date = "20150830T123600Z";

std::string
signature_of(const std::string& authorization)
{
  return authorization.substr(authorization.rfind('=') + 1);
}

sigv4::Request
s3_request(const std::string& method,
           const std::string& path,
           std::vector<std::pair<std::string, std::string>> query,
           std::vector<std::pair<std::string, std::string>> extra_headers,
           const std::string& payload_hash)
{
  sigv4::Request r;
  r.method = method;
  r.path = path;
  r.query = std::move(query);
  r.headers = {{"Host", "examplebucket.s3.amazonaws.com"},
               {"x-amz-date", s3_date},
               {"x-amz-content-sha256", payload_hash}};
  for (auto& header : extra_headers) {
    r.headers.push_back(std::move(header));
  }
  r.payload_hash = payload_hash;
  return r;
}

sigv4::Request
suite_request(const std::string& method,
              const std::string& raw_path,
              std::vector<std::pair<std::string, std::string>> query = {})
{
  sigv4::Request r;
  r.method = method;
  r.path = sigv4::uri_encode(raw_path, false);
  r.query = std::move(query);
  r.headers = {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", suite_date}};
  r.payload_hash = empty_hash;
  return r;
}

std::string
suite_signature(const sigv4::Request& r)
{
  return signature_of(
      sigv4::authorization(suite, r, suite_date, "us-east-1", "service"));
}

} // namespace

TEST_CASE("S3 example: GET object with a range", "[remote][sigv4]")
{
  auto r =
      s3_request("GET", "/test.txt", {}, {{"Range", "bytes=0-9"}}, empty_hash);
  CHECK(sigv4::canonical_request(r) ==
        "GET\n/test.txt\n\nhost:examplebucket.s3.amazonaws.com\n"
        "range:bytes=0-9\nx-amz-content-sha256:" +
            empty_hash +
            "\nx-amz-date:20130524T000000Z\n\n"
            "host;range;x-amz-content-sha256;x-amz-date\n" +
            empty_hash);
  CHECK(sigv4::string_to_sign(s3_date,
                              "20130524/us-east-1/s3/aws4_request",
                              sigv4::canonical_request(r)) ==
        "AWS4-HMAC-SHA256\n20130524T000000Z\n"
        "20130524/us-east-1/s3/aws4_request\n"
        "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972");
  CHECK(sigv4::authorization(s3_example, r, s3_date, "us-east-1", "s3") ==
        "AWS4-HMAC-SHA256 "
        "Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
        "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
        "Signature="
        "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
}

TEST_CASE("S3 example: PUT object", "[remote][sigv4]")
{
  const std::string payload = mlake::util::sha256_hex("Welcome to Amazon S3.");
  REQUIRE(payload ==
          "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
  auto r = s3_request("PUT",
                      "/" + sigv4::uri_encode("test$file.text", false),
                      {},
                      {{"Date", "Fri, 24 May 2013 00:00:00 GMT"},
                       {"x-amz-storage-class", "REDUCED_REDUNDANCY"}},
                      payload);
  CHECK(r.path == "/test%24file.text");
  CHECK(sigv4::signed_headers(r) ==
        "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class");
  CHECK(signature_of(
            sigv4::authorization(s3_example, r, s3_date, "us-east-1", "s3")) ==
        "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");
}

TEST_CASE("S3 example: GET bucket lifecycle", "[remote][sigv4]")
{
  auto r = s3_request("GET", "/", {{"lifecycle", ""}}, {}, empty_hash);
  CHECK(sigv4::canonical_query(r.query) == "lifecycle=");
  CHECK(signature_of(
            sigv4::authorization(s3_example, r, s3_date, "us-east-1", "s3")) ==
        "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543");
}

TEST_CASE("S3 example: list objects", "[remote][sigv4]")
{
  auto r = s3_request(
      "GET", "/", {{"prefix", "J"}, {"max-keys", "2"}}, {}, empty_hash);
  CHECK(sigv4::canonical_query(r.query) == "max-keys=2&prefix=J");
  CHECK(signature_of(
            sigv4::authorization(s3_example, r, s3_date, "us-east-1", "s3")) ==
        "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
}

TEST_CASE("SigV4 test suite", "[remote][sigv4]")
{
  CHECK(suite_signature(suite_request("GET", "/")) ==
        "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
  CHECK(suite_signature(suite_request("POST", "/")) ==
        "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b");
  // get-vanilla-query-order-key-case
  CHECK(suite_signature(suite_request(
            "GET", "/", {{"Param2", "value2"}, {"Param1", "value1"}})) ==
        "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500");
  // get-vanilla-empty-query-key
  CHECK(suite_signature(suite_request("GET", "/", {{"Param1", "value1"}})) ==
        "a67d582fa61cc504c4bae71f336f98b97f1ea3c7a6bfe1b6e45aec72011b9aeb");
  // get-unreserved: nothing to encode
  const std::string unreserved =
      "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  CHECK(sigv4::uri_encode(unreserved, false) == unreserved);
  CHECK(suite_signature(suite_request("GET", unreserved)) ==
        "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f");
  // get-utf8: UTF-8 bytes, upper-case hex
  CHECK(sigv4::uri_encode("/\xE1\x88\xB4", false) == "/%E1%88%B4");
  CHECK(suite_signature(suite_request("GET", "/\xE1\x88\xB4")) ==
        "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85");
  // get-space-unnormalized: a space is %20, never '+'
  CHECK(suite_signature(suite_request("GET", "/example space/")) ==
        "652487583200325589f1fba4c7e578f72c47cb61beeca81406b39ddec1366741");
  // get-vanilla-query-order-encoded: sorted by encoded name
  auto encoded = suite_request(
      "GET",
      "/",
      {{"Param-3", "Value3"}, {"Param", "Value2"}, {"\xE1\x88\xB4", "Value1"}});
  CHECK(sigv4::canonical_query(encoded.query) ==
        "%E1%88%B4=Value1&Param=Value2&Param-3=Value3");
  CHECK(suite_signature(encoded) ==
        "371d3713e185cc334048618a97f809c9ffe339c62934c032af5a0e595648fcac");
}

TEST_CASE("keys with spaces, '+', '=', '~' and UTF-8 are encoded as S3 wants",
          "[remote][sigv4]")
{
  CHECK(sigv4::uri_encode("a b+c=d~e/é", false) == "a%20b%2Bc%3Dd~e/%C3%A9");
  CHECK(sigv4::uri_encode("a/b", true) == "a%2Fb");
  // In a query, '/' in a value is encoded, and '=' or '&' cannot leak out.
  CHECK(sigv4::canonical_query({{"prefix", "team/a b&c=d"}}) ==
        "prefix=team%2Fa%20b%26c%3Dd");
  // The signature covers the key: another key, another signature.
  auto one = s3_request("GET", "/a%20b", {}, {}, empty_hash);
  auto two = s3_request("GET", "/a%2Bb", {}, {}, empty_hash);
  CHECK(sigv4::authorization(s3_example, one, s3_date, "us-east-1", "s3") !=
        sigv4::authorization(s3_example, two, s3_date, "us-east-1", "s3"));
}

TEST_CASE("header values are trimmed and their inner spaces collapsed",
          "[remote][sigv4]")
{
  sigv4::Request r = suite_request("GET", "/");
  r.headers.emplace_back("My-Header1", "  a   b   c  ");
  CHECK(sigv4::canonical_request(r).find("my-header1:a b c\n") !=
        std::string::npos);
}
