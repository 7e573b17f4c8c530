#pragma once

#include <cstddef>
#include <functional>

namespace mlake::util {

// The number of worker threads to use by default: the CPU count, or
// MLAKE_JOBS when set.
unsigned default_jobs();

// Call `fn(i)` for every i in [0, count) on up to `jobs` threads. The first
// exception thrown stops the remaining work and is rethrown here; the
// interrupt flag is honoured between items.
void parallel_for(std::size_t count,
                  unsigned jobs,
                  const std::function<void(std::size_t)>& fn);

} // namespace mlake::util
