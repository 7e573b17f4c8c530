#pragma once

#include <cstdint>
#include <string>

namespace mlake::util {

// A byte count for people: "512 B", "1.5 KiB", "3.2 GiB".
std::string human_size(std::uint64_t bytes);

} // namespace mlake::util
