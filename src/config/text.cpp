// Text helpers for the configuration loader.
#include "config/text.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstdlib>

namespace tributary::config::detail {
namespace {

bool is_environment_name(std::string_view name) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name.front()))) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
  });
}

std::string lowercase(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

std::optional<std::string> expand_environment(std::string_view text, std::string& out) {
  constexpr std::string_view kLiteralHint = "write '$${' for a literal '${'";
  out.clear();
  std::size_t i = 0;
  while (i < text.size()) {
    if (text.substr(i, 3) == "$${") {
      out += "${";
      i += 3;
    } else if (text.substr(i, 2) == "${") {
      const std::size_t close = text.find('}', i + 2);
      if (close == std::string_view::npos) {
        return "has a '${' without a closing '}'; close it, or " + std::string(kLiteralHint);
      }
      const std::string name(text.substr(i + 2, close - i - 2));
      if (!is_environment_name(name)) {
        // The text between the braces is not echoed: in a password it could be the secret itself.
        return "has a '${...}' that is not a variable name (letters, digits and '_', not starting "
               "with a digit); fix the name, or " +
               std::string(kLiteralHint);
      }
      const char* value = std::getenv(name.c_str());
      if (value == nullptr) {
        return "uses environment variable '" + name +
               "', which is not set; set it in tributary's environment (e.g. systemd "
               "Environment= or EnvironmentFile=), or " +
               std::string(kLiteralHint);
      }
      out += value;
      i = close + 1;
    } else {
      out += text[i++];
    }
  }
  return std::nullopt;
}

bool parse_integer(std::string_view text, int64_t& out) {
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  if (text.empty()) return false;
  const char* end = text.data() + text.size();
  const auto [stop, error] = std::from_chars(text.data(), end, out);
  return error == std::errc() && stop == end;
}

std::optional<bool> parse_boolean(std::string_view text) {
  static constexpr std::string_view kTrue[] = {"true", "yes", "on", "y"};
  static constexpr std::string_view kFalse[] = {"false", "no", "off", "n"};
  // yaml-cpp accepts "true", "True" and "TRUE", but not "tRUE".
  const std::string lower = lowercase(text);
  std::string capitalized = lower;
  if (!capitalized.empty()) capitalized[0] = static_cast<char>(std::toupper(capitalized[0]));
  std::string upper = lower;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (text != lower && text != capitalized && text != upper) return std::nullopt;
  for (auto word : kTrue) {
    if (lower == word) return true;
  }
  for (auto word : kFalse) {
    if (lower == word) return false;
  }
  return std::nullopt;
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  const std::size_t rows = a.size() + 1;
  const std::size_t columns = b.size() + 1;
  std::vector<std::size_t> d(rows * columns);
  auto at = [&](std::size_t i, std::size_t j) -> std::size_t& { return d[i * columns + j]; };
  for (std::size_t i = 0; i < rows; ++i) at(i, 0) = i;
  for (std::size_t j = 0; j < columns; ++j) at(0, j) = j;
  for (std::size_t i = 1; i < rows; ++i) {
    for (std::size_t j = 1; j < columns; ++j) {
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      at(i, j) = std::min({at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        at(i, j) = std::min(at(i, j), at(i - 2, j - 2) + 1);
      }
    }
  }
  return at(rows - 1, columns - 1);
}

std::optional<std::string> closest_match(std::string_view word,
                                         const std::vector<std::string>& candidates) {
  const std::size_t limit = word.size() <= 3 ? 1 : word.size() <= 6 ? 2 : 3;
  std::optional<std::string> best;
  // The distance is at least the difference in length: a long word (a key of megabytes) is
  // never compared character by character.
  auto too_far = [&](const std::string& candidate) {
    const std::size_t difference = word.size() > candidate.size() ? word.size() - candidate.size()
                                                                  : candidate.size() - word.size();
    return difference > limit;
  };
  std::size_t best_distance = limit + 1;
  std::string lower;
  for (const auto& candidate : candidates) {
    if (too_far(candidate)) continue;
    if (lower.empty()) lower = lowercase(word);
    const std::size_t distance = edit_distance(lower, lowercase(candidate));
    if (distance < best_distance) {
      best_distance = distance;
      best = candidate;
    }
  }
  return best;
}

std::string quote(std::string_view value) {
  constexpr std::size_t kMaximum = 80;
  return "'" + printable(value, kMaximum) + "'";
}

std::string printable(std::string_view text, std::size_t max_length) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  const bool cut = text.size() > max_length;
  if (cut) text = text.substr(0, max_length);
  out.reserve(text.size());
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) {
      out += "\\x";
      out += kHex[byte >> 4];
      out += kHex[byte & 0xf];
    } else {
      out += c;
    }
  }
  if (cut) out += "...";
  return out;
}

std::string describe_size(std::size_t bytes) {
  if (bytes >= (1u << 20) && bytes % (1u << 20) == 0) return std::to_string(bytes >> 20) + " MiB";
  if (bytes >= (1u << 10) && bytes % (1u << 10) == 0) return std::to_string(bytes >> 10) + " KiB";
  return std::to_string(bytes) + " bytes";
}

std::optional<int> read_whole_file(const std::string& path, std::size_t max_bytes,
                                   std::string& out) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno;
  out.clear();
  char buffer[8192];
  while (out.size() <= max_bytes) {
    const std::size_t wanted = std::min(sizeof buffer, max_bytes + 1 - out.size());
    const ssize_t n = ::read(fd, buffer, wanted);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      const int error = errno;
      ::close(fd);
      return error;
    }
    out.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(fd);
  if (out.size() > max_bytes) return EFBIG;
  return std::nullopt;
}

}  // namespace tributary::config::detail
