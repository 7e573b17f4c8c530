#pragma once

// A git pre-commit hook that keeps git and the lake in step: a commit is
// refused while tracked data has changes not recorded in the lake, or while
// mlake.lock does not match the lake.

#include <filesystem>
#include <string>
#include <vector>

namespace mlake::lake {
class Lake;
}

namespace mlake::governance {

namespace fs = std::filesystem;

// The line that marks a pre-commit hook as mlake's own.
constexpr const char* hook_marker = "# mlake pre-commit hook";

struct HookInstallResult
{
  fs::path path; // the hook file
  enum class Action
  {
    installed, // there was no hook
    updated,   // mlake's hook was there, with other content
    unchanged, // mlake's hook was there, the same
    replaced,  // another hook was there (--force); kept as `backup`
  } action = Action::installed;
  fs::path backup;
};

// The text of the hook for the lake at `lake_root`, in a git work tree whose
// top folder is `top`: it runs `mlake hook run` in the lake, with the mlake
// found on PATH, else `mlake_binary`.
std::string hook_script(const fs::path& lake_root,
                        const fs::path& top,
                        const fs::path& mlake_binary);

// Install the pre-commit hook in the git repository around the lake, in
// the folder `git rev-parse --git-path hooks` names (so core.hooksPath is
// respected). Re-installing mlake's hook is harmless. Throws
// Error(Exit::usage) when the lake is in no git repository, or when
// another program's hook is there and `force` is false; with `force` that
// hook is kept next to it as pre-commit.mlake-backup.
HookInstallResult
install_hook(lake::Lake& lake, const fs::path& mlake_binary, bool force);

// What the hook checks before a commit; each problem is a line for the
// user, starting with "mlake: " (empty when the commit may go ahead):
// tracked paths changed but not added, or deleted (mlake status);
// mlake.lock changed but not staged, or not in git at all; mlake.lock
// naming versions the lake does not have.
std::vector<std::string> pre_commit_problems(lake::Lake& lake);

} // namespace mlake::governance
