// FUZZ_CHECK: a property a fuzz target asserts; a violation aborts, so libFuzzer keeps the input.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace tributary::fuzz {

[[noreturn]] inline void property_failed(const char* condition, const char* file, int line,
                                         const std::string& detail) {
  std::fprintf(stderr, "fuzz property violated: %s (%s:%d)\n%s\n", condition, file, line,
               detail.c_str());
  std::abort();
}

/// Printable form of untrusted bytes for a failure message (\xNN for the rest), cut at 400.
inline std::string printable(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes.substr(0, 400)) {
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out.push_back(static_cast<char>(c));
    } else {
      out += {'\\', 'x', kDigits[c >> 4], kDigits[c & 0xf]};
    }
  }
  if (bytes.size() > 400) out += "...";
  return out;
}

}  // namespace tributary::fuzz

#define FUZZ_CHECK(condition, detail)                                               \
  do {                                                                              \
    if (!(condition)) {                                                             \
      ::tributary::fuzz::property_failed(#condition, __FILE__, __LINE__, (detail)); \
    }                                                                               \
  } while (0)
