#pragma once

// Helpers shared by the unit tests: a fresh temporary folder per test, file
// writing, and a lake made in a temporary folder.

#include <mlake/lake/lake.hpp>
#include <mlake/util/error.hpp>
#include <mlake/util/fs.hpp>

#include <catch2/catch.hpp>

#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace mlake::test {

namespace fs = std::filesystem;

// A folder made with mkdtemp(3) under /tmp, removed with everything in it
// when the object goes out of scope (also when read-only parts are inside).
class TempDir
{
public:
  TempDir()
  {
    std::string pattern = "/tmp/mlake-unit-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) {
      throw std::runtime_error("mkdtemp failed");
    }
    m_path = pattern;
  }
  ~TempDir()
  {
    std::error_code ec;
    // Make every folder writable again so that nothing inside is left
    // behind because a test took the write bit away.
    for (fs::recursive_directory_iterator
             it(m_path, fs::directory_options::skip_permission_denied, ec),
         end;
         !ec && it != end;
         it.increment(ec)) {
      if (it->is_directory(ec) && !it->is_symlink(ec)) {
        ::chmod(it->path().c_str(), 0755);
      }
    }
    fs::remove_all(m_path, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const fs::path&
  path() const noexcept
  {
    return m_path;
  }
  fs::path
  operator/(const fs::path& rel) const
  {
    return m_path / rel;
  }

private:
  fs::path m_path;
};

// The peak resident memory of a child process running `fn`, in KiB: the
// same starting point (this process) for every call, so that two calls
// compare what `fn` itself needs.
template <typename F>
long
child_peak_rss_kib(F&& fn)
{
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    try {
      fn();
    } catch (...) {
      ::_exit(1);
    }
    ::_exit(0);
  }
  int status = 0;
  struct rusage usage = {};
  REQUIRE(::wait4(pid, &status, 0, &usage) == pid);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
  return usage.ru_maxrss;
}

// Write `content` to `path` (creating its folders), replacing what is there.
inline void
write_file(const fs::path& path, std::string_view content, bool exec = false)
{
  if (path.has_parent_path()) {
    fs::create_directories(path.parent_path());
  }
  std::error_code ec;
  fs::remove(path, ec);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(content.data(), static_cast<std::streamsize>(content.size()));
  out.close();
  if (!out) {
    throw std::runtime_error("cannot write " + path.string());
  }
  ::chmod(path.c_str(), exec ? 0755 : 0644);
}

// The whole content of a file, read with plain iostreams (not the library).
inline std::string
slurp(const fs::path& path)
{
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw std::runtime_error("cannot read " + path.string());
  }
  return std::string(std::istreambuf_iterator<char>(in),
                     std::istreambuf_iterator<char>());
}

// Permission bits of a file (not following a final symlink).
inline unsigned
mode_of(const fs::path& path)
{
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) {
    throw std::runtime_error("cannot stat " + path.string());
  }
  return st.st_mode & 07777;
}

// A bare `.mlake` folder with the subfolders the stores use, for testing
// the stores without a whole lake.
inline fs::path
make_store_dirs(const TempDir& dir)
{
  fs::path lake_dir = dir / ".mlake";
  for (const char* sub : {"objects", "nodes", "tmp"}) {
    fs::create_directories(lake_dir / sub);
  }
  return lake_dir;
}

// The names in a folder, sorted (empty when it does not exist).
inline std::vector<std::string>
names_in(const fs::path& dir)
{
  std::vector<std::string> out;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end;
       it.increment(ec)) {
    out.push_back(it->path().filename().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// The identity every test lake records, set before the lake is made.
inline void
set_test_identity()
{
  ::setenv("MLAKE_USER_NAME", "Ada Tester", 1);
  ::setenv("MLAKE_USER_EMAIL", "ada@example.org", 1);
  // Fail fast rather than wait 5 s when a test leaves a lock behind.
  ::setenv("MLAKE_LOCK_TIMEOUT", "0.2", 1);
}

// A new lake in `dir / rel`.
inline lake::Lake
make_lake(const TempDir& dir, const fs::path& rel = "project")
{
  set_test_identity();
  return lake::Lake::init(dir / rel);
}

// A lake in a fresh temporary folder: `root` is the project root.
struct LakeFixture
{
  TempDir dir;
  lake::Lake lake = make_lake(dir);
  fs::path root = lake.root();
};

// The path of the test data file `name`, from MLAKE_TESTDATA (set by CTest)
// or the source tree.
inline fs::path
testdata(const std::string& name)
{
  if (const char* env = std::getenv("MLAKE_TESTDATA"); env && *env) {
    return fs::path(env) / name;
  }
  return fs::path(__FILE__).parent_path().parent_path().parent_path() /
         "testdata" / name;
}

// The mlake::Error that `fn` throws, or nullopt when it returns normally.
// Other exceptions pass through (and fail the test).
template <typename F>
std::optional<Error>
error_of(F&& fn)
{
  try {
    fn();
  } catch (const Error& e) {
    return e;
  }
  return std::nullopt;
}

} // namespace mlake::test
