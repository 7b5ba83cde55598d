// Leveled, one-line-per-event logging to stderr: `<time> <LEVEL> [pipeline] [table] message`.
#pragma once

#include <atomic>
#include <string>
#include <string_view>

namespace tributary::log {

enum class Level { kTrace = 0, kDebug, kInfo, kWarn, kError };

/// Parses "trace|debug|info|warn|error"; returns false for anything else.
bool parse_level(std::string_view text, Level& out);
void set_level(Level level);
bool enabled(Level level);
/// `level` when it is shown, else the lowest level that is: for lines an operator asked for
/// (SIGHUP, SIGUSR1), which appear whatever log.level says.
Level shown(Level level);

/// Writes one line atomically (single write(2)); newlines in `message` are escaped so one event
/// stays one line. `pipeline`/`table` may be empty. Thread-safe.
void write(Level level, std::string_view pipeline, std::string_view table,
           std::string_view message);

inline void trace(std::string_view p, std::string_view m) {
  write(Level::kTrace, p, {}, m);
}
inline void debug(std::string_view p, std::string_view m) {
  write(Level::kDebug, p, {}, m);
}
inline void info(std::string_view p, std::string_view m) {
  write(Level::kInfo, p, {}, m);
}
inline void warn(std::string_view p, std::string_view m) {
  write(Level::kWarn, p, {}, m);
}
inline void error(std::string_view p, std::string_view m) {
  write(Level::kError, p, {}, m);
}

}  // namespace tributary::log
