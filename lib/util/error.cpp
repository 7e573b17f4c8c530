#include <mlake/util/error.hpp>

namespace mlake {

std::string
quote(const std::string& value)
{
  return "'" + value + "'";
}

} // namespace mlake
