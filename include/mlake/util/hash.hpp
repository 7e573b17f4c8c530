#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

struct evp_md_ctx_st;

namespace mlake::util {

// Incremental SHA-256 through OpenSSL's EVP interface (which uses the CPU's
// SHA instructions where present).
class Sha256
{
public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void update(const void* data, std::size_t size);
  void
  update(std::string_view data)
  {
    update(data.data(), data.size());
  }
  // Lower-case hex digest; the object cannot be updated afterwards.
  std::string hex_digest();

private:
  evp_md_ctx_st* m_ctx;
};

std::string sha256_hex(std::string_view data);

// Whether `text` is 64 lower-case hex digits.
bool is_sha256_hex(std::string_view text);
// Whether `text` is a non-empty run of lower-case hex digits.
bool is_hex(std::string_view text);

} // namespace mlake::util
