#pragma once

// The two kinds of remote the tests run against: a folder, and the s3rver
// that ctest starts for the whole run (tests/s3/s3rver.sh).

#include <mlake/lake/config.hpp>
#include <mlake/remote/remote.hpp>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <string>

#include "test_support.hpp"

namespace mlake::test {

// The endpoint of the test run's s3rver; fails the test when there is none
// (the fixture did not start, or the test ran outside ctest).
inline std::string
s3_endpoint()
{
  const char* state = std::getenv("MLAKE_TEST_S3_STATE");
  if (!state) {
    state = MLAKE_TEST_S3_STATE_FILE;
  }
  std::ifstream in(state);
  std::string line;
  while (std::getline(in, line)) {
    const std::string key = "MLAKE_TEST_S3_ENDPOINT=";
    if (line.rfind(key, 0) == 0) {
      ::setenv("AWS_ACCESS_KEY_ID", "S3RVER", 1);
      ::setenv("AWS_SECRET_ACCESS_KEY", "S3RVER", 1);
      return line.substr(key.size());
    }
  }
  FAIL("no s3rver endpoint in " << state
                                << ": run the tests with ctest, which starts "
                                   "s3rver (tests/s3/s3rver.sh); did the "
                                   "s3rver.start test fail?");
  return {};
}

// A prefix no other test uses, in the test bucket.
inline std::string
unique_s3_url(const std::string& what)
{
  static std::atomic<int> counter{0};
  auto now = std::chrono::steady_clock::now().time_since_epoch().count();
  return "s3://mlake-test/unit-" + what + "-" + std::to_string(::getpid()) +
         "-" + std::to_string(now) + "-" + std::to_string(counter++);
}

inline lake::RemoteConfig
s3_remote_config(const std::string& what, const std::string& name = "origin")
{
  lake::RemoteConfig config;
  config.name = name;
  config.url = unique_s3_url(what);
  config.endpoint = s3_endpoint();
  config.part_size = 5ull << 20; // the smallest S3 allows: multipart soon
  return config;
}

inline lake::RemoteConfig
folder_remote_config(const fs::path& dir, const std::string& name = "origin")
{
  lake::RemoteConfig config;
  config.name = name;
  config.url = dir.string();
  return config;
}

} // namespace mlake::test
