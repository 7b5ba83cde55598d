// The heartbeat action query's thread, and its runner by source type.
#include "source/heartbeat_query.hpp"

#include "base/log.hpp"
#include "source/mysql/heartbeat_runner.hpp"
#include "source/postgres/heartbeat_runner.hpp"

namespace tributary::source {

HeartbeatQuery::HeartbeatQuery(const config::PipelineConfig& pipeline,
                               std::unique_ptr<QueryRunner> runner)
    : pipeline_(pipeline), runner_(std::move(runner)) {
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
  auto done = runner_->run(pipeline_.heartbeat.action_query);
  if (done.ok()) {
    if (!last_failure_.empty()) {
      log::info(pipeline_.name, "heartbeat.action_query runs again");
      last_failure_.clear();
    }
    return;
  }
  // A lost connection is made again; a failing statement leaves it usable, but a fresh one
  // also clears any transaction state the statement left.
  runner_->reset();
  const auto now = std::chrono::steady_clock::now();
  if (done.error().message == last_failure_ && now - last_logged_ < std::chrono::minutes(1)) {
    ++repeats_;
    return;
  }
  std::string again =
      repeats_ > 0 ? " (failed " + std::to_string(repeats_) + " more times since the last line)"
                   : "";
  log::warn(pipeline_.name, "heartbeat.action_query failed (" + done.error().message + ")" + again +
                                "; fix the query, its grants or the connection; retried at each "
                                "heartbeat, this line repeats at most once a minute");
  last_failure_ = done.error().message;
  last_logged_ = now;
  repeats_ = 0;
}

std::unique_ptr<HeartbeatQuery> make_heartbeat_query(const config::PipelineConfig& pipeline) {
  if (pipeline.heartbeat.interval_ms <= 0 || pipeline.heartbeat.action_query.empty()) {
    return nullptr;
  }
  std::unique_ptr<QueryRunner> runner;
  switch (pipeline.source.type) {
    case config::SourceType::kPostgres:
      runner = postgres::make_query_runner(pipeline);
      break;
    case config::SourceType::kMysql:
      runner = mysql::make_query_runner(pipeline);
      break;
  }
  return std::make_unique<HeartbeatQuery>(pipeline, std::move(runner));
}

}  // namespace tributary::source
