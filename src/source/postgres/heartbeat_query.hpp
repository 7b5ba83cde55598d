// pipelines[].heartbeat.action_query (Debezium's heartbeat.action.query): a statement run on
// its own connection to the source database at each heartbeat, e.g. an UPDATE of a heartbeat
// table, so that this database writes WAL (and its slot advances) while the captured tables
// are idle and other databases of the server are busy.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#include "config/config.hpp"

namespace tributary::source::postgres {

class PgConnection;

/// Runs the query on its own thread, once per trigger(); triggers while a run is under way are
/// merged into one run after it. A failure is logged (warn, with the pipeline) and the
/// connection is made again at the next trigger: a heartbeat never stops the pipeline.
class HeartbeatQuery {
 public:
  explicit HeartbeatQuery(const config::PipelineConfig& pipeline);
  ~HeartbeatQuery();
  HeartbeatQuery(const HeartbeatQuery&) = delete;
  HeartbeatQuery& operator=(const HeartbeatQuery&) = delete;

  /// Any thread: run the query once more (soon, not waiting for it).
  void trigger();

 private:
  void run();
  void run_once();

  const config::PipelineConfig& pipeline_;
  std::unique_ptr<PgConnection> connection_;  ///< the query thread's only
  std::mutex mutex_;
  std::condition_variable wake_;
  bool pending_ = false;   ///< guarded by mutex_
  bool stopping_ = false;  ///< guarded by mutex_
  std::thread thread_;
};

}  // namespace tributary::source::postgres
