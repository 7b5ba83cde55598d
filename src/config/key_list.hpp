// pipelines[].message_key_columns values: "a, b,c" -> {"a", "b", "c"}.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace tributary::config {

/// Each name trimmed of spaces and tabs; empty names are kept as "" for the caller to refuse.
inline std::vector<std::string> split_key_columns(std::string_view list) {
  auto trim = [](std::string_view text) {
    const auto first = text.find_first_not_of(" \t");
    if (first == std::string_view::npos) return std::string();
    const auto last = text.find_last_not_of(" \t");
    return std::string(text.substr(first, last - first + 1));
  };
  std::vector<std::string> names;
  std::size_t start = 0;
  while (true) {
    const auto comma = list.find(',', start);
    names.push_back(
        trim(list.substr(start, comma == std::string_view::npos ? comma : comma - start)));
    if (comma == std::string_view::npos) return names;
    start = comma + 1;
  }
}

}  // namespace tributary::config
