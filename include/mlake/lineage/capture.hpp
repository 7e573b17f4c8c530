#pragma once

#include <mlake/util/json.hpp>

#include <filesystem>
#include <string>
#include <vector>

namespace mlake::lineage {

namespace fs = std::filesystem;

// The git repository around `dir`, read with libgit2: {"commit", "branch"
// (null when detached), "remote" (origin's URL, credentials removed),
// "dirty" (tracked files differ from HEAD), "diff" (SHA-256 of the
// uncommitted patch, when dirty), "path" (`dir` relative to the work
// tree)}. Null when `dir` is in no git repository, or libgit2 is missing.
json git_state(const fs::path& dir);

// The machine and its software, for a run: OS, kernel, architecture, CPU
// model and count, host, mlake version; the interpreter's version when
// `argv` starts with python, R, Rscript, julia or node; and the variables
// named in `variables`, with the value of any whose name contains KEY,
// TOKEN, SECRET or PASSWORD replaced by "<redacted>".
json run_environment(const std::vector<std::string>& argv,
                     const std::vector<std::string>& variables);

// Whether a variable's value must never be recorded.
bool is_secret_name(const std::string& name);

// The script a command runs when it is an interpreter followed by a file
// ("python train.py", "Rscript fit.R", "bash prepare.sh"), relative to or
// under `cwd`; empty when there is none.
std::string script_of(const std::vector<std::string>& argv,
                      const fs::path& cwd);

} // namespace mlake::lineage
