// pipelines[].heartbeat.action_query (Debezium's heartbeat.action.query): a statement run on
// its own connection to the source database at each heartbeat, e.g. an UPDATE of a heartbeat
// table, so that the source writes a change the pipeline reads (and its PostgreSQL slot
// advances) while the captured tables are idle.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "base/result.hpp"
#include "config/config.hpp"

namespace tributary::source {

/// Runs one statement on the source (a connection of its own, made on first use). Used by one
/// thread at a time.
class QueryRunner {
 public:
  virtual ~QueryRunner() = default;
  /// Connects if needed, then runs `sql` (rows discarded).
  virtual Result<void> run(const std::string& sql) = 0;
  /// Drops the connection: the next run() connects again.
  virtual void reset() = 0;
};

/// Runs the query on its own thread, once per trigger(); triggers while a run is under way are
/// merged into one run after it. A failure is logged (warn, with the pipeline) and the
/// connection is made again at the next trigger: a heartbeat never stops the pipeline.
class HeartbeatQuery {
 public:
  HeartbeatQuery(const config::PipelineConfig& pipeline, std::unique_ptr<QueryRunner> runner);
  ~HeartbeatQuery();
  HeartbeatQuery(const HeartbeatQuery&) = delete;
  HeartbeatQuery& operator=(const HeartbeatQuery&) = delete;

  /// Any thread: run the query once more (soon, not waiting for it).
  void trigger();

 private:
  void run();
  void run_once();

  const config::PipelineConfig& pipeline_;
  std::unique_ptr<QueryRunner> runner_;  ///< the query thread's only
  std::mutex mutex_;
  std::condition_variable wake_;
  bool pending_ = false;   ///< guarded by mutex_
  bool stopping_ = false;  ///< guarded by mutex_
  // The query thread's: the same failure is logged once a minute, with how often it recurred.
  std::string last_failure_;
  std::chrono::steady_clock::time_point last_logged_{};
  uint64_t repeats_ = 0;
  std::thread thread_;
};

/// The action query of `pipeline` for its source type; null when it has none (or heartbeats
/// are off).
std::unique_ptr<HeartbeatQuery> make_heartbeat_query(const config::PipelineConfig& pipeline);

}  // namespace tributary::source
