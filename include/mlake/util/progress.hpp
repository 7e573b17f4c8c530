#pragma once

#include <cstdint>
#include <string_view>

namespace mlake::util {

// How long work reports its advance. The library calls it and never prints;
// the command line draws a bar from it on a terminal. advance() may be
// called from several threads at once.
class Progress
{
public:
  virtual ~Progress() = default;
  // A new phase: `what` names it ("adding", "checking out"); a total of 0
  // means unknown.
  virtual void
  begin(std::string_view /*what*/,
        std::uint64_t /*total_items*/,
        std::uint64_t /*total_bytes*/)
  {}
  virtual void
  advance(std::uint64_t /*items*/, std::uint64_t /*bytes*/)
  {}
  virtual void
  end()
  {}
};

// A Progress that ignores everything.
Progress& no_progress();

// Ends a phase when it goes out of scope, also on error.
class ProgressPhase
{
public:
  ProgressPhase(Progress& progress,
                std::string_view what,
                std::uint64_t total_items,
                std::uint64_t total_bytes)
      : m_progress(progress)
  {
    m_progress.begin(what, total_items, total_bytes);
  }
  ~ProgressPhase()
  {
    m_progress.end();
  }
  ProgressPhase(const ProgressPhase&) = delete;
  ProgressPhase& operator=(const ProgressPhase&) = delete;

private:
  Progress& m_progress;
};

} // namespace mlake::util
