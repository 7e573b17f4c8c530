#include <mlake/util/error.hpp>
#include <mlake/util/interrupt.hpp>

#include <atomic>

namespace mlake::util {

namespace {
std::atomic<bool> g_interrupted{false};
}

void
request_interrupt() noexcept
{
  g_interrupted.store(true, std::memory_order_relaxed);
}

bool
interrupt_requested() noexcept
{
  return g_interrupted.load(std::memory_order_relaxed);
}

void
throw_if_interrupted()
{
  if (interrupt_requested()) {
    throw Error(Exit::interrupted, "interrupted");
  }
}

} // namespace mlake::util
