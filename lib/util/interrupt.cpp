#include <mlake/util/error.hpp>
#include <mlake/util/interrupt.hpp>

#include <signal.h>

#include <atomic>
#include <cstring>

namespace mlake::util {

namespace {

std::atomic<bool> g_interrupted{false};
std::atomic<pid_t> g_child{0};

void
on_signal(int sig, siginfo_t* info, void*)
{
  pid_t child = g_child.load();
  if (child > 0) {
    if (info && (info->si_code == SI_USER || info->si_code == SI_QUEUE)) {
      ::kill(child, sig);
    }
    g_interrupted.store(true);
    return;
  }
  if (g_interrupted.load()) {
    ::signal(sig, SIG_DFL);
    ::raise(sig);
    return;
  }
  g_interrupted.store(true);
}

} // namespace

void
install_interrupt_handlers()
{
  struct sigaction action;
  std::memset(&action, 0, sizeof(action));
  action.sa_sigaction = on_signal;
  action.sa_flags = SA_SIGINFO;
  sigemptyset(&action.sa_mask);
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) {
    ::sigaction(sig, &action, nullptr);
  }
}

void
request_interrupt() noexcept
{
  g_interrupted.store(true, std::memory_order_relaxed);
}

void
clear_interrupt() noexcept
{
  g_interrupted.store(false, std::memory_order_relaxed);
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

void
set_child(pid_t pid) noexcept
{
  g_child.store(pid);
}

} // namespace mlake::util
