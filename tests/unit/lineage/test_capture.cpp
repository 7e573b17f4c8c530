#include <mlake/lineage/capture.hpp>
#include <mlake/util/http.hpp>

#include <catch2/catch.hpp>

#include <stdlib.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <string>
#include <vector>

#include "test_support.hpp"

using mlake::json;
using mlake::lineage::git_state;
using mlake::lineage::is_secret_name;
using mlake::lineage::run_environment;
using mlake::lineage::script_of;
using mlake::test::slurp;
using mlake::test::TempDir;
using mlake::test::write_file;
using mlake::util::redact_url;
namespace fs = std::filesystem;

namespace {

// Run git in `dir` with a fixed identity and no user or system
// configuration; the test fails when git does.
void
git(const fs::path& dir,
    const std::string& args,
    const std::string& out = "/dev/null")
{
  std::string command =
      "cd '" + dir.string() +
      "' && GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null "
      "GIT_AUTHOR_NAME='Ada Tester' GIT_AUTHOR_EMAIL=ada@example.org "
      "GIT_COMMITTER_NAME='Ada Tester' GIT_COMMITTER_EMAIL=ada@example.org "
      "git " +
      args + " >'" + out + "' 2>/dev/null";
  INFO(command);
  REQUIRE(std::system(command.c_str()) == 0);
}

// What `git ARGS` prints in `dir`, without the final newline.
std::string
git_output(const TempDir& tmp, const fs::path& dir, const std::string& args)
{
  fs::path out = tmp / "git-output.txt";
  git(dir, args, out.string());
  std::string text = slurp(out);
  while (!text.empty() && text.back() == '\n') {
    text.pop_back();
  }
  return text;
}

bool
is_hex64(const json& value)
{
  if (!value.is_string()) {
    return false;
  }
  const std::string& s = value.get_ref<const std::string&>();
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) {
           return std::isdigit(static_cast<unsigned char>(c)) ||
                  (c >= 'a' && c <= 'f');
         });
}

// A repository in `tmp / "repo"` with one commit of model.py, whose origin
// has credentials in its URL.
fs::path
make_repo(const TempDir& tmp)
{
  fs::path repo = tmp / "repo";
  fs::create_directories(repo);
  git(repo, "init -q -b main");
  write_file(repo / "model.py", "print('v1')\n");
  write_file(repo / "sub" / "fit.py", "print('fit')\n");
  git(repo, "add model.py sub/fit.py");
  git(repo, "-c commit.gpgsign=false commit -q -m first");
  git(repo, "remote add origin https://u:p@host.example/r.git");
  return repo;
}

} // namespace

TEST_CASE("is_secret_name finds KEY, TOKEN, SECRET, PASSWORD in any case",
          "[lineage]")
{
  for (const char* name : {"API_KEY",
                           "KEY",
                           "aws_secret_access_key",
                           "GITHUB_TOKEN",
                           "HfToken",
                           "MY_SECRET_VALUE",
                           "db_password",
                           "PasswordFile",
                           "KEYRING_BACKEND"}) {
    INFO(name);
    CHECK(is_secret_name(name));
  }
  for (const char* name :
       {"HOME", "PATH", "CUDA_VISIBLE_DEVICES", "PASSWD", "SEED", "", "K_EY"}) {
    INFO(name);
    CHECK_FALSE(is_secret_name(name));
  }
}

