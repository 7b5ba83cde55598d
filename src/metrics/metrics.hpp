// Metrics: the Prometheus registry and one PipelineProbe per pipeline, whose methods are named for
// what happened (`probe.transaction_committed(n, bytes, dt)`); registration stays in metrics.cpp.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace tributary::metrics {

/// The registered metric families, shared by every probe (owned by Metrics).
struct Families {
  prometheus::Family<prometheus::Counter>& events;
  prometheus::Family<prometheus::Counter>& snapshot_rows;
  prometheus::Family<prometheus::Gauge>& snapshot_progress;
  prometheus::Family<prometheus::Gauge>& source_lag;
  prometheus::Family<prometheus::Counter>& kafka_transactions;
  prometheus::Family<prometheus::Histogram>& kafka_commit_duration;
  prometheus::Family<prometheus::Counter>& kafka_messages;
  prometheus::Family<prometheus::Counter>& kafka_bytes;
  prometheus::Family<prometheus::Gauge>& checkpoint_timestamp;
  prometheus::Family<prometheus::Gauge>& source_position;
  prometheus::Family<prometheus::Gauge>& source_binlog_file;
  prometheus::Family<prometheus::Gauge>& retained_wal;
  prometheus::Family<prometheus::Counter>& reconnects;
  prometheus::Family<prometheus::Counter>& pipeline_failures;
  prometheus::Family<prometheus::Counter>& heartbeats;
  prometheus::Family<prometheus::Gauge>& pipeline_up;
  prometheus::Family<prometheus::Gauge>& inflight_bytes;
  prometheus::Family<prometheus::Histogram>& kafka_batch_events;
};

/// The metrics of one pipeline. Every method is thread-safe and cheap: per-pipeline series are
/// resolved once at construction, per-table series once on first use and then found in a small
/// read-mostly map (shared lock, no allocation for a known table).
class PipelineProbe {
 public:
  PipelineProbe(const PipelineProbe&) = delete;
  PipelineProbe& operator=(const PipelineProbe&) = delete;

  const std::string& pipeline() const { return pipeline_; }

  /// One change event emitted for `table` ("schema.table"); `op` is the Debezium op
  /// (c, u, d, r, t, m). -> tributary_events_total{pipeline,table,op}
  void event_emitted(std::string_view table, char op);
  /// The same for `schema`.`table` (PostgreSQL schema or MySQL database): labelled
  /// "schema.table", as the snapshot's series are; no allocation for a known table whose name
  /// fits 256 bytes.
  void event_emitted(std::string_view schema, std::string_view table, char op);
  /// `n` rows read by the initial snapshot. -> tributary_snapshot_rows_total{pipeline,table}
  void snapshot_rows(std::string_view table, uint64_t n);
  /// Snapshot progress of one table: min(1, rows_done / rows_estimated), 0 while the estimate is 0
  /// (never-analyzed table). -> tributary_snapshot_progress_ratio{pipeline,table}
  void snapshot_table_progress(std::string_view table, uint64_t rows_done, uint64_t rows_estimated);
  /// The table's snapshot was read to its end (ratio 1 whatever the estimate said).
  void snapshot_table_done(std::string_view table);
  /// How far behind the source's commit time the last emitted event is.
  /// -> tributary_source_lag_seconds{pipeline}
  void source_lag(double seconds);
  /// A Kafka transaction of `events` messages / `bytes` bytes committed after `seconds`.
  /// -> tributary_kafka_transactions_total{result="committed"},
  ///    tributary_kafka_commit_duration_seconds, tributary_kafka_messages_total,
  ///    tributary_kafka_bytes_total
  ///    tributary_kafka_batch_events (events in it; 0 for a transaction of the offsets record
  ///    alone)
  void transaction_committed(std::size_t events, std::size_t bytes, double seconds);
  /// Bytes of records produced into the open Kafka transaction, not committed yet (0 after a
  /// commit). -> tributary_inflight_bytes{pipeline}
  void inflight_bytes(std::size_t bytes);
  /// -> tributary_kafka_transactions_total{pipeline,result="aborted"}
  void transaction_aborted();
  /// A checkpoint was durably written at `unix_seconds`.
  /// -> tributary_checkpoint_timestamp_seconds{pipeline}, and
  ///    tributary_checkpoint_age_seconds{pipeline} (now - it, computed at each scrape)
  void checkpoint_written(double unix_seconds);
  /// Seconds since the last checkpoint_written at `now_unix_seconds`; nullopt before the first.
  std::optional<double> checkpoint_age(double now_unix_seconds) const;
  /// Source position reached (PostgreSQL LSN / binlog offset; a double is exact up to 2^53).
  /// -> tributary_source_position{pipeline}
  void source_position(uint64_t lsn);
  /// MySQL/MariaDB: the binlog position reached. -> tributary_source_position{pipeline} = `pos`
  /// (offset within the file), tributary_source_binlog_file_number{pipeline} = the file's
  /// sequence number (mysql-bin.000042 -> 42).
  void source_binlog_position(std::string_view file, uint64_t pos);
  /// WAL the replication slot keeps on the server. -> tributary_slot_retained_wal_bytes{pipeline}
  void retained_wal(uint64_t bytes);
  /// A connection to `target` ("source" | "kafka") was re-established.
  /// -> tributary_reconnects_total{pipeline,target}
  void reconnect(std::string_view target);
  /// The pipeline failed after it had run and will be retried.
  /// -> tributary_pipeline_failures_total{pipeline}
  void pipeline_failed();
  /// A heartbeat record was written into a Kafka transaction.
  /// -> tributary_heartbeats_total{pipeline}
  void heartbeat_written() { heartbeats_.Increment(); }
  /// 1 while snapshotting or streaming, 0 while starting, retrying or stopped.
  /// -> tributary_pipeline_up{pipeline}
  void pipeline_up(bool up);
  /// The last value given to source_lag() (for the SIGUSR1 status line).
  double last_source_lag() const { return source_lag_.Value(); }

