// pipelines[].heartbeat: when the next heartbeat record is due, and the action query run at each
// one (on its own connection and thread, so a slow query never holds up a commit).
#pragma once

#include <chrono>
#include <memory>

#include "config/config.hpp"

namespace tributary::source {
class HeartbeatQuery;
}

namespace tributary::app {

/// Sink thread only (the committer's). Disabled with heartbeat.interval_ms 0.
class HeartbeatSchedule {
 public:
  using Clock = std::chrono::steady_clock;

  explicit HeartbeatSchedule(const config::PipelineConfig& pipeline);
  ~HeartbeatSchedule();
  HeartbeatSchedule(const HeartbeatSchedule&) = delete;
  HeartbeatSchedule& operator=(const HeartbeatSchedule&) = delete;

  bool enabled() const { return interval_.count() > 0; }
  /// Whether a heartbeat is due at `now`. When it is, the next is scheduled one interval later
  /// and the action query (if any) is started.
  bool take_due(Clock::time_point now);

 private:
  std::chrono::milliseconds interval_;
  Clock::time_point next_;
  std::unique_ptr<source::HeartbeatQuery> action_;
};

}  // namespace tributary::app
