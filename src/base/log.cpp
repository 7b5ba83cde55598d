// Leveled single-line logging to standard error or an appended file.
#include "base/log.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <mutex>

#include "base/log_json.hpp"

namespace tributary::log {
namespace {
std::atomic<int> g_level{static_cast<int>(Level::kInfo)};
std::atomic<int> g_format{static_cast<int>(Format::kText)};
/// Where lines go. STDERR_FILENO until set_file() runs; from then on a descriptor of our own whose
/// number never changes: a new destination is dup3()'d onto it, so a writer on another thread
/// never holds a closed (or reused) number.
std::atomic<int> g_fd{STDERR_FILENO};
std::mutex g_target_mutex;  ///< serializes set_file() and guards g_path
std::string g_path;
constexpr std::string_view kNames[] = {"TRACE", "DEBUG", "INFO", "WARN", "ERROR"};
constexpr std::string_view kJsonNames[] = {"trace", "debug", "info", "warn", "error"};

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

void append_json_field(std::string& out, std::string_view name, std::string_view value) {
  out += ",\"";
  out += name;
  out += "\":";
  append_json_string(out, value);
}

/// A descriptor >= 3 (never one of the standard streams' numbers), close-on-exec; -1 on failure.
int above_standard_streams(int fd) {
  if (fd < 0 || fd > STDERR_FILENO) return fd;
  const int moved = ::fcntl(fd, F_DUPFD_CLOEXEC, STDERR_FILENO + 1);
  ::close(fd);
  return moved;
}
}  // namespace

bool parse_level(std::string_view text, Level& out) {
  for (int i = 0; i < 5; ++i) {
    if (text == kJsonNames[i]) {
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

Format parse_format(std::string_view text) {
  return text == "json" ? Format::kJson : Format::kText;
}
void set_format(Format format) {
  g_format.store(static_cast<int>(format));
}

std::optional<std::string> set_file(const std::string& path) {
  std::lock_guard lock(g_target_mutex);
  int fd = -1;
  if (path.empty()) {
    fd = ::fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, STDERR_FILENO + 1);
    if (fd < 0) return std::string("cannot use standard error: ") + std::strerror(errno);
  } else {
    fd = above_standard_streams(
        ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0640));
    if (fd < 0) return "cannot open " + path + " for appending: " + std::strerror(errno);
  }
  const int current = g_fd.load();
  if (current == STDERR_FILENO) {
    g_fd.store(fd);
  } else {
    const int replaced = ::dup3(fd, current, O_CLOEXEC);
    const int saved = errno;
    ::close(fd);
    if (replaced < 0) return "cannot switch the log to " + path + ": " + std::strerror(saved);
  }
  g_path = path;
  return std::nullopt;
}

std::string file() {
  std::lock_guard lock(g_target_mutex);
  return g_path;
}

std::string format_line(Format format, std::string_view stamp, Level level,
                        std::string_view pipeline, std::string_view table,
                        std::string_view message) {
  std::string line;
  line.reserve(80 + message.size());
  if (format == Format::kJson) {
    line += "{\"ts\":\"";
    line += stamp;
    line += "\",\"level\":\"";
    line += kJsonNames[static_cast<int>(level)];
    line += '"';
    if (!pipeline.empty()) append_json_field(line, "pipeline", pipeline);
    if (!table.empty()) append_json_field(line, "table", table);
    append_json_field(line, "message", message);
    line += "}\n";
    return line;
  }
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
  return line;
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

  const std::string line =
      format_line(static_cast<Format>(g_format.load()), stamp, level, pipeline, table, message);
  ssize_t ignored = ::write(g_fd.load(), line.data(), line.size());
  (void)ignored;
}

}  // namespace tributary::log
