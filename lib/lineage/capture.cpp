#include <mlake/lineage/capture.hpp>
#include <mlake/util/fs.hpp>
#include <mlake/util/hash.hpp>
#include <mlake/util/http.hpp>
#include <mlake/util/libgit2.hpp>

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <thread>

extern char** environ;

namespace mlake::lineage {

namespace {

// Frees a libgit2 object with the matching function when it goes out of
// scope.
template <typename T> class Owned
{
public:
  Owned(void (*free_fn)(T*)) : m_free(free_fn) {}
  ~Owned()
  {
    if (m_ptr) {
      m_free(m_ptr);
    }
  }
  Owned(const Owned&) = delete;
  Owned& operator=(const Owned&) = delete;
  T**
  out()
  {
    return &m_ptr;
  }
  T*
  get() const
  {
    return m_ptr;
  }

private:
  T* m_ptr = nullptr;
  void (*m_free)(T*);
};

std::string
basename_of(const std::string& path)
{
  auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string
upper(std::string text)
{
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) {
    return static_cast<char>(std::toupper(c));
  });
  return text;
}

bool
starts_with_any(const std::string& name,
                std::initializer_list<const char*> prefixes)
{
  for (const char* p : prefixes) {
    if (name == p ||
        (name.starts_with(p) && (std::isdigit(static_cast<unsigned char>(
                                     name[std::string(p).size()])) ||
                                 name[std::string(p).size()] == '.'))) {
      return true;
    }
  }
  return false;
}

bool
is_interpreter(const std::string& name)
{
  return starts_with_any(name,
                         {"python",
                          "R",
                          "Rscript",
                          "julia",
                          "node",
                          "bash",
                          "sh",
                          "zsh",
                          "perl",
                          "ruby"});
}

bool
reports_version(const std::string& name)
{
  return starts_with_any(name, {"python", "R", "Rscript", "julia", "node"});
}

// The first line a program prints for `--version` (stdout or stderr), or
// empty; it gets two seconds.
std::string
version_of(const std::string& program)
{
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    return "";
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDERR_FILENO);
  posix_spawn_file_actions_addopen(
      &actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  std::string arg0 = program;
  std::string flag = "--version";
  char* argv[] = {arg0.data(), flag.data(), nullptr};
  pid_t pid = -1;
  int rc =
      ::posix_spawnp(&pid, program.c_str(), &actions, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(fds[1]);
  std::string out;
  if (rc == 0) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    char buffer[512];
    for (;;) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                      deadline - std::chrono::steady_clock::now())
                      .count();
      struct pollfd p = {fds[0], POLLIN, 0};
      if (left <= 0 || ::poll(&p, 1, static_cast<int>(left)) <= 0) {
        ::kill(pid, SIGKILL);
        break;
      }
      ssize_t n = ::read(fds[0], buffer, sizeof(buffer));
      if (n <= 0) {
        break;
      }
      out.append(buffer, static_cast<std::size_t>(n));
    }
    int status;
    ::waitpid(pid, &status, 0);
  }
  ::close(fds[0]);
  auto newline = out.find('\n');
  if (newline != std::string::npos) {
    out.resize(newline);
  }
  while (!out.empty() && std::isspace(static_cast<unsigned char>(out.back()))) {
    out.pop_back();
  }
  return out;
}

std::string
cpu_model()
{
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with("model name")) {
      auto colon = line.find(':');
      if (colon != std::string::npos) {
        std::string model = line.substr(colon + 1);
        model.erase(0, model.find_first_not_of(" \t"));
        return model;
      }
    }
  }
  return "";
}

std::string
os_name()
{
  std::ifstream in("/etc/os-release");
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with("PRETTY_NAME=")) {
      std::string value = line.substr(12);
      if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
        value = value.substr(1, value.size() - 2);
      }
      return value;
    }
  }
  return "";
}

} // namespace

bool
is_secret_name(const std::string& name)
{
  std::string u = upper(name);
  for (const char* word : {"KEY", "TOKEN", "SECRET", "PASSWORD"}) {
    if (u.find(word) != std::string::npos) {
      return true;
    }
  }
  return false;
}

std::string
script_of(const std::vector<std::string>& argv, const fs::path& cwd)
{
  if (argv.size() < 2 || !is_interpreter(basename_of(argv[0]))) {
    return "";
  }
  for (std::size_t i = 1; i < argv.size(); ++i) {
    const std::string& arg = argv[i];
    if (arg == "-m" || arg == "-c" || arg == "-e") {
      return ""; // a module or inline code, not a file
    }
    if (arg.starts_with("-")) {
      continue;
    }
    auto st = util::stat_path(cwd / arg);
    return st && st->is_regular() ? arg : "";
  }
  return "";
}

