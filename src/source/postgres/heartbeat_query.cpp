// The heartbeat action query's thread and connection.
#include "source/postgres/heartbeat_query.hpp"

#include "base/log.hpp"
#include "source/postgres/pg_connection.hpp"

namespace tributary::source::postgres {

HeartbeatQuery::HeartbeatQuery(const config::PipelineConfig& pipeline) : pipeline_(pipeline) {
  thread_ = std::thread([this] { run(); });
}

HeartbeatQuery::~HeartbeatQuery() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void HeartbeatQuery::trigger() {
  {
    std::lock_guard lock(mutex_);
    pending_ = true;
  }
  wake_.notify_all();
}

void HeartbeatQuery::run() {
  while (true) {
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return pending_ || stopping_; });
      if (stopping_) return;
      pending_ = false;
    }
    run_once();
  }
}

void HeartbeatQuery::run_once() {
  if (!connection_) {
    auto connected = PgConnection::connect(pipeline_.source, PgConnection::Mode::kNormal,
                                           "tributary-" + pipeline_.name + "-heartbeat");
    if (!connected.ok()) {
      log::warn(pipeline_.name, "heartbeat.action_query: cannot connect to the source database (" +
                                    connected.error().message +
                                    "); retrying at the next heartbeat");
      return;
    }
    connection_ = std::move(connected.value());
  }
  auto done = connection_->exec(pipeline_.heartbeat.action_query);
  if (!done.ok()) {
    log::warn(pipeline_.name, "heartbeat.action_query failed (" + done.error().message +
                                  "); fix the query or its grants; retrying at the next heartbeat");
    // A lost connection is made again; a failing statement leaves it usable, but a fresh one
    // also clears any transaction state the statement left.
    connection_.reset();
  }
}

}  // namespace tributary::source::postgres
