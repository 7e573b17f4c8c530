#include <mlake/lineage/process.hpp>
#include <mlake/util/error.hpp>
#include <mlake/util/fs.hpp>
#include <mlake/util/interrupt.hpp>

#include <spawn.h>
#include <sys/wait.h>

#include <cerrno>
#include <cstring>

extern char** environ;

namespace mlake::lineage {

int
run_child(const std::vector<std::string>& argv,
          const fs::path& cwd,
          const std::vector<std::string>& env)
{
  if (argv.empty()) {
    throw Error(Exit::usage, "no command given");
  }
  // Everything the child needs is built before it starts: nothing that
  // allocates may run between fork and exec in a threaded process.
  std::vector<std::string> env_strings;
  for (char** e = environ; *e; ++e) {
    std::string_view entry = *e;
    bool replaced = false;
    for (const auto& extra : env) {
      auto eq = extra.find('=');
      if (entry.substr(0, eq + 1) ==
          std::string_view(extra).substr(0, eq + 1)) {
        replaced = true;
      }
    }
    if (!replaced) {
      env_strings.emplace_back(entry);
    }
  }
  env_strings.insert(env_strings.end(), env.begin(), env.end());
  std::vector<char*> envp;
  for (auto& s : env_strings) {
    envp.push_back(s.data());
  }
  envp.push_back(nullptr);
  std::vector<std::string> args = argv;
  std::vector<char*> c_argv;
  for (auto& a : args) {
    c_argv.push_back(a.data());
  }
  c_argv.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addchdir_np(&actions, cwd.c_str());
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t defaults;
  sigemptyset(&defaults);
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGPIPE}) {
    sigaddset(&defaults, sig);
  }
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF);
  pid_t pid = -1;
  int rc = ::posix_spawnp(
      &pid, c_argv[0], &actions, &attr, c_argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) {
    throw Error(rc == ENOENT ? Exit::not_found : Exit::usage,
                "cannot run " + quote(argv[0]) + ": " + util::errno_text(rc));
  }
  util::set_child(pid);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  util::set_child(0);
  if (WIFEXITED(status)) {
    return WEXITSTATUS(status);
  }
  if (WIFSIGNALED(status)) {
    return 128 + WTERMSIG(status);
  }
  return 1;
}

} // namespace mlake::lineage
