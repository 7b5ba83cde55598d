// The `run` command: one io_context, the HTTP endpoint, signals, and every pipeline.
#pragma once

#include "config/config.hpp"

namespace tributary::app {

/// Runs until SIGTERM/SIGINT or until every pipeline stopped. Returns the process exit code:
/// 0 clean shutdown, 1 runtime failure, 2 configuration / setup problem.
int run(const config::Config& config);

}  // namespace tributary::app
