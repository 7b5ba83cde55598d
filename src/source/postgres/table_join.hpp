// Tables joining a running capture set: which join, their snapshot at a fresh join point, and the
// watch for new tables while streaming.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "base/result.hpp"
#include "config/config.hpp"
#include "event/capture_set.hpp"
#include "event/event_queue.hpp"

namespace tributary::source::postgres {

class PgConnection;

/// How the recorded capture set meets the tables that match the filter now.
struct CapturePlan {
  /// Recorded tables that still match (with their join points); all matching tables when nothing
  /// was recorded (`adopted`).
  event::CaptureSet kept;
  std::vector<event::TableId> joining;  ///< match now, not recorded: their rows are missing
  std::vector<event::TableId> left;     ///< recorded, no longer match (excluded or dropped)
  bool adopted = false;
};
CapturePlan plan_capture(const std::vector<event::TableId>& matching,
                         const std::optional<event::CaptureSet>& recorded);

/// `set` with `tables` added at `join_lsn` (0: plain members), in schema.table order.
event::CaptureSet with_tables(event::CaptureSet set, const std::vector<event::TableId>& tables,
                              uint64_t join_lsn);

struct JoinOptions {
  std::string pipeline;
  config::SourceConfig source;
  event::SourcePosition resume;  ///< the checkpoint streaming resumes from after the join
  int parallelism = 2;
  int fetch_size = 10000;
};

struct JoinedTables {
  uint64_t join_lsn = 0;
  std::map<std::string, uint64_t> rows;  ///< rows read per schema.table
};

/// Takes a consistent snapshot of `tables` alone: a TEMPORARY logical slot on a replication
/// connection of its own exports it, its consistent point is the join point, and the existing
/// snapshot reader emits the rows as op r (positions: `resume`). The caller has already added
/// the tables to the publication, so every change after the join point is in the stream.
/// Blocking (set-up thread). The temporary slot goes with the connection, before this returns.
Result<JoinedTables> snapshot_joining_tables(
    const JoinOptions& options,
    const std::vector<std::shared_ptr<const event::TableSchema>>& tables, event::EventQueue& queue,
    const std::function<void(const std::string&, uint64_t, uint64_t, uint64_t)>& rows_read,
    const std::function<void(const std::string&, uint64_t)>& table_done,
    const std::atomic<bool>& stop);

/// Polls the catalog every `interval` on a thread and connection of its own (never the loop) for
/// tables that match the filter but are not captured, and reports them once.
class TableWatcher {
 public:
  /// `found` runs on the watcher's thread, at most once.
  TableWatcher(const config::PipelineConfig& pipeline,
               std::shared_ptr<const event::CaptureSet> captured,
               std::chrono::milliseconds interval,
               std::function<void(std::vector<event::TableId>)> found);
  ~TableWatcher();
  void start();
  void stop();

 private:
  void run();

  const config::PipelineConfig& pipeline_;
  std::shared_ptr<const event::CaptureSet> captured_;
  std::chrono::milliseconds interval_;
  std::function<void(std::vector<event::TableId>)> found_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;  ///< guarded by mutex_
  std::thread thread_;
};

}  // namespace tributary::source::postgres
