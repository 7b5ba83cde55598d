// The `run` command: one io_context, the HTTP endpoint, signals, and every pipeline.
#pragma once

#include <string>

#include "config/config.hpp"

namespace tributary::app {

/// Runs until SIGTERM/SIGINT or until every pipeline stopped. Under systemd (Type=notify): READY=1
/// once the pipelines are launched, STATUS= at each phase change and with each WATCHDOG=1, and
/// STOPPING=1 then EXTEND_TIMEOUT_USEC= every 2 s while the shutdown flush runs (for at most
/// shutdown.timeout_ms). Returns the process exit code:
/// 0 clean shutdown (everything read was committed), 1 runtime failure (or a stop that left a
/// Kafka transaction uncommitted: nothing is lost, the next start resumes from the checkpoint),
/// 2 configuration / setup problem. `config_path` is re-read on SIGHUP.
///
/// Signals: SIGTERM, SIGINT, SIGPWR stop cleanly; SIGHUP re-reads the file (log.level, log.format
/// and log.file apply at once and log.file is reopened; other keys at the next start); SIGUSR1 logs
/// one status line per pipeline; SIGUSR2, SIGALRM, SIGVTALRM, SIGPROF, SIGIO are logged and
/// ignored; SIGPIPE is ignored. SIGQUIT keeps its default (core dump), for debugging a stuck
/// process.
int run(const config::Config& config, const std::string& config_path);

}  // namespace tributary::app
