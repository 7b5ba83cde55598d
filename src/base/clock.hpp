// Wall-clock helpers shared by the pipeline stages.
#pragma once

#include <chrono>
#include <cstdint>

namespace tributary {

/// Microseconds since the Unix epoch (system clock): event processing and read times.
inline int64_t unix_now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace tributary
