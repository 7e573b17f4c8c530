#pragma once

#include <mlake/util/fs.hpp>

#include <string>
#include <vector>

namespace mlake::store {

namespace fs = std::filesystem;

struct WalkedFile
{
  std::string path;  // relative to the walked folder, '/'-separated
  util::FileStat st; // of the file itself, symlinks followed
};

// Every regular file below `dir`, sorted bytewise by path. `.git` and
// `.mlake` folders are skipped. A symbolic link to a file is followed when
// its target lies within `boundary`; any other symbolic link, and any
// special file (socket, fifo, device), is refused with Error(Exit::usage)
// naming it.
std::vector<WalkedFile> walk_files(const fs::path& dir,
                                   const fs::path& boundary);

} // namespace mlake::store
