// Streaming half of a PostgreSQL source: pgoutput over a replication connection, on the loop.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "event/capture_set.hpp"
#include "event/event_queue.hpp"
#include "signals/signal.hpp"
#include "source/postgres/catalog.hpp"
#include "source/postgres/catalog_worker.hpp"
#include "source/postgres/pg_connection.hpp"
#include "source/postgres/pgoutput_decoder.hpp"
#include "source/postgres/watermark.hpp"

namespace tributary::source::postgres {

struct StreamOptions {
  std::string pipeline;
  std::string slot;
  std::string publication;
  std::string database;
  /// Where to resume: transactions whose commit LSN is below `resume.lsn` were emitted already;
  /// of the one committed at `resume.partial_commit_lsn`, the first `partial_events` were too.
  event::SourcePosition resume;
  /// The tables whose events are emitted; other published tables are dropped (a table that
  /// matches tables.include but has not joined yet: its rows come from its join snapshot). Of a
  /// table with a join point, events of transactions committed before it are dropped too (they
  /// are in that snapshot).
  std::shared_ptr<const event::CaptureSet> captured;
  std::chrono::milliseconds status_interval{10000};
  /// An interrupted initial snapshot resuming (resume.snapshot_completed false): the windows its
  /// reader opens. Null otherwise.
  std::shared_ptr<WatermarkWindows> windows;
  /// pipelines[].signals.table: its inserted rows go to `signals` (none: no signal table).
  std::optional<event::TableId> signal_table;
  std::shared_ptr<const signals::SignalDispatcher> signals;
};

struct StreamObserver {
  std::function<void(Error)> failed;  ///< once; the stream stopped reading
};

/// Reads pgoutput from a replication connection without blocking the loop: the socket is watched
/// with an Asio descriptor, libpq runs in non-blocking mode, and reading pauses while the event
/// queue is full. Sends standby status updates with flush = the last LSN Kafka committed.
/// @locality the pipeline's io_context thread, for every member.
class ReplicationStream {
 public:
  ReplicationStream(boost::asio::io_context& io, std::unique_ptr<PgConnection> connection,
                    CatalogWorker& catalog, event::EventQueue& queue, StreamOptions options,
                    StreamObserver observer);
  ~ReplicationStream();

  /// START_REPLICATION at the resume LSN and begin reading.
  Result<void> start();
  /// Everything up to `lsn` is durably in Kafka: report it as flushed to the server.
  void acknowledge(uint64_t lsn);
  /// Stops reading and sends a last status update.
  void stop();

 private:
  void pump();
  void wait_readable();
  void handle_copy_data(std::string_view bytes);
  Result<void> handle_message(pgoutput::Message& message, uint64_t wal_start);
  /// A captured table's Relation: its schema is read from the catalog on the catalog worker while
  /// reading pauses (the messages after it stay unread until the schema is known).
  Result<void> handle_relation(pgoutput::Relation& relation);
  void relation_loaded(const event::TableId& id, uint32_t oid, uint64_t join_lsn, std::size_t width,
                       Result<std::shared_ptr<const event::TableSchema>> schema);
  /// Moves the tuple's text values into a Row (the decoded message is not used afterwards).
  Result<event::Row> to_row(pgoutput::Tuple& tuple, const event::TableSchema& schema);
  /// `join_lsn`: the table's join point (0: none).
  void emit(event::ChangeEvent&& change, uint64_t join_lsn);
  /// A tributary watermark of this run: opens the window (low) or queues its deduplicated chunk
  /// and the marker recording it (high).
  Result<void> handle_watermark(std::string_view content);
  /// While a snapshot is resumed: the change's keys, dropped from the open window's chunk, and
  /// from a later chunk whose snapshot does not see the change's transaction.
  void note_snapshot_change(const event::ChangeEvent& change);
  /// An Insert into the signal table (before its tuple is moved into a row): acted on unless
  /// its transaction was read before this run's resume point.
  void handle_signal_insert(uint32_t relation_oid, const pgoutput::Tuple& tuple);
  /// The position events carry now (the snapshot's progress while it is being resumed).
  event::SourcePosition position_now() const;
  void send_status(bool reply_requested);
  void flush_output();
  void schedule_status();
  void fail(Error error);

  boost::asio::io_context& io_;
  std::unique_ptr<PgConnection> connection_;
  CatalogWorker& catalog_;
  event::EventQueue& queue_;
  StreamOptions options_;
  StreamObserver observer_;
  boost::asio::posix::stream_descriptor socket_;
  boost::asio::steady_timer retry_timer_;
  boost::asio::steady_timer status_timer_;
  bool stopped_ = false;  ///< no more reading (stop() or failure)
  bool failed_ = false;   ///< the connection is unusable: no more writing either
  bool waiting_writable_ = false;
  bool paused_ =
      false;  ///< a Relation's schema is being read: no message is read until it is known

  struct RelationEntry {
    std::shared_ptr<const event::TableSchema> schema;  ///< nullptr: not captured, dropped
    uint64_t join_lsn = 0;
  };
  /// Relation OID -> how its events are emitted.
  std::map<uint32_t, RelationEntry> relations_;
  /// The signal table's Relation OID -> the positions of its id, type and data columns.
  struct SignalColumns {
    int id = -1;
    int type = -1;
    int data = -1;
  };
  std::map<uint32_t, SignalColumns> signal_relations_;

  // The source transaction being read.
  bool in_transaction_ = false;
  bool skip_transaction_ = false;
  uint64_t transaction_commit_lsn_ = 0;  ///< Begin.final_lsn
  int64_t transaction_time_us_ = 0;
  uint32_t transaction_xid_ = 0;
  uint64_t transaction_events_ =
      0;                      ///< events of this transaction seen so far (emitted or skipped)
  uint64_t skip_events_ = 0;  ///< leading events of this transaction already in Kafka

  uint64_t last_end_lsn_ = 0;     ///< end LSN of the last complete source transaction read
  uint64_t last_commit_lsn_ = 0;  ///< its commit's end LSN (source.sequence[0])
  /// The current transaction's replication origin (source.origin, origin_lsn); null: none.
  std::shared_ptr<const std::string> transaction_origin_;
  uint64_t transaction_origin_lsn_ = 0;
  /// The resumed snapshot: its recorded chunks (null once finished), and the open window.
  std::shared_ptr<const event::SnapshotProgress> progress_;
  bool snapshot_pending_ = false;
  struct Window {
    uint64_t id = 0;
    event::TableId table;
    std::set<std::vector<std::string>> keys;  ///< changed inside the window
    bool truncated = false;                   ///< the table was truncated inside it
  };
  std::optional<Window> window_;
  /// From this run's start watermark until the snapshot is done: changes to unfinished tables.
  bool history_active_ = false;
  ChangeHistory history_;
  uint64_t received_lsn_ = 0;      ///< highest WAL position received
  uint64_t acknowledged_lsn_ = 0;  ///< highest LSN durably committed to Kafka
};

}  // namespace tributary::source::postgres
