#include <mlake/util/hash.hpp>
#include <mlake/util/hashing_writer.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <random>

#include "../test_support.hpp"

using mlake::test::slurp;
using mlake::test::TempDir;
using mlake::util::HashingWriter;
using mlake::util::sha256_hex;
using mlake::util::UniqueFd;
namespace fs = std::filesystem;

namespace {

// 8 MiB chunks, so this crosses two chunk boundaries and ends unaligned.
std::string
random_bytes(std::size_t size)
{
  std::mt19937 rng(7);
  std::string bytes(size, '\0');
  for (char& c : bytes) {
    c = static_cast<char>(rng());
  }
  return bytes;
}

const std::string content = random_bytes((17 << 20) + 123);

} // namespace

TEST_CASE("HashingWriter writes and hashes what it is given", "[util]")
{
  TempDir dir;
  bool direct = GENERATE(true, false);
  const fs::path path = dir / "out";
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
  REQUIRE(fd);
  HashingWriter writer(fd.get(), path, direct);

  SECTION("in pieces of any size")
  {
    std::size_t at = 0;
    for (std::size_t piece = 1; at < content.size(); piece = piece * 3 + 1) {
      std::size_t take = std::min(piece % (3 << 20), content.size() - at);
      writer.write(std::string_view(content).substr(at, take));
      at += take;
    }
  }
  SECTION("filling its buffers in place")
  {
    std::size_t at = 0;
    while (at < content.size()) {
      std::span<char> room = writer.room();
      std::size_t take = std::min(room.size(), content.size() - at);
      std::copy_n(content.data() + at, take, room.data());
      writer.commit(take);
      at += take;
    }
    writer.commit(0);
  }
  CHECK(writer.finish() == sha256_hex(content));
  CHECK(writer.size() == content.size());
  fd.reset();
  CHECK(slurp(path) == content);
}

TEST_CASE("HashingWriter of nothing", "[util]")
{
  TempDir dir;
  const fs::path path = dir / "out";
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
  HashingWriter writer(fd.get(), path, true);
  CHECK(writer.finish() == sha256_hex(""));
  CHECK(fs::file_size(path) == 0);
}

TEST_CASE("HashingWriter falls back to the page cache where O_DIRECT is "
          "refused",
          "[util]")
{
  if (!fs::is_directory("/dev/shm")) {
    WARN("no tmpfs at /dev/shm: not tested");
    return;
  }
  const fs::path path =
      "/dev/shm/mlake-unit-hashing-writer-" + std::to_string(::getpid());
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
  REQUIRE(fd);
  std::string hash;
  {
    HashingWriter writer(fd.get(), path, true);
    writer.write(content);
    hash = writer.finish();
  }
  std::string written = slurp(path);
  fs::remove(path);
  CHECK(hash == sha256_hex(content));
  CHECK(written == content);
}