 private:
  friend class Metrics;
  PipelineProbe(Families& families, std::string pipeline);

  static constexpr std::string_view kOps = "crudtm";
  struct TableSeries {
    std::array<prometheus::Counter*, kOps.size()> events{};
    std::map<char, prometheus::Counter*> other_events;  // ops outside kOps
    prometheus::Counter* snapshot_rows = nullptr;
    prometheus::Gauge* snapshot_progress = nullptr;
  };
  struct StringHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  template <class T>
  using ByName = std::unordered_map<std::string, T, StringHash, std::equal_to<>>;

  prometheus::Counter& event_counter(std::string_view table, char op);
  prometheus::Counter& snapshot_rows_counter(std::string_view table);
  prometheus::Gauge& snapshot_progress_gauge(std::string_view table);
  prometheus::Counter& reconnect_counter(std::string_view target);

  Families& families_;
  const std::string pipeline_;

  prometheus::Gauge& source_lag_;
  prometheus::Counter& committed_;
  prometheus::Counter& aborted_;
  prometheus::Histogram& commit_duration_;
  prometheus::Counter& kafka_messages_;
  prometheus::Counter& kafka_bytes_;
  prometheus::Gauge& checkpoint_timestamp_;
  prometheus::Gauge& source_position_;
  prometheus::Gauge& source_binlog_file_;
  prometheus::Gauge& retained_wal_;
  prometheus::Counter& reconnect_source_;
  prometheus::Counter& reconnect_kafka_;
  prometheus::Counter& pipeline_failures_;
  prometheus::Counter& heartbeats_;
  prometheus::Gauge& pipeline_up_;
  prometheus::Gauge& inflight_bytes_;
  prometheus::Histogram& batch_events_;
  /// Unix seconds of the last checkpoint; < 0 before the first. Any thread.
  std::atomic<double> checkpoint_at_{-1.0};

  mutable std::shared_mutex mu_;  // guards tables_ and other_reconnects_
  ByName<TableSeries> tables_;
  ByName<prometheus::Counter*> other_reconnects_;
};

/// Owns the registry and its families; hands out one probe per pipeline.
class Metrics {
 public:
  Metrics();
  ~Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  /// The probe of `pipeline`, created on first call; the reference stays valid for the lifetime
  /// of this object. Thread-safe.
  PipelineProbe& pipeline_probe(const std::string& pipeline);

  /// Every family in the Prometheus text exposition format (version 0.0.4). Thread-safe.
  std::string serialize() const;

  /// For registering further collectables (e.g. librdkafka statistics).
  const std::shared_ptr<prometheus::Registry>& registry() const { return registry_; }

  /// Bucket bounds of tributary_kafka_commit_duration_seconds: 1 ms .. 30 s.
  static const prometheus::Histogram::BucketBoundaries& commit_duration_buckets();
  /// Bucket bounds of tributary_kafka_batch_events: 0 (offsets record alone), 1 .. 100000.
  static const prometheus::Histogram::BucketBoundaries& batch_events_buckets();

 private:
  class CheckpointAgeCollector;
  std::shared_ptr<prometheus::Registry> registry_;
  /// Serialized after the registry's families: computed at scrape time.
  std::vector<std::shared_ptr<prometheus::Collectable>> scraped_;
  std::unique_ptr<Families> families_;
  mutable std::mutex probes_mu_;
  std::map<std::string, std::unique_ptr<PipelineProbe>, std::less<>> probes_;
};

}  // namespace tributary::metrics