json
git_state(const fs::path& dir)
{
  const util::LibGit2* git = util::libgit2();
  if (!git) {
    return nullptr;
  }
  Owned<git_repository> repo(git->repository_free);
  if (git->repository_open_ext(repo.out(), dir.c_str(), 0, nullptr) != 0) {
    return nullptr;
  }
  json out = {{"commit", nullptr},
              {"branch", nullptr},
              {"remote", nullptr},
              {"dirty", false}};
  if (const char* workdir = git->repository_workdir(repo.get())) {
    std::string rel = util::relative_to(util::absolute_normal(dir),
                                        util::absolute_normal(workdir));
    out["path"] = rel.empty() ? "." : rel;
  }

  Owned<git_reference> head(git->reference_free);
  Owned<git_commit> commit(git->commit_free);
  Owned<git_tree> tree(git->tree_free);
  if (git->repository_head(head.out(), repo.get()) == 0) {
    if (const git_oid* oid = git->reference_target(head.get())) {
      out["commit"] = git->oid_tostr_s(oid);
      if (git->commit_lookup(commit.out(), repo.get(), oid) == 0) {
        git->commit_tree(tree.out(), commit.get());
      }
    }
    if (git->repository_head_detached(repo.get()) != 1) {
      out["branch"] = git->reference_shorthand(head.get());
    }
  }

  git_strarray remotes = {nullptr, 0};
  if (git->remote_list(&remotes, repo.get()) == 0 && remotes.count > 0) {
    std::string name = remotes.strings[0];
    for (std::size_t i = 0; i < remotes.count; ++i) {
      if (std::string(remotes.strings[i]) == "origin") {
        name = "origin";
      }
    }
    Owned<git_remote> remote(git->remote_free);
    if (git->remote_lookup(remote.out(), repo.get(), name.c_str()) == 0) {
      if (const char* url = git->remote_url(remote.get())) {
        out["remote"] = util::redact_url(url);
      }
    }
  }
  git->strarray_dispose(&remotes);

  // Dirty means a tracked file differs from HEAD; files git ignores (the
  // data mlake tracks) and untracked files do not count.
  git_status_options options = GIT_STATUS_OPTIONS_INIT;
  options.show = GIT_STATUS_SHOW_INDEX_AND_WORKDIR;
  options.flags = GIT_STATUS_OPT_EXCLUDE_SUBMODULES;
  Owned<git_status_list> status(git->status_list_free);
  if (git->status_list_new(status.out(), repo.get(), &options) == 0 &&
      git->status_list_entrycount(status.get()) > 0) {
    out["dirty"] = true;
    git_diff_options diff_options = GIT_DIFF_OPTIONS_INIT;
    Owned<git_diff> diff(git->diff_free);
    git_buf patch = GIT_BUF_INIT;
    if (git->diff_tree_to_workdir_with_index(
            diff.out(), repo.get(), tree.get(), &diff_options) == 0 &&
        git->diff_to_buf(&patch, diff.get(), GIT_DIFF_FORMAT_PATCH) == 0) {
      out["diff"] = util::sha256_hex(std::string_view(patch.ptr, patch.size));
    }
    git->buf_dispose(&patch);
  }
  return out;
}

json
run_environment(const std::vector<std::string>& argv,
                const std::vector<std::string>& variables)
{
  json env;
  struct utsname un;
  if (::uname(&un) == 0) {
    env["os"] = std::string(un.sysname) + " " + un.release;
    env["kernel"] = std::string(un.release) + " " + un.version;
    env["arch"] = un.machine;
  }
  if (std::string os = os_name(); !os.empty()) {
    env["distribution"] = os;
  }
  env["cpu"] = {{"model", cpu_model()},
                {"count", std::thread::hardware_concurrency()}};
  char host[256] = {};
  ::gethostname(host, sizeof(host) - 1);
  env["host"] = host;
  env["mlake"] = MLAKE_VERSION;
  if (!argv.empty() && reports_version(basename_of(argv[0]))) {
    env["interpreter"] = {{"name", basename_of(argv[0])},
                          {"version", version_of(argv[0])}};
  }
  json vars = json::object();
  for (const auto& name : variables) {
    const char* value = std::getenv(name.c_str());
    if (!value) {
      vars[name] = nullptr;
    } else if (is_secret_name(name)) {
      vars[name] = "<redacted>";
    } else {
      vars[name] = value;
    }
  }
  if (!vars.empty()) {
    env["vars"] = std::move(vars);
  }
  return env;
}

} // namespace mlake::lineage
