#include <mlake/store/materialize.hpp>
#include <mlake/store/object_store.hpp>
#include <mlake/util/error.hpp>
#include <mlake/util/hash.hpp>

#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <fstream>
#include <string>

#include "test_support.hpp"

using mlake::Exit;
using mlake::store::LinkMode;
using mlake::store::materialize;
using mlake::store::ObjectStore;
using mlake::store::workspace_file_mode;
using mlake::test::error_of;
using mlake::test::make_store_dirs;
using mlake::test::mode_of;
using mlake::test::names_in;
using mlake::test::slurp;
using mlake::test::TempDir;
using mlake::test::write_file;
using mlake::util::sha256_hex;
namespace fs = std::filesystem;

namespace {

const std::string content = "weights: 0.25 0.5 0.125\n";

struct Fixture
{
  TempDir dir;
  ObjectStore store{make_store_dirs(dir)};
  std::string hash = store.put_bytes(content);
  fs::path work = dir / "work";

  Fixture()
  {
    fs::create_directories(work);
  }
};

std::uint64_t
inode_of(const fs::path& path)
{
  struct stat st;
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_ino;
}

} // namespace

TEST_CASE("workspace_file_mode follows the umask", "[store]")
{
  mode_t mask = ::umask(022);
  ::umask(mask);
  CHECK(workspace_file_mode(false) == (0666u & ~unsigned(mask)));
  CHECK(workspace_file_mode(true) == (0777u & ~unsigned(mask)));
}

TEST_CASE("parse_link_mode and to_string", "[store]")
{
  CHECK(mlake::store::parse_link_mode("copy") == LinkMode::copy);
  CHECK(mlake::store::parse_link_mode("reflink") == LinkMode::copy);
  CHECK(mlake::store::parse_link_mode("hardlink") == LinkMode::hardlink);
  CHECK(mlake::store::parse_link_mode("symlink") == LinkMode::symlink);
  CHECK_FALSE(mlake::store::parse_link_mode("Copy").has_value());
  CHECK_FALSE(mlake::store::parse_link_mode("").has_value());
  CHECK_FALSE(mlake::store::parse_link_mode("link").has_value());
  for (auto mode : {LinkMode::copy, LinkMode::hardlink, LinkMode::symlink}) {
    CHECK(mlake::store::parse_link_mode(mlake::store::to_string(mode)) == mode);
  }
}

TEST_CASE("materialize by copy gives an independent writable file", "[store]")
{
  Fixture f;
  const fs::path dest = f.work / "model.bin";
  materialize(f.store, f.hash, dest, LinkMode::copy, false);
  CHECK(slurp(dest) == content);
  CHECK_FALSE(fs::is_symlink(dest));
  CHECK(mode_of(dest) == workspace_file_mode(false));
  CHECK((mode_of(dest) & S_IWUSR) != 0);
  CHECK((mode_of(dest) & S_IXUSR) == 0);
  CHECK(inode_of(dest) != inode_of(f.store.path_of(f.hash)));

  // Rewriting the file in place leaves the object alone.
  {
    std::ofstream out(dest, std::ios::binary | std::ios::trunc);
    REQUIRE(out);
    out << "tampered";
  }
  CHECK(slurp(dest) == "tampered");
  CHECK(f.store.read(f.hash) == content);
  CHECK(f.store.verify(f.hash) == true);
  CHECK(names_in(f.work) == std::vector<std::string>{"model.bin"});
}

TEST_CASE("materialize by copy with exec makes an executable file", "[store]")
{
  Fixture f;
  const fs::path dest = f.work / "train.sh";
  materialize(f.store, f.hash, dest, LinkMode::copy, true);
  CHECK(slurp(dest) == content);
  CHECK(mode_of(dest) == workspace_file_mode(true));
  CHECK((mode_of(dest) & S_IXUSR) != 0);
}

