// Binlog streaming: blocking transport reads on the source's worker thread, decoded into change
// events and position markers pushed into the pipeline's EventQueue in binlog order (push_wait:
// a full queue holds the reader back, the bytes stay on the server).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "config/config.hpp"
#include "event/capture_set.hpp"
#include "event/event_queue.hpp"
#include "signals/signal.hpp"
#include "source/mysql/binlog/events.hpp"
#include "source/mysql/connection.hpp"
#include "source/mysql/schema_tracker.hpp"
#include "source/mysql/transport.hpp"

namespace tributary::source::mysql {

struct StreamOptions {
  std::string pipeline;
  TransportOptions transport;
  bool mariadb = true;
  /// The committed position: file/pos is the start of the next transaction to emit; its first
  /// `partial_events` captured events were emitted already and are skipped.
  event::SourcePosition resume;
  std::shared_ptr<const event::CaptureSet> captured;
  /// Tables that match tables.include/exclude (a matching table outside `captured` makes the
  /// stream fail retriably, so that the next round captures it).
  std::function<bool(const event::TableId&)> matches;
  std::map<std::string, std::shared_ptr<const event::TableSchema>> known;
  config::UnsupportedColumns unsupported = config::UnsupportedColumns::kSkip;
  /// pipelines[].message_key_columns ("db.table" -> "col1,col2").
  std::map<std::string, std::string> key_overrides;
  /// pipelines[].schema_changes: DDL on a captured table or database -> event::SchemaChange.
  bool schema_changes = false;
  /// pipelines[].signals.table ("db.table", captured): its inserted rows go to `signals`.
  std::optional<event::TableId> signal_table;
  std::shared_ptr<const signals::SignalDispatcher> signals;
};

/// @locality the source's worker thread (run() blocks).
class BinlogStream {
 public:
  BinlogStream(StreamOptions options, event::EventQueue& queue, const std::atomic<bool>& stop);

  /// Opens the dump at the resume position and streams until `stop` (Error::retriable) or a
  /// failure: a lost connection or a server restart is kRetriable, bytes that do not decode are
  /// kCorrupt naming the binlog file and position. `on_open` runs once the dump is open.
  Result<void> run(const std::function<void()>& on_open);

 private:
  Result<void> handle(binlog::Event& event, uint64_t start);
  Result<void> handle_query(const binlog::Query& query, const binlog::EventHeader& header);
  Result<void> handle_rows(const binlog::RowsEvent& rows, const binlog::EventHeader& header);
  void begin_group(std::string gtid, bool standalone, uint64_t start);
  void end_group(uint64_t end_pos);
  void emit(event::ChangeEvent&& change);
  /// Counts a captured event of the group; false when it was emitted before the resume.
  bool count_event();
  /// A signal-table row as a signal (nullopt, warned once: the table lacks id, type or data).
  std::optional<signals::Signal> signal_of(const event::Row& row, const event::TableSchema& schema);
  /// With schema_changes: a DDL statement of a captured table or database as a SchemaChange.
  Result<void> emit_schema_change(const binlog::Query& query, const binlog::EventHeader& header);
  bool database_captured(const std::string& database) const;
  /// A matching table outside the capture set: Error::retriable (reconnect to capture it) when the
  /// server has it now, else captured from its TABLE_MAPs (module comment at its definition).
  Result<void> join_table(const event::TableId& id);
  /// The information_schema connection (`catalog_`), opened on first use.
  Result<Connection*> catalog();
  /// describe_table of `id` through catalog(); on an error the connection is dropped (reopened on
  /// the next use).
  Result<std::optional<event::TableChange>> describe(const event::TableId& id);
  bool flush();

  StreamOptions options_;
  event::EventQueue& queue_;
  const std::atomic<bool>& stop_;
  SchemaTracker tracker_;
  std::unique_ptr<Connection> catalog_;  ///< information_schema reads for schema changes; lazy
  /// database.table -> the table as the last CREATE/ALTER/RENAME record described it (a DROP's
  /// record describes the table so, or by its tracked schema after a reconnect).
  std::map<std::string, event::TableChange> described_;
  std::vector<event::QueueItem> batch_;
  /// The last fully read transaction's end (where the next starts), and the set up to it.
  event::MysqlPosition committed_;
  std::shared_ptr<const std::string> file_;
  bool in_group_ = false;
  bool standalone_ = false;
  std::shared_ptr<const std::string> group_gtid_;
  std::string group_gtid_text_;
  uint64_t group_start_ = 0;
  uint64_t event_start_ = 0;  ///< the current QUERY event's position (a DDL's source.pos)
  int32_t last_row_ = 0;      ///< source.row of the last row emitted (a DDL's source.row)
  uint32_t group_server_id_ = 0;
  std::optional<int64_t> group_thread_;
  uint64_t group_events_ = 0;  ///< captured events of the group so far (emitted or skipped)
  uint64_t skip_events_ = 0;   ///< of this group, already emitted before the resume
  bool signal_layout_warned_ = false;
  uint64_t skip_pending_ = 0;  ///< for the first group after opening
};

}  // namespace tributary::source::mysql
