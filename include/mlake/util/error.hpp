#pragma once

#include <stdexcept>
#include <string>

namespace mlake {

// Exit codes of the mlake binary; stable, documented in every man page.
enum class Exit : int
{
  ok = 0,
  check_failed = 1, // a check ran and found something (dirty status, audit)
  usage = 2,        // bad arguments or bad input
  not_found = 3,    // no such artifact, version, node or path
  not_a_lake = 10,
  locked = 11,
  remote = 12,
  integrity = 13,
  interrupted = 130,
};

// The one error type the library throws. `what()` is a message for the user,
// written the way git writes them: lower case, no full stop. `hint()` is an
// optional second line telling the user what to do about it.
class Error : public std::runtime_error
{
public:
  Error(Exit code, const std::string& message, std::string hint = {})
      : std::runtime_error(message), m_code(code), m_hint(std::move(hint))
  {}

  Exit
  code() const noexcept
  {
    return m_code;
  }

  const std::string&
  hint() const noexcept
  {
    return m_hint;
  }

private:
  Exit m_code;
  std::string m_hint;
};

// Quote a user-supplied value for an error message: 'value'.
std::string quote(const std::string& value);

} // namespace mlake
