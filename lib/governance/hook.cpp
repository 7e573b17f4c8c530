#include <mlake/governance/hook.hpp>
#include <mlake/index/index.hpp>
#include <mlake/lake/lake.hpp>
#include <mlake/lake/lock_file.hpp>
#include <mlake/lake/workspace.hpp>
#include <mlake/util/error.hpp>
#include <mlake/util/fs.hpp>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <optional>

extern char** environ;

namespace mlake::governance {

namespace {

struct GitResult
{
  int exit_code = -1; // -1: git could not be started
  std::string out;
};

// Run git with `args` in `dir`, with this process's environment (inside a
// hook, git's GIT_DIR and GIT_INDEX_FILE say which index a commit uses).
GitResult
git(const fs::path& dir, const std::vector<std::string>& args)
{
  GitResult result;
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    return result;
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addchdir_np(&actions, dir.c_str());
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_addopen(
      &actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(
      &actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  std::vector<std::string> words = {"git"};
  words.insert(words.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& w : words) {
    argv.push_back(w.data());
  }
  argv.push_back(nullptr);
  pid_t pid = -1;
  int rc = ::posix_spawnp(&pid, "git", &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(fds[1]);
  if (rc != 0) {
    ::close(fds[0]);
    return result;
  }
  char buffer[4096];
  for (;;) {
    ssize_t n = ::read(fds[0], buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      break;
    }
    result.out.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(fds[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128;
  return result;
}

std::string
first_line(const std::string& text)
{
  return text.substr(0, text.find('\n'));
}

// A word quoted for a POSIX shell.
std::string
sh_quote(const std::string& word)
{
  std::string out = "'";
  for (char c : word) {
    out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  }
  return out + "'";
}

std::string
join(const std::vector<std::string>& items, std::size_t limit = 10)
{
  std::string out;
  for (std::size_t i = 0; i < items.size() && i < limit; ++i) {
    out += (i ? ", " : "") + items[i];
  }
  if (items.size() > limit) {
    out += " and " + std::to_string(items.size() - limit) + " more";
  }
  return out;
}

} // namespace

std::string
hook_script(const fs::path& lake_root,
            const fs::path& top,
            const fs::path& mlake_binary)
{
  std::string rel = fs::path(lake_root).lexically_relative(top).string();
  if (rel.empty()) {
    rel = ".";
  }
  std::string script = "#!/bin/sh\n";
  script += std::string(hook_marker) + " (written by 'mlake hook install')\n";
  script +=
      "# Refuses a commit while tracked data has changes that are not in the\n"
      "# lake, or while mlake.lock does not match the lake. To skip it once:\n"
      "# git commit --no-verify.\n";
  script += "if command -v mlake >/dev/null 2>&1; then\n"
            "  mlake=mlake\n"
            "else\n"
            "  mlake=" +
            sh_quote(mlake_binary.string()) +
            "\n"
            "fi\n"
            "exec \"$mlake\" -C " +
            sh_quote(rel) + " hook run\n";
  return script;
}

HookInstallResult
install_hook(lake::Lake& lake, const fs::path& mlake_binary, bool force)
{
  const fs::path& root = lake.root();
  GitResult top = git(root, {"rev-parse", "--show-toplevel"});
  if (top.exit_code == -1) {
    throw Error(Exit::usage,
                "cannot run git to find the repository around " +
                    quote(root.string()),
                "install git, or put it on PATH");
  }
  if (top.exit_code != 0 || first_line(top.out).empty()) {
    throw Error(Exit::usage,
                "no git repository around " + quote(root.string()),
                "run 'git init' first");
  }
  GitResult hooks = git(root, {"rev-parse", "--git-path", "hooks"});
  if (hooks.exit_code != 0 || first_line(hooks.out).empty()) {
    throw Error(Exit::usage, "git does not say where its hooks are");
  }
  // --git-path answers relative to the folder git ran in.
  fs::path dir = fs::path(first_line(hooks.out));
  if (dir.is_relative()) {
    dir = root / dir;
  }
  dir = dir.lexically_normal();
  HookInstallResult result;
  result.path = dir / "pre-commit";
  std::string script = hook_script(
      fs::weakly_canonical(root), fs::path(first_line(top.out)), mlake_binary);

  if (auto existing = util::read_file_if_exists(result.path)) {
    bool ours = existing->find(hook_marker) != std::string::npos;
    if (ours && *existing == script) {
      result.action = HookInstallResult::Action::unchanged;
      return result;
    }
    if (!ours && !force) {
      throw Error(Exit::usage,
                  "a pre-commit hook that is not mlake's is in the way: " +
                      quote(result.path.string()),
                  "run 'mlake hook install --force' to replace it (it is "
                  "kept as pre-commit.mlake-backup)");
    }
    if (ours) {
      result.action = HookInstallResult::Action::updated;
    } else {
      result.action = HookInstallResult::Action::replaced;
      result.backup = dir / "pre-commit.mlake-backup";
      util::write_file_atomic(result.backup, *existing);
      ::chmod(result.backup.c_str(), 0755);
    }
  }
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) {
    throw Error(Exit::usage,
                "cannot make " + quote(dir.string()) + ": " + ec.message());
  }
  util::write_file_atomic(result.path, script);
  if (::chmod(result.path.c_str(), 0755) != 0) {
    throw Error(Exit::usage,
                "cannot make " + quote(result.path.string()) +
                    " executable: " + util::errno_text(errno));
  }
  return result;
}

std::vector<std::string>
pre_commit_problems(lake::Lake& lake)
{
  std::vector<std::string> problems;
  const fs::path& root = lake.root();

  // 1. The workspace against mlake.lock.
  lake::StatusResult status = lake::status(lake, {}, root);
  std::vector<std::string> changed, deleted, to_add;
  for (const auto& c : status.changes) {
    if (c.change == "deleted") {
      deleted.push_back(c.path);
      continue;
    }
    changed.push_back(c.path);
    if (to_add.empty() || to_add.back() != c.artifact) {
      to_add.push_back(c.artifact);
    }
  }
  if (!changed.empty()) {
    std::string paths;
    for (const auto& p : to_add) {
      paths += " " + p;
    }
    problems.push_back(
        "mlake: tracked files changed but not added: " + join(changed) +
        "; run 'mlake add" + (to_add.size() <= 5 ? paths : std::string()) +
        "' to record them, or 'mlake checkout --force' to "
        "undo the changes");
  }
  if (!deleted.empty()) {
    problems.push_back("mlake: tracked files deleted: " + join(deleted) +
                       "; run 'mlake checkout' to bring them back");
  }

  // 2. mlake.lock in git: what the commit holds must be what the lake says.
  const fs::path lock = lake::lock_file_path(root);
  if (util::lstat_path(lock)) {
    GitResult known = git(root, {"ls-files", "--", "mlake.lock"});
    if (known.exit_code == 0 && known.out.empty()) {
      problems.push_back("mlake: mlake.lock is not in git; run 'git add "
                         "mlake.lock' so that the commit records the data "
                         "versions");
    } else if (known.exit_code == 0) {
      GitResult diff = git(root, {"diff", "--quiet", "--", "mlake.lock"});
      if (diff.exit_code == 1) {
        problems.push_back("mlake: mlake.lock has changes that are not "
                           "staged; run 'git add mlake.lock'");
      }
    }
  }

  // 3. Versions the lock names must be in the lake (a pull of the git
  // repository can bring a lock from a lake this one has not pulled).
  lake::LockFile file = lake::LockFile::load(root);
  std::vector<std::string> unknown;
  auto& idx = lake.index();
  for (const auto& [path, entry] : file.entries) {
    bool found = false;
    for (const auto& v : idx.versions_with_hash(entry.hash)) {
      if (v.artifact == entry.artifact &&
          (entry.node.empty() || v.node == entry.node)) {
        found = true;
        break;
      }
    }
    if (!found) {
      unknown.push_back(path);
    }
  }
  if (!unknown.empty()) {
    problems.push_back("mlake: mlake.lock names versions this lake does not "
                       "have: " +
                       join(unknown) + "; run 'mlake pull' to fetch them");
  }
  return problems;
}

} // namespace mlake::governance
