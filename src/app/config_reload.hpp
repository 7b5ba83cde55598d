// SIGHUP: re-read the configuration file, apply what can change at runtime, report the rest.
#pragma once

#include <string>
#include <vector>

#include "config/config.hpp"

namespace tributary::app {

/// The keys whose values differ between two configurations, from the option table:
/// "log.level", "pipelines[shop].source.port", "pipelines[new] (added)",
/// "kafka.topics.overrides". Values are left out: some are secrets.
std::vector<std::string> changed_keys(const config::Config& before, const config::Config& after);

/// Re-reads `path`. A valid file: applies log.level, log.format and log.file to `running` and the
/// logger, reopens log.file (for logrotate; the old file's last line says so), and logs one line
/// naming what was applied, the file reopened, and which changed keys take effect only at a
/// restart. A log.file that cannot be opened is logged and the old destination kept. An invalid
/// file: logs its first problems and their count, and keeps `running` as it was.
/// @locality the io_context thread (the only writer of `running`; nothing else reads log.level).
void reload(const std::string& path, config::Config& running);

}  // namespace tributary::app
