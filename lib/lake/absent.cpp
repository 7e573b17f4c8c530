#include <mlake/lake/absent.hpp>
#include <mlake/lake/lake.hpp>
#include <mlake/util/error.hpp>
#include <mlake/util/fs.hpp>
#include <mlake/util/hash.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <sstream>

namespace mlake::lake {

namespace {

fs::path
absent_path(const Lake& lake)
{
  return lake.dir() / "absent";
}

} // namespace

std::unordered_set<std::string>
load_absent(const Lake& lake)
{
  std::unordered_set<std::string> out;
  auto text = util::read_file_if_exists(absent_path(lake));
  if (!text) {
    return out;
  }
  std::istringstream lines(*text);
  std::string line;
  while (std::getline(lines, line)) {
    // A line cut short by a crash is not a hash: ignored.
    if (util::is_sha256_hex(line)) {
      out.insert(line);
    }
  }
  return out;
}

void
add_absent(const Lake& lake, const std::vector<std::string>& hashes)
{
  if (hashes.empty()) {
    return;
  }
  fs::path path = absent_path(lake);
  util::UniqueFd fd(
      ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
  if (!fd) {
    throw Error(Exit::usage,
                "cannot write " + quote(path.string()) + ": " +
                    util::errno_text(errno));
  }
  std::string text;
  text.reserve(hashes.size() * 65 + 1);
  // A leading newline ends a line a crash may have cut short.
  text += '\n';
  for (const auto& hash : hashes) {
    text += hash;
    text += '\n';
  }
  util::write_all(fd.get(), text.data(), text.size(), path);
  util::fsync_fd(fd.get(), path);
}

void
trim_absent(const Lake& lake)
{
  auto absent = load_absent(lake);
  if (absent.empty()) {
    if (fs::exists(absent_path(lake))) {
      fs::remove(absent_path(lake));
    }
    return;
  }
  std::string text;
  for (const auto& hash : absent) {
    if (!lake.objects().contains(hash)) {
      text += hash;
      text += '\n';
    }
  }
  util::write_file_atomic(absent_path(lake), text);
}

} // namespace mlake::lake
