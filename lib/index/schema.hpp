#pragma once

#include <vector>

namespace mlake::index {

struct Migration
{
  int version;
  const char* sql;
  // Whether the projection must be rebuilt from the nodes after this step
  // (a new table to fill, a changed meaning of a column).
  bool reproject;
};

// Every schema step since the first, in order. Append; never edit a step
// that has shipped.
const std::vector<Migration>& migrations();

} // namespace mlake::index