TEST_CASE("materialize of a large object copies every byte", "[store]")
{
  Fixture f;
  std::string big(3 << 20, '\0');
  for (std::size_t i = 0; i < big.size(); ++i) {
    big[i] = static_cast<char>((i * 2654435761u) >> 13);
  }
  write_file(f.dir / "big", big);
  auto stored = f.store.put_file(f.dir / "big");
  materialize(f.store, stored.hash, f.work / "big", LinkMode::copy, false);
  CHECK(sha256_hex(slurp(f.work / "big")) == sha256_hex(big));
}

TEST_CASE("materialize by hard link shares the object's inode", "[store]")
{
  Fixture f;
  const fs::path dest = f.work / "data.csv";
  materialize(f.store, f.hash, dest, LinkMode::hardlink, false);
  CHECK(slurp(dest) == content);
  CHECK_FALSE(fs::is_symlink(dest));
  CHECK(inode_of(dest) == inode_of(f.store.path_of(f.hash)));
  // Read-only, like the object itself.
  CHECK((mode_of(dest) & 0222) == 0);
  CHECK(names_in(f.work) == std::vector<std::string>{"data.csv"});
}

TEST_CASE("materialize by hard link of an executable still makes it "
          "executable",
          "[store]")
{
  Fixture f;
  const fs::path dest = f.work / "run.sh";
  materialize(f.store, f.hash, dest, LinkMode::hardlink, true);
  CHECK(slurp(dest) == content);
  CHECK((mode_of(dest) & S_IXUSR) != 0);
  // The object itself must not have become executable.
  CHECK(mode_of(f.store.path_of(f.hash)) == 0444);
}

TEST_CASE("materialize by symbolic link points at the object", "[store]")
{
  Fixture f;
  const fs::path dest = f.work / "sub" / "data.csv";
  fs::create_directories(dest.parent_path());
  materialize(f.store, f.hash, dest, LinkMode::symlink, false);
  REQUIRE(fs::is_symlink(dest));
  fs::path target = fs::read_symlink(dest);
  // Relative when the link is inside the project that holds the store, so
  // that the project can be moved whole; it resolves to the object.
  CHECK(target.is_relative() ==
        mlake::util::is_within(
            dest, f.store.objects_dir().parent_path().parent_path()));
  CHECK(fs::equivalent(dest.parent_path() / target, f.store.path_of(f.hash)));
  CHECK(slurp(dest) == content);
  CHECK(names_in(dest.parent_path()) == std::vector<std::string>{"data.csv"});
}

TEST_CASE("materialize replaces an existing file", "[store]")
{
  Fixture f;
  const fs::path dest = f.work / "data.csv";
  const LinkMode mode =
      GENERATE(LinkMode::copy, LinkMode::hardlink, LinkMode::symlink);
  INFO("mode " << mlake::store::to_string(mode));
  SECTION("a writable file")
  {
    write_file(dest, "an older, longer version of the data file\n");
  }
  SECTION("a read-only file")
  {
    write_file(dest, "old");
    ::chmod(dest.c_str(), 0444);
  }
  SECTION("a symbolic link to another file")
  {
    write_file(f.dir / "elsewhere.txt", "elsewhere");
    fs::create_symlink(f.dir / "elsewhere.txt", dest);
  }
  materialize(f.store, f.hash, dest, mode, false);
  CHECK(slurp(dest) == content);
  CHECK(names_in(f.work) == std::vector<std::string>{"data.csv"});
  // What the replaced link pointed at is untouched.
  if (fs::exists(f.dir / "elsewhere.txt")) {
    CHECK(slurp(f.dir / "elsewhere.txt") == "elsewhere");
  }
}

TEST_CASE("materialize of a missing object throws Exit::not_found", "[store]")
{
  Fixture f;
  const LinkMode mode =
      GENERATE(LinkMode::copy, LinkMode::hardlink, LinkMode::symlink);
  INFO("mode " << mlake::store::to_string(mode));
  const fs::path dest = f.work / "data.csv";
  write_file(dest, "keep me");
  auto error = error_of(
      [&] { materialize(f.store, sha256_hex("absent"), dest, mode, false); });
  REQUIRE(error);
  CHECK(error->code() == Exit::not_found);
  // Nothing was written or removed.
  CHECK(slurp(dest) == "keep me");
  CHECK(names_in(f.work) == std::vector<std::string>{"data.csv"});
}
