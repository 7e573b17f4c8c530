#include <mlake/util/hash.hpp>

#include <catch2/catch.hpp>

using mlake::util::sha256_hex;

TEST_CASE("sha256 of known inputs", "[util]")
{
  CHECK(sha256_hex("") ==
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(sha256_hex("abc") ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_CASE("incremental hashing matches one-shot", "[util]")
{
  mlake::util::Sha256 sha;
  sha.update("a");
  sha.update("bc");
  CHECK(sha.hex_digest() == sha256_hex("abc"));
}

TEST_CASE("hex checks", "[util]")
{
  CHECK(mlake::util::is_sha256_hex(sha256_hex("x")));
  CHECK_FALSE(mlake::util::is_sha256_hex("abc"));
  CHECK_FALSE(mlake::util::is_hex("ABC"));
  CHECK(mlake::util::is_hex("0af"));
}
