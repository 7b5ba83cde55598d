// LSN text form helpers.
#include "event/source_position.hpp"

#include <cinttypes>
#include <cstdio>

namespace tributary::event {

std::string format_lsn(uint64_t lsn) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%X/%X", static_cast<unsigned>(lsn >> 32),
                static_cast<unsigned>(lsn & 0xffffffffu));
  return buffer;
}

bool parse_lsn(const std::string& text, uint64_t& out) {
  unsigned high = 0, low = 0;
  int consumed = 0;
  if (std::sscanf(text.c_str(), "%X/%X%n", &high, &low, &consumed) != 2) return false;
  if (static_cast<std::size_t>(consumed) != text.size()) return false;
  out = (static_cast<uint64_t>(high) << 32) | low;
  return true;
}

}  // namespace tributary::event
