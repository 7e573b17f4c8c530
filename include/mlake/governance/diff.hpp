#pragma once

#include <mlake/util/json.hpp>

#include <filesystem>
#include <string>

namespace mlake::lake {
class Lake;
}

namespace mlake::governance {

namespace fs = std::filesystem;

// What differs between two versions (of one artifact or of two): their
// content (for folders, the files added, removed and changed, from their
// trees), their metafeatures (rows, columns, column types), and how they
// were made (params, metrics with deltas, input versions, code commit,
// algorithm, command, environment). Returns {"from", "to", "content",
// "metafeatures", "how"}; each part lists only what differs.
json diff(lake::Lake& lake,
          const std::string& from,
          const std::string& to,
          const fs::path& cwd);

} // namespace mlake::governance
