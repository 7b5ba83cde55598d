// The MySQL/MariaDB initial snapshot: parallel readers, each in its own consistent-snapshot
// transaction, all at one binlog position, emitting op=r events; the position streaming starts at.
//
// How the snapshot point is taken (SnapshotReaders::open):
// - MariaDB: every connection runs START TRANSACTION WITH CONSISTENT SNAPSHOT (REPEATABLE READ)
//   and reads SHOW STATUS LIKE 'binlog_snapshot_%' (binlog_snapshot_file/position: the binlog
//   position the transaction's read view corresponds to, no global lock). The GTID set at that
//   point is SELECT BINLOG_GTID_POS(file, position), not @@gtid_binlog_pos, which moves on while
//   the transaction is open (https://mariadb.com/kb/en/enhancements-for-start-transaction-with-
//   consistent-snapshot/ and https://mariadb.com/kb/en/binlog_gtid_pos/).
// - MySQL (no binlog_snapshot_* status): FLUSH TABLES WITH READ LOCK, START TRANSACTION WITH
//   CONSISTENT SNAPSHOT on every connection, SHOW MASTER STATUS (file, position,
//   Executed_Gtid_Set), UNLOCK TABLES: the lock is held only for that, and the log says so.
// - Parallelism: up to `parallelism` connections (never more than tables) each open their own
//   snapshot; they are kept only when all report the same binlog file and position (no commit in
//   between). Otherwise all are rolled back and opened again, up to 3 attempts, then the snapshot
//   falls back to one connection (always consistent by itself), said in the log.
// Reading: every table is one work item, or, when large, several primary-key chunks (when and
// how: chunking.hpp); the connections take work items from one list, so a large table is read by
// all connections at once, each chunk a SELECT of every non-omitted column with a key range,
// mysql_use_result row by row. Per key there is one op=r row whichever connection reads it; the
// sink marks the snapshot's last row (held back until the snapshot_done marker).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "config/config.hpp"
#include "event/change_event.hpp"
#include "event/event_queue.hpp"
#include "source/mysql/connection.hpp"

namespace tributary::source::mysql {

/// A binlog position: streaming starts at `file`:`position` (or by `gtid_set` where the server
/// has GTIDs); every change committed after the snapshot's read view is at or after it.
struct BinlogPoint {
  std::string file;       ///< "mysql-bin.000003"
  uint64_t position = 0;  ///< byte offset of the next event in `file`
  /// MariaDB: "0-1-42[,1-2-7]" (BINLOG_GTID_POS at file:position); MySQL: Executed_Gtid_Set;
  /// "" when the server has none.
  std::string gtid_set;
  bool operator==(const BinlogPoint&) const = default;
};

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
  /// Position every row carries (the Source decides: "snapshot not completed" for the initial
  /// snapshot).
  event::SourcePosition row_position;
  int parallelism = 2;  ///< snapshot.parallelism
  /// Rows per primary-key chunk of a large table (snapshot.fetch_size): a table of more than
  /// chunk_rows x connections estimated rows is chunked (chunking.hpp).
  uint64_t chunk_rows = 10000;
  int64_t server_id = 0;  ///< SourceInfo.mysql().server_id of the rows (0: Debezium's snapshot)
};

/// The open snapshot transactions. Blocking throughout: use it on a worker thread, never on the
/// loop. Not thread-safe itself (read() runs its own threads inside).
class SnapshotReaders {
 public:
  /// Connects `connections` (>= 1) readers (pass snapshot.parallelism: a single large table is
  /// read by all of them in chunks) and opens their consistent snapshots at one binlog
  /// point (see the file comment for how, the retries and the fallback to one connection).
  static Result<std::unique_ptr<SnapshotReaders>> open(const SnapshotOptions& options,
                                                       std::size_t connections);
  ~SnapshotReaders();
  SnapshotReaders(const SnapshotReaders&) = delete;
  SnapshotReaders& operator=(const SnapshotReaders&) = delete;

  /// Where streaming starts once the snapshot was read: rows committed after the snapshot's read
  /// view are at or after this point, the rows read are all before it.
  const BinlogPoint& point() const { return point_; }
  /// Connections actually open (after a fallback 1).
  std::size_t connections() const { return connections_.size(); }
  /// The first reader's connection, inside its snapshot transaction: for the schema queries
  /// (schema_query.hpp) before read(). information_schema is not versioned by the snapshot: a
  /// DDL racing the snapshot is the schema tracker's to find in the binlog.
  Connection& connection() { return *connections_.front(); }

  /// Reads every table, pushing op=r events (source.snapshot = true, the sink marks first/last;
  /// source.db = the table's database; commit_time_us = read time; mysql() file/pos = point())
  /// into `queue` with back-pressure. Omitted columns are not read (Null at their index). Each
  /// table logs its start (estimate, chunks), progress every 10 s (rows, chunks done) and
  /// "finished: N rows in K chunk(s) in S s (R rows/s)", or "interrupted after N rows".
  /// Returns once every table was read (then commits the transactions), on the first error (a
  /// value that does not convert names table.column and the value), or when `stop` turns true
  /// (Error::retriable).
  Result<void> read(const std::vector<std::shared_ptr<const event::TableSchema>>& tables,
                    event::EventQueue& queue, const SnapshotProgress& progress,
                    const std::atomic<bool>& stop);

 private:
  SnapshotReaders(SnapshotOptions options) : options_(std::move(options)) {}
  SnapshotOptions options_;
  std::vector<std::unique_ptr<Connection>> connections_;
  BinlogPoint point_;
};

}  // namespace tributary::source::mysql