TEST_CASE("script_of finds the file an interpreter runs", "[lineage]")
{
  TempDir dir;
  write_file(dir / "train.py", "print(1)\n");
  write_file(dir / "run.sh", "echo hi\n");
  write_file(dir / "fit.R", "1\n");
  write_file(dir / "src" / "prep.py", "print(2)\n");
  fs::create_directories(dir / "pkg");
  const fs::path& cwd = dir.path();

  CHECK(script_of({"python3", "train.py"}, cwd) == "train.py");
  CHECK(script_of({"python", "train.py", "--epochs", "3"}, cwd) == "train.py");
  CHECK(script_of({"python3.11", "-u", "train.py"}, cwd) == "train.py");
  CHECK(script_of({"/usr/bin/python3", "train.py"}, cwd) == "train.py");
  CHECK(script_of({"python3", "src/prep.py"}, cwd) == "src/prep.py");
  CHECK(script_of({"bash", "-x", "run.sh"}, cwd) == "run.sh");
  CHECK(script_of({"sh", "run.sh"}, cwd) == "run.sh");
  CHECK(script_of({"Rscript", "fit.R"}, cwd) == "fit.R");

  // A module or inline code is not a file.
  CHECK(script_of({"python3", "-m", "train"}, cwd) == "");
  CHECK(script_of({"python3", "-c", "print(1)", "train.py"}, cwd) == "");
  CHECK(script_of({"sh", "-c", "cat in.txt > out.txt"}, cwd) == "");
  // Not an interpreter.
  CHECK(script_of({"cat", "train.py"}, cwd) == "");
  CHECK(script_of({"./train.py"}, cwd) == "");
  CHECK(script_of({"pythonista", "train.py"}, cwd) == "");
  // A file that does not exist, or a folder.
  CHECK(script_of({"python3", "missing.py"}, cwd) == "");
  CHECK(script_of({"python3", "pkg"}, cwd) == "");
  CHECK(script_of({"python3"}, cwd) == "");
  CHECK(script_of({}, cwd) == "");
}

TEST_CASE("git_state outside a repository is null", "[lineage]")
{
  TempDir dir;
  CHECK(git_state(dir.path()).is_null());
}

TEST_CASE("git_state reads commit, branch, remote and path", "[lineage]")
{
  TempDir tmp;
  fs::path repo = make_repo(tmp);
  std::string head = git_output(tmp, repo, "rev-parse HEAD");
  REQUIRE(head.size() == 40);

  json state = git_state(repo);
  REQUIRE(state.is_object());
  CHECK(state["commit"] == head);
  CHECK(state["branch"] == "main");
  CHECK(state["remote"] == "https://host.example/r.git");
  CHECK(state.dump().find("u:p") == std::string::npos);
  CHECK(state["dirty"] == false);
  CHECK_FALSE(state.contains("diff"));
  CHECK(state["path"] == ".");

  // From a subfolder: the same repository, and where in it.
  json sub = git_state(repo / "sub");
  REQUIRE(sub.is_object());
  CHECK(sub["commit"] == head);
  CHECK(sub["path"] == "sub");

  // A detached HEAD has no branch.
  git(repo, "checkout -q --detach");
  json detached = git_state(repo);
  CHECK(detached["commit"] == head);
  CHECK(detached["branch"].is_null());
}

TEST_CASE("git_state is dirty when a tracked file changes", "[lineage]")
{
  TempDir tmp;
  fs::path repo = make_repo(tmp);

  // An untracked file does not make it dirty.
  write_file(repo / "notes.txt", "scratch\n");
  CHECK(git_state(repo)["dirty"] == false);

  write_file(repo / "model.py", "print('v2')\n");
  json first = git_state(repo);
  CHECK(first["dirty"] == true);
  REQUIRE(is_hex64(first["diff"]));
  // The same change gives the same hash.
  CHECK(git_state(repo)["diff"] == first["diff"]);

  write_file(repo / "model.py", "print('v3')\n");
  json second = git_state(repo);
  CHECK(second["dirty"] == true);
  REQUIRE(is_hex64(second["diff"]));
  CHECK(second["diff"] != first["diff"]);

  // Back to the committed content: clean again.
  write_file(repo / "model.py", "print('v1')\n");
  json clean = git_state(repo);
  CHECK(clean["dirty"] == false);
  CHECK_FALSE(clean.contains("diff"));
}

