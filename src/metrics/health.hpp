// HealthState: what /readyz and /status report. Pipelines set their connection and phase flags
// from any thread; the HTTP server reads them.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace tributary::metrics {

/// The committed source position as /status shows it. The pipeline fills it from its
/// event::SourcePosition (this module knows no event types).
struct StatusPosition {
  std::string text;  ///< as in the logs: "LSN 0/16B3748", "binlog mysql-bin.000003:4 ..."
  bool snapshot_completed = false;
  bool mysql = false;
  // PostgreSQL
  std::string lsn;              ///< "0/16B3748"
  uint64_t partial_events = 0;  ///< events already emitted of the transaction committed at:
  std::string partial_commit_lsn;
  // MySQL / MariaDB
  std::string binlog_file;
  uint64_t binlog_pos = 0;
  std::string gtid_set;
};

/// Per-pipeline flags. Every configured pipeline is registered before anything starts, so a
/// pipeline that never got going (Kafka unreachable) is reported with what it waits for; a setter
/// naming an unknown pipeline registers it too.
///
/// ready() is true when at least one pipeline is known, the process is not shutting down, and
/// every pipeline is: not failed AND not retrying AND source connected AND Kafka connected AND
/// (snapshotting OR streaming). A running snapshot counts as ready: it is progress, and a long
/// snapshot must not make an orchestrator kill the process.
class HealthState {
 public:
  using SystemTime = std::chrono::system_clock::time_point;

  void register_pipeline(const std::string& pipeline);
  void set_source_connected(const std::string& pipeline, bool connected);
  void set_kafka_connected(const std::string& pipeline, bool connected);
  /// The initial snapshot is running (cleared by set_streaming(p, true)).
  void set_snapshotting(const std::string& pipeline, bool snapshotting);
  /// Snapshot done (or skipped) and the change stream is being read.
  void set_streaming(const std::string& pipeline, bool streaming);
  /// What keeps the pipeline from running, e.g. "kafka not reachable at k1:9092: <error>"; while
  /// set it is the pipeline's reason in /readyz. "" clears it.
  void set_waiting_for(const std::string& pipeline, const std::string& what);
  /// The pipeline failed after it had run and is retried: the error, the consecutive failures so
  /// far, and when the next attempt starts. Cleared by clear_retrying (the attempt got going).
  void set_retrying(const std::string& pipeline, const std::string& error, int attempts,
                    SystemTime next_retry);
  void clear_retrying(const std::string& pipeline);
  /// The pipeline stopped for good; `reason` is reported by /readyz. Not cleared.
  void set_failed(const std::string& pipeline, const std::string& reason);
  /// SIGTERM received: not ready any more, so load balancers stop routing while the process drains.
  void set_shutting_down();

  // What /status shows beyond readiness.
  /// The pipeline's phase: "starting", "snapshotting", "streaming", "reconnecting", "retrying",
  /// "stopping", "stopped".
  void set_phase(const std::string& pipeline, const std::string& phase);
  /// The position the pipeline resumes from or last committed (Kafka and the checkpoint file).
  void set_position(const std::string& pipeline, const StatusPosition& position);
  /// A Kafka transaction of `events` events committed at `at` (and checkpointed); `lag_seconds`
  /// is the source lag of the last event emitted. Counts the pipeline's transactions.
  void transaction_committed(const std::string& pipeline, SystemTime at, std::size_t events,
                             double lag_seconds);
  /// Any thread: snapshot rows read from `table` so far, of about `estimated`. Marks the table
  /// not done (a snapshot taken again starts over).
  void snapshot_progress(const std::string& pipeline, const std::string& table, uint64_t done,
                         uint64_t estimated);
  /// Any thread: the snapshot read `table` to its end, `rows` rows.
  void snapshot_table_done(const std::string& pipeline, const std::string& table, uint64_t rows);
  /// The last failure of the pipeline (retried or not); kept after it recovers.
  void set_last_error(const std::string& pipeline, const std::string& message, SystemTime at);

  /// Whether the process is ready; if not and `why_not` is given, the reasons ("; "-separated).
  bool ready(std::string* why_not = nullptr) const;

  /// {"ready":bool,"shutting_down":bool,"pipelines":{"<name>":{"state":"starting|snapshotting|
  /// streaming|retrying|failed","source_connected":bool,"kafka_connected":bool
  /// [,"waiting_for":"..."][,"error":"..."][,"attempts":n,"next_retry_at":"<UTC ISO-8601>"],
  /// "phase":"...","lag_seconds":x|null,
  /// "position":null|{"text":"...","snapshot_completed":bool,"type":"postgres","lsn":"0/16B3748",
  ///   "partial_events":n[,"partial_commit_lsn":"..."]}
  ///   |{"text","snapshot_completed","type":"mysql","binlog_file":"...","binlog_pos":n,"gtid_set":"..."},
  /// "last_commit":null|{"time":"<UTC ISO-8601 ms>","events":n,"transactions":n},
  /// "last_error":null|{"message":"...","time":"..."},
  /// "snapshot":{"tables":{"schema.table":{"rows_done":n,"rows_estimated":n,"done":bool}}}}}}
  std::string status_json() const;

 private:
  struct Pipeline {
    bool source_connected = false;
    bool kafka_connected = false;
    bool snapshotting = false;
    bool streaming = false;
    bool failed = false;
    bool retrying = false;
    int attempts = 0;
    SystemTime next_retry{};
    std::string waiting_for;
    std::string reason;  ///< failed: why; retrying: the last error
    std::string phase = "starting";
    std::optional<StatusPosition> position;
    std::optional<double> lag_seconds;
    uint64_t transactions = 0;
    std::size_t last_commit_events = 0;
    SystemTime last_commit_at{};
    std::string last_error;
    SystemTime last_error_at{};
    struct Table {
      uint64_t done = 0;
      uint64_t estimated = 0;
      bool finished = false;
    };
    std::map<std::string, Table, std::less<>> tables;
  };
  bool ready_locked(std::string* why_not) const;

  mutable std::mutex mu_;
  std::map<std::string, Pipeline, std::less<>> pipelines_;
  bool shutting_down_ = false;
};

/// "2026-01-31T12:00:00Z".
std::string format_utc(std::chrono::system_clock::time_point time);
/// "2026-01-31T12:00:00.123Z".
std::string format_utc_ms(std::chrono::system_clock::time_point time);

}  // namespace tributary::metrics
