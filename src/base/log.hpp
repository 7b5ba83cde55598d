// Leveled, one-line-per-event logging: text `<time> <LEVEL> [pipeline=] [table=] message` or one
// JSON object per line, to stderr or an appended file that SIGHUP can reopen.
#pragma once

#include <atomic>
#include <optional>
#include <string>
#include <string_view>

namespace tributary::log {

enum class Level { kTrace = 0, kDebug, kInfo, kWarn, kError };
enum class Format { kText, kJson };

/// Parses "trace|debug|info|warn|error"; returns false for anything else.
bool parse_level(std::string_view text, Level& out);
void set_level(Level level);
bool enabled(Level level);
/// `level` when it is shown, else the lowest level that is: for lines an operator asked for
/// (SIGHUP, SIGUSR1), which appear whatever log.level says.
Level shown(Level level);

/// "text" or "json" (log.format); anything else is text.
Format parse_format(std::string_view text);
void set_format(Format format);

/// Sends the lines to `path` from now on (appended; created with mode 0640 less the umask), or to
/// standard error when `path` is empty. Called again with the same path it reopens the file (a
/// logrotate moved it away). On failure the previous destination stays and the error is returned,
/// e.g. "cannot open /var/log/tributary/x.log for appending: Permission denied".
/// The switch is atomic: a line written at the same time goes whole to the old or the new file.
/// @locality one thread at a time (startup, then the io_context thread); write() may run anywhere.
std::optional<std::string> set_file(const std::string& path);
/// The destination set_file() last opened: a path, or "" for standard error.
std::string file();

/// Writes one line atomically (single write(2)); newlines in `message` are escaped so one event
/// stays one line. `pipeline`/`table` may be empty. Thread-safe.
void write(Level level, std::string_view pipeline, std::string_view table,
           std::string_view message);

/// The line write() emits, without the level check; `stamp` is the ISO 8601 UTC time.
std::string format_line(Format format, std::string_view stamp, Level level,
                        std::string_view pipeline, std::string_view table,
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
