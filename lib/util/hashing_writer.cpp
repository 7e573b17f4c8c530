#include <mlake/util/error.hpp>
#include <mlake/util/fs.hpp>
#include <mlake/util/hash.hpp>
#include <mlake/util/hashing_writer.hpp>
#include <mlake/util/interrupt.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

namespace mlake::util {

namespace {

constexpr std::size_t chunk_size = 8 << 20;
constexpr std::size_t pipeline_depth = 4;
// O_DIRECT wants buffers, offsets and lengths aligned to the device's
// logical block size; 4 KiB covers every common one.
constexpr std::size_t direct_alignment = 4096;
// Without O_DIRECT, start write-back every so often, so that the sync at
// the end has little left to do.
constexpr std::size_t writeback_interval = 64 << 20;

// Turn O_DIRECT on or off; returns whether it is now on.
bool
set_direct(int fd, bool on)
{
  int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0) {
    return false;
  }
  flags = on ? (flags | O_DIRECT) : (flags & ~O_DIRECT);
  return ::fcntl(fd, F_SETFL, flags) == 0 && on;
}

} // namespace

// Buffers handed out to the writer and hashed, in order, on its own thread.
class HashingWriter::Pipeline
{
public:
  Pipeline()
  {
    for (std::size_t i = 0; i < pipeline_depth; ++i) {
      m_buffers.emplace_back(
          static_cast<char*>(std::aligned_alloc(direct_alignment, chunk_size)));
      if (!m_buffers.back()) {
        throw std::bad_alloc();
      }
      m_free.push_back(m_buffers.back().get());
    }
    m_thread = std::thread([this] { run(); });
  }

  ~Pipeline()
  {
    {
      std::lock_guard<std::mutex> lock(m_mutex);
      m_stop = true;
    }
    m_cv.notify_all();
    m_thread.join();
  }

  char*
  acquire()
  {
    std::unique_lock<std::mutex> lock(m_mutex);
    m_cv.wait(lock, [this] { return !m_free.empty(); });
    char* buffer = m_free.front();
    m_free.pop_front();
    return buffer;
  }

  // Hash `size` bytes of `buffer`; the buffer returns to the free list when
  // done, and the caller may keep reading it until it calls acquire() again.
  void
  submit(char* buffer, std::size_t size)
  {
    {
      std::lock_guard<std::mutex> lock(m_mutex);
      m_work.emplace_back(buffer, size);
    }
    m_cv.notify_all();
  }

  std::string
  finish()
  {
    std::unique_lock<std::mutex> lock(m_mutex);
    m_cv.wait(lock, [this] { return m_free.size() == pipeline_depth; });
    return m_sha.hex_digest();
  }

private:
  void
  run()
  {
    for (;;) {
      std::pair<char*, std::size_t> item;
      {
        std::unique_lock<std::mutex> lock(m_mutex);
        m_cv.wait(lock, [this] { return m_stop || !m_work.empty(); });
        if (m_work.empty()) {
          return;
        }
        item = m_work.front();
        m_work.pop_front();
      }
      m_sha.update(item.first, item.second);
      {
        std::lock_guard<std::mutex> lock(m_mutex);
        m_free.push_back(item.first);
      }
      m_cv.notify_all();
    }
  }

  struct Free
  {
    void
    operator()(char* p) const
    {
      std::free(p);
    }
  };

  Sha256 m_sha;
  std::vector<std::unique_ptr<char, Free>> m_buffers;
  std::deque<char*> m_free;
  std::deque<std::pair<char*, std::size_t>> m_work;
  std::mutex m_mutex;
  std::condition_variable m_cv;
  bool m_stop = false;
  std::thread m_thread;
};

HashingWriter::HashingWriter(int fd, fs::path path, bool direct)
    : m_fd(fd), m_path(std::move(path)),
      m_pipeline(std::make_unique<Pipeline>()),
      m_direct(direct && set_direct(fd, true))
{}

HashingWriter::~HashingWriter() = default;

char*
HashingWriter::current()
{
  if (!m_current) {
    m_current = m_pipeline->acquire();
    m_filled = 0;
  }
  return m_current;
}

std::span<char>
HashingWriter::room()
{
  return {current(), chunk_size};
}

void
HashingWriter::commit(std::size_t size)
{
  char* buffer = current();
  m_current = nullptr;
  write_out(buffer, size);
}

void
HashingWriter::write(std::string_view data)
{
  while (!data.empty()) {
    char* buffer = current();
    std::size_t take = std::min(data.size(), chunk_size - m_filled);
    std::copy_n(data.data(), take, buffer + m_filled);
    m_filled += take;
    data.remove_prefix(take);
    if (m_filled == chunk_size) {
      m_current = nullptr;
      write_out(buffer, chunk_size);
    }
  }
}

std::string
HashingWriter::finish()
{
  if (m_current && m_filled > 0) {
    char* buffer = m_current;
    m_current = nullptr;
    write_out(buffer, m_filled);
  }
  return m_pipeline->finish();
}

void
HashingWriter::write_out(char* buffer, std::size_t size)
{
  throw_if_interrupted();
  m_pipeline->submit(buffer, size);
  if (m_direct && size % direct_alignment != 0) {
    m_direct = set_direct(m_fd, false); // the tail is not aligned
  }
  write_all(m_fd, buffer, size, m_path);
  m_size += size;
  m_since_writeback += size;
  if (!m_direct && m_since_writeback >= writeback_interval) {
    ::sync_file_range(m_fd,
                      static_cast<off_t>(m_size - m_since_writeback),
                      static_cast<off_t>(m_since_writeback),
                      SYNC_FILE_RANGE_WRITE);
    m_since_writeback = 0;
  }
}

} // namespace mlake::util