TEST_CASE("run_environment describes the machine", "[lineage]")
{
  json env = run_environment({"sh", "-c", "true"}, {});
  struct utsname un;
  REQUIRE(::uname(&un) == 0);
  REQUIRE(env["os"].is_string());
  CHECK_THAT(env["os"].get<std::string>(), Catch::StartsWith(un.sysname));
  REQUIRE(env["kernel"].is_string());
  CHECK_THAT(env["kernel"].get<std::string>(), Catch::StartsWith(un.release));
  CHECK(env["arch"] == std::string(un.machine));
  REQUIRE(env["cpu"]["count"].is_number_unsigned());
  CHECK(env["cpu"]["count"].get<unsigned>() > 0);
  CHECK(env["cpu"].contains("model"));
  char host[256] = {};
  ::gethostname(host, sizeof(host) - 1);
  CHECK(env["host"] == std::string(host));
  REQUIRE(env["mlake"].is_string());
  CHECK_FALSE(env["mlake"].get<std::string>().empty());
  // sh is no interpreter whose version is recorded; no variables asked.
  CHECK_FALSE(env.contains("interpreter"));
  CHECK_FALSE(env.contains("vars"));
}

TEST_CASE("run_environment records the variables named, secrets redacted",
          "[lineage]")
{
  ::setenv("MLAKE_UNIT_PLAIN", "hello world", 1);
  ::setenv("MLAKE_UNIT_API_KEY", "s3cr3t-value", 1);
  ::setenv("mlake_unit_token", "another-s3cr3t", 1);
  ::unsetenv("MLAKE_UNIT_UNSET");
  json env = run_environment({},
                             {"MLAKE_UNIT_PLAIN",
                              "MLAKE_UNIT_API_KEY",
                              "mlake_unit_token",
                              "MLAKE_UNIT_UNSET"});
  ::unsetenv("MLAKE_UNIT_PLAIN");
  ::unsetenv("MLAKE_UNIT_API_KEY");
  ::unsetenv("mlake_unit_token");

  json expected = {{"MLAKE_UNIT_PLAIN", "hello world"},
                   {"MLAKE_UNIT_API_KEY", "<redacted>"},
                   {"mlake_unit_token", "<redacted>"},
                   {"MLAKE_UNIT_UNSET", nullptr}};
  CHECK(env["vars"] == expected);
  CHECK(env.dump().find("s3cr3t") == std::string::npos);
  CHECK_FALSE(env.contains("interpreter"));
}

TEST_CASE("run_environment records the Python version", "[lineage]")
{
  json env = run_environment({"python3", "train.py"}, {});
  REQUIRE(env.contains("interpreter"));
  CHECK(env["interpreter"]["name"] == "python3");
  REQUIRE(env["interpreter"]["version"].is_string());
  CHECK_THAT(env["interpreter"]["version"].get<std::string>(),
             Catch::StartsWith("Python 3"));
}

TEST_CASE("redact_url removes credentials and keeps the rest", "[lineage]")
{
  CHECK(redact_url("https://user:token@host/x") == "https://host/x");
  CHECK(redact_url("https://user@host/x") == "https://host/x");
  CHECK(redact_url("https://u:p@host.example:8443/a/b?sig=abc&x=1#frag") ==
        "https://host.example:8443/a/b?sig=abc&x=1#frag");
  CHECK(redact_url("s3://key:secret@bucket/prefix") == "s3://bucket/prefix");
  CHECK(redact_url("https://u:p@host") == "https://host");
  CHECK(redact_url("https://u:p@host?q=1") == "https://host?q=1");
  // A password with '@' in it goes too.
  CHECK(redact_url("https://u:p@ss@host/x") == "https://host/x");

  // Without credentials: unchanged, '@' in the path or query included.
  for (const char* url : {"https://host/x",
                          "https://host/x?token=abc&y=2",
                          "https://host/pkg@1.2/file",
                          "https://host/x?mail=a@b.c",
                          "http://host:8080/",
                          "file:///tmp/data.csv",
                          "/local/path",
                          ""}) {
    INFO(url);
    CHECK(redact_url(url) == url);
  }
}
