#include <mlake/util/progress.hpp>

namespace mlake::util {

Progress&
no_progress()
{
  static Progress silent;
  return silent;
}

} // namespace mlake::util
