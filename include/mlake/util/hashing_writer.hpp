#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>

namespace mlake::util {

namespace fs = std::filesystem;

// Writes a large stream to a file while a second thread hashes it, so that
// hashing and writing overlap.
//
// A `direct` writer bypasses the page cache (O_DIRECT) where the filesystem
// allows it: content that is not read back soon is written once, instead of
// first finding that much free memory and then writing it back. Otherwise
// (or on tmpfs and some network filesystems, which refuse O_DIRECT) it is
// written through the cache, with write-back started as it goes.
class HashingWriter
{
public:
  // `fd` is open for writing at offset 0; `path` names it in errors.
  HashingWriter(int fd, fs::path path, bool direct);
  ~HashingWriter();
  HashingWriter(const HashingWriter&) = delete;
  HashingWriter& operator=(const HashingWriter&) = delete;

  // Room for the next chunk, aligned for O_DIRECT: fill some of it and
  // commit() that much. Not to be mixed with write().
  std::span<char> room();
  void commit(std::size_t size);

  // Copies `data`, writing whole chunks as they fill.
  void write(std::string_view data);

  // Writes what write() left buffered; the SHA-256 of everything.
  std::string finish();

  std::uint64_t
  size() const
  {
    return m_size;
  }

private:
  class Pipeline;

  char* current();
  void write_out(char* buffer, std::size_t size);

  int m_fd;
  fs::path m_path;
  std::unique_ptr<Pipeline> m_pipeline;
  char* m_current = nullptr;
  std::size_t m_filled = 0;
  std::uint64_t m_size = 0;
  std::uint64_t m_since_writeback = 0;
  bool m_direct = false;
};

} // namespace mlake::util
