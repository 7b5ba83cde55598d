// The heartbeat schedule and its action query.
#include "app/heartbeat.hpp"

#include "source/heartbeat_query.hpp"

namespace tributary::app {

HeartbeatSchedule::HeartbeatSchedule(const config::PipelineConfig& pipeline)
    : interval_(pipeline.heartbeat.interval_ms),
      next_(Clock::now() + interval_),
      action_(source::make_heartbeat_query(pipeline)) {}

HeartbeatSchedule::~HeartbeatSchedule() = default;

bool HeartbeatSchedule::take_due(Clock::time_point now) {
  if (!enabled() || now < next_) return false;
  // From now, not from the missed slot: a long commit does not cause a burst of heartbeats.
  next_ = now + interval_;
  if (action_) action_->trigger();
  return true;
}

}  // namespace tributary::app
