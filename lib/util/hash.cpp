#include <mlake/util/error.hpp>
#include <mlake/util/hash.hpp>

#include <openssl/evp.h>

namespace mlake::util {

Sha256::Sha256() : m_ctx(EVP_MD_CTX_new())
{
  if (!m_ctx || EVP_DigestInit_ex(m_ctx, EVP_sha256(), nullptr) != 1) {
    throw Error(Exit::integrity, "cannot initialise SHA-256 (OpenSSL)");
  }
}

Sha256::~Sha256()
{
  EVP_MD_CTX_free(m_ctx);
}

void
Sha256::update(const void* data, std::size_t size)
{
  EVP_DigestUpdate(m_ctx, data, size);
}

std::string
Sha256::hex_digest()
{
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_DigestFinal_ex(m_ctx, digest, &length);
  static const char digits[] = "0123456789abcdef";
  std::string out(length * 2, '0');
  for (unsigned int i = 0; i < length; ++i) {
    out[2 * i] = digits[digest[i] >> 4];
    out[2 * i + 1] = digits[digest[i] & 0xf];
  }
  return out;
}

std::string
sha256_hex(std::string_view data)
{
  Sha256 hasher;
  hasher.update(data);
  return hasher.hex_digest();
}

bool
is_hex(std::string_view text)
{
  if (text.empty()) {
    return false;
  }
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return false;
    }
  }
  return true;
}

bool
is_sha256_hex(std::string_view text)
{
  return text.size() == 64 && is_hex(text);
}

} // namespace mlake::util
