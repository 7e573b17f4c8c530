#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace mlake::lineage {

namespace fs = std::filesystem;

// Run `argv` in `cwd` with this process's environment plus `env`
// ("NAME=value", replacing a variable of the same name), its standard
// streams those of mlake, and wait for it. While it runs, a signal sent to
// mlake is passed on to it (see util::set_child). Returns its exit status
// as a shell reports it: the exit code, or 128 + N when signal N ended it.
// Throws Error(Exit::not_found) when the program does not exist.
int run_child(const std::vector<std::string>& argv,
              const fs::path& cwd,
              const std::vector<std::string>& env);

} // namespace mlake::lineage
