#pragma once

#include <sys/types.h>

namespace mlake::util {

// SIGINT, SIGTERM and SIGHUP ask the work in progress to stop. Long-running
// library code polls interrupt_requested() at points where stopping leaves
// the lake consistent, and throws Error(Exit::interrupted) there; temporary
// files are removed as the exception unwinds. A second signal ends the
// process at once, unless a child command is running (see set_child).
void install_interrupt_handlers();

void request_interrupt() noexcept;
// Forget a request that was handled (a test that interrupts on purpose).
void clear_interrupt() noexcept;
bool interrupt_requested() noexcept;
void throw_if_interrupted();

// While `pid` runs (0: none), a signal another process sends to mlake is
// passed on to it, so that `kill` of mlake stops the command it runs. A
// signal from the terminal (Ctrl-C) reaches the child directly, as it is
// in the same process group, and is not sent twice.
void set_child(pid_t pid) noexcept;

} // namespace mlake::util
