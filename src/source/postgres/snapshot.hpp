// Initial snapshot: parallel readers sharing one exported snapshot, emitting op=r events.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "config/config.hpp"
#include "event/event_queue.hpp"

namespace tributary::source::postgres {

struct SnapshotProgress {
  /// Called from snapshot threads: rows just read from `table`, rows so far, estimated total.
  std::function<void(const std::string& table, uint64_t rows, uint64_t done, uint64_t estimate)>
      rows_read;
  /// Called from snapshot threads: `table` was read to its end, `rows` rows.
  std::function<void(const std::string& table, uint64_t rows)> table_done;
};

struct SnapshotOptions {
  std::string pipeline;
  config::SourceConfig source;
  std::string snapshot_name;  ///< exported by CREATE_REPLICATION_SLOT; must be imported first
  uint64_t consistent_point = 0;
  /// Position every row carries: "snapshot not completed" for the initial snapshot (a restart
  /// snapshots again); the resume position for tables joining a running capture set (a restart
  /// resumes there, and the joining tables, not recorded yet, are snapshotted again).
  event::SourcePosition row_position;
  int parallelism = 2;
  int fetch_size = 10000;
  int chunk_rows = 8096;
  /// Tables keyed by pipelines[].message_key_columns ("schema.table"): not chunked.
  std::set<std::string> key_overridden;
  /// pipelines[].tables.row_filters ("schema.table" -> condition): the snapshot's WHERE.
  std::map<std::string, std::string> row_filters;
  /// The initial snapshot: each chunk is followed by a marker recording it (snapshot not
  /// completed, the consistent point, every chunk queued so far), and its rows carry the
  /// progress before it, so a restart resumes after the last chunk Kafka committed. Off for
  /// tables joining a running capture set (their rows carry `row_position`).
  bool record_progress = false;
};

/// Reads every table under the exported snapshot with up to `parallelism` connections, in
/// key-ordered chunks of `chunk_rows` (a table without a usable key: one chunk, said in the log),
/// pushing op=r events (source.snapshot = true; the sink marks first/last) into the queue. Omitted
/// columns are not read (NULL in their place). Each table logs "finished" with its row count only
/// when it was read to the end, "interrupted after N rows" otherwise. Blocking: run it on a worker
/// thread, never on the loop. Returns once every table was read, on the first error, or when `stop`
/// turns true.
Result<void> run_snapshot(const SnapshotOptions& options,
                          const std::vector<std::shared_ptr<const event::TableSchema>>& tables,
                          event::EventQueue& queue, const SnapshotProgress& progress,
                          const std::atomic<bool>& stop);

}  // namespace tributary::source::postgres
