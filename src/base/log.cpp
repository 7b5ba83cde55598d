// Leveled single-line logging to stderr.
#include "base/log.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <ctime>

namespace tributary::log {
namespace {
std::atomic<int> g_level{static_cast<int>(Level::kInfo)};
constexpr std::string_view kNames[] = {"TRACE", "DEBUG", "INFO", "WARN", "ERROR"};

void append_escaped(std::string& out, std::string_view text) {
  for (char c : text) {
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else {
      out += c;
    }
  }
}
}  // namespace

bool parse_level(std::string_view text, Level& out) {
  for (int i = 0; i < 5; ++i) {
    std::string lower(kNames[i]);
    for (auto& c : lower) c = static_cast<char>(c - 'A' + 'a');
    if (text == lower) {
      out = static_cast<Level>(i);
      return true;
    }
  }
  return false;
}

void set_level(Level level) {
  g_level.store(static_cast<int>(level));
}
bool enabled(Level level) {
  return static_cast<int>(level) >= g_level.load();
}
Level shown(Level level) {
  return static_cast<Level>(std::max(static_cast<int>(level), g_level.load()));
}

void write(Level level, std::string_view pipeline, std::string_view table,
           std::string_view message) {
  if (!enabled(level)) return;
  auto now = std::chrono::system_clock::now();
  auto micros =
      std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count();
  std::time_t seconds = static_cast<std::time_t>(micros / 1000000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char stamp[40];
  std::size_t n = std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &utc);
  std::snprintf(stamp + n, sizeof stamp - n, ".%06lldZ", static_cast<long long>(micros % 1000000));

  std::string line;
  line.reserve(64 + message.size());
  line += stamp;
  line += ' ';
  line += kNames[static_cast<int>(level)];
  if (!pipeline.empty()) {
    line += " pipeline=";
    line += pipeline;
  }
  if (!table.empty()) {
    line += " table=";
    line += table;
  }
  line += ' ';
  append_escaped(line, message);
  line += '\n';
  ssize_t ignored = ::write(STDERR_FILENO, line.data(), line.size());
  (void)ignored;
}

}  // namespace tributary::log
