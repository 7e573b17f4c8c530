#pragma once

namespace mlake::util {

// Set by the command line's SIGINT/SIGTERM handler. Long-running library
// code polls it at points where stopping leaves the lake consistent, and
// throws Error(Exit::interrupted) there; temporary files are removed as the
// exception unwinds.
void request_interrupt() noexcept;
bool interrupt_requested() noexcept;
void throw_if_interrupted();

} // namespace mlake::util
