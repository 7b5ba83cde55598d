// Binlog events -> change events and position markers, transaction by transaction.
#include "source/mysql/binlog_stream.hpp"

#include "base/log.hpp"
#include "source/mysql/binlog/byte_reader.hpp"
#include "source/mysql/binlog/row_image.hpp"
#include "source/mysql/ddl_change.hpp"
#include "source/mysql/gtid_set.hpp"

namespace tributary::source::mysql {
namespace {

/// Items handed to the queue at once (also flushed at every transaction end and heartbeat).
constexpr std::size_t kBatchItems = 512;

/// The server's "could not find GTID state" / "binlog not found" (1236) is not retriable: the
/// position is gone (purged after the set-up's check, or never there).
Error not_on_server(Error error, bool by_gtid, const event::MysqlPosition& at) {
  if (error.message.find("mysql_errno 1236") == std::string::npos) return error;
  error.kind = ErrorKind::kConfig;
  error.message +=
      ": the server no longer has " +
      (by_gtid ? "GTID position " + at.gtid_set : at.file + ":" + std::to_string(at.pos)) +
      " (fix: set snapshot.mode: when_needed, or tributary offsets reset --snapshot; "
      "keep binlogs longer with binlog_expire_logs_seconds)";
  return error;
}

}  // namespace

BinlogStream::BinlogStream(StreamOptions options, event::EventQueue& queue,
                           const std::atomic<bool>& stop)
    : options_(std::move(options)),
      queue_(queue),
      stop_(stop),
      tracker_(options_.pipeline, options_.captured, options_.known, options_.unsupported,
               options_.key_overrides) {
  committed_ = options_.resume.mysql();
  file_ = std::make_shared<const std::string>(committed_.file);
  skip_pending_ = options_.resume.partial_events;
}

bool BinlogStream::flush() {
  if (batch_.empty()) return true;
  return queue_.push_wait(batch_, stop_);
}

Result<void> BinlogStream::run(const std::function<void()>& on_open) {
  auto transport = make_connector_transport(options_.transport);
  BinlogStart start;
  start.file = committed_.file;
  start.position = static_cast<uint32_t>(committed_.pos);
  // MariaDB: by GTID when the position has one (@slave_connect_state: the server starts at the
  // first transaction after it, the same one file/pos names, wherever its file is now).
  const bool by_gtid = options_.mariadb && !committed_.gtid_set.empty();
  if (by_gtid) start.gtid = committed_.gtid_set;
  if (auto opened = transport->open(start); !opened) {
    return not_on_server(opened.error(), by_gtid, committed_);
  }
  log::info(options_.pipeline,
            "streaming the binlog from " +
                (by_gtid ? "GTID " + committed_.gtid_set + " (" : std::string()) + committed_.file +
                ":" + std::to_string(committed_.pos) + (by_gtid ? ")" : "") +
                (options_.resume.partial_events > 0
                     ? " (skipping the " + std::to_string(options_.resume.partial_events) +
                           " events of its first transaction already emitted)"
                     : std::string()));
  if (on_open) on_open();
  binlog::EventDecoder decoder(transport->checksum() == "CRC32" ? binlog::ChecksumAlg::kCrc32
                                                                : binlog::ChecksumAlg::kOff);
  uint64_t next_pos = committed_.pos;
  while (!stop_) {
    auto bytes = transport->next();
    if (stop_) break;
    if (!bytes) return not_on_server(bytes.error(), by_gtid, committed_);
    if (bytes->empty()) continue;
    auto header = binlog::decode_header(*bytes);
    uint64_t start_pos = next_pos;
    if (header && header->log_pos != 0 && header->log_pos >= header->event_size) {
      start_pos = header->log_pos - header->event_size;
    }
    auto decoded = decoder.decode(*bytes);
    if (!decoded) return binlog::at_position(decoded.error(), *file_, start_pos);
    if (decoded->header.log_pos != 0) next_pos = decoded->header.log_pos;
    auto handled = handle(*decoded, start_pos);
    if (!handled) {
      if (handled.error().kind == ErrorKind::kCorrupt) {
        return binlog::at_position(handled.error(), *file_, start_pos);
      }
      return handled.error();
    }
    if (batch_.size() >= kBatchItems && !flush()) break;
  }
  transport->close();
  return Error::retriable("binlog stream stopped");
}

Result<void> BinlogStream::handle(binlog::Event& event, uint64_t start) {
  const auto& header = event.header;
  return std::visit(
      [&](auto& body) -> Result<void> {
        using T = std::decay_t<decltype(body)>;
        if constexpr (std::is_same_v<T, binlog::Rotate>) {
          file_ = std::make_shared<const std::string>(body.file);
          // Started by GTID, the server's first (artificial) ROTATE names the file it scans from,
          // at 4: never move the position back within its file (the next group sets it anyway).
          const bool back = body.file == committed_.file && body.position < committed_.pos;
          if (!in_group_ && !back) {
            committed_.file = body.file;
            committed_.pos = body.position;
          }
        } else if constexpr (std::is_same_v<T, binlog::MariadbGtid>) {
          begin_group(body.text(), body.standalone(), start);
          group_server_id_ = header.server_id;
        } else if constexpr (std::is_same_v<T, binlog::MysqlGtid>) {
          begin_group(body.anonymous ? std::string() : body.text(), false, start);
          group_server_id_ = header.server_id;
        } else if constexpr (std::is_same_v<T, binlog::Query>) {
          return handle_query(body, header);
        } else if constexpr (std::is_same_v<T, binlog::TableMap>) {
          const event::TableId id{body.database, body.table};
          if (!tracker_.captured(id) && options_.matches && options_.matches(id)) {
            if (auto joined = join_table(id); !joined) return joined.error();
          }
          auto tracked = tracker_.on_table_map(std::move(body));
          if (!tracked) return tracked.error();
        } else if constexpr (std::is_same_v<T, binlog::RowsEvent>) {
          return handle_rows(body, header);
        } else if constexpr (std::is_same_v<T, binlog::Xid>) {
          end_group(header.log_pos);
        } else if constexpr (std::is_same_v<T, binlog::Heartbeat>) {
          // Idle: everything up to log_pos was sent, so the position may move there (between
          // transactions only); the checkpoint then keeps up with a quiet server.
          if (!in_group_ && body.file == committed_.file && header.log_pos > committed_.pos) {
            committed_.pos = header.log_pos;
            event::PositionMarker marker;
            marker.position.snapshot_completed = true;
            marker.position.mysql() = committed_;
            batch_.emplace_back(std::move(marker));
          }
          if (!flush()) return Error::retriable("binlog stream stopped");
        }
        return {};
      },
      event.body);
}

void BinlogStream::begin_group(std::string gtid, bool standalone, uint64_t start) {
  in_group_ = true;
  standalone_ = standalone;
  group_gtid_text_ = std::move(gtid);
  group_gtid_ =
      group_gtid_text_.empty() ? nullptr : std::make_shared<const std::string>(group_gtid_text_);
  group_start_ = start;
  // Between groups the position is where the next one starts: this group's start (a GTID start
  // may have skipped events the server did not send, so the previous end can lie before it).
  if (start >= 4) {
    committed_.file = *file_;
    committed_.pos = start;
  }
  group_thread_.reset();
  group_server_id_ = 0;
  group_events_ = 0;
  skip_events_ = skip_pending_;
  skip_pending_ = 0;
}

void BinlogStream::end_group(uint64_t end_pos) {
  if (!in_group_) return;
  in_group_ = false;
  committed_.file = *file_;
  if (end_pos != 0) committed_.pos = end_pos;
  committed_.gtid_set = advance_gtid_set(committed_.gtid_set, group_gtid_text_, options_.mariadb);
  if (group_server_id_ != 0) committed_.server_id = group_server_id_;
  event::PositionMarker marker;
  marker.position.snapshot_completed = true;
  marker.position.mysql() = committed_;
  marker.transaction_end = true;
  batch_.emplace_back(std::move(marker));
  flush();
}

Result<void> BinlogStream::handle_query(const binlog::Query& query,
                                        const binlog::EventHeader& header) {
  event_start_ = header.log_pos - header.event_size;
  const std::string word = leading_keyword(query.sql);
  if (word == "BEGIN" || word == "XA") {
    if (!in_group_) begin_group("", false, header.log_pos - header.event_size);
    if (group_server_id_ == 0) group_server_id_ = header.server_id;
    group_thread_ = query.thread_id;
    return {};
  }
  if (word == "COMMIT" || word == "ROLLBACK") {
    end_group(header.log_pos);
    return {};
  }
  // A statement in a group of its own (DDL): TRUNCATE of a captured table is an event; the
  // columns of any other DDL reach the stream with the table's next TABLE_MAP.
  if (!in_group_) begin_group("", true, header.log_pos - header.event_size);
  group_thread_ = query.thread_id;
  if (options_.schema_changes) {
    if (auto emitted = emit_schema_change(query, header); !emitted) return emitted.error();
  }
  if (auto id = truncated_table(query.sql, query.database); id && tracker_.captured(*id)) {
    if (auto schema = tracker_.last_schema(*id)) {
      event::ChangeEvent change;
      change.op = event::Op::kTruncate;
      change.schema = std::move(schema);
      change.source.db = id->schema;
      change.source.commit_time_us = static_cast<int64_t>(header.timestamp) * 1000000;
      change.source.mysql().server_id = header.server_id;
      emit(std::move(change));
    } else {
      log::write(log::Level::kWarn, options_.pipeline, id->qualified(),
                 "TRUNCATE of a table whose columns are not known yet: not emitted");
    }
  }
  if (standalone_) end_group(header.log_pos);
  return {};
}

Result<void> BinlogStream::handle_rows(const binlog::RowsEvent& rows,
                                       const binlog::EventHeader& header) {
  const TrackedTable* table = tracker_.find(rows.table_id);
  if (table == nullptr) {
    return Error::corrupt("rows event for table id " + std::to_string(rows.table_id) +
                          " without a TABLE_MAP before it");
  }
  if (!table->schema) return {};
  auto changes = binlog::decode_row_images(rows, table->map);
  if (!changes) return changes.error();
  if (!in_group_) begin_group("", false, header.log_pos - header.event_size);
  if (group_server_id_ == 0) group_server_id_ = header.server_id;
  const auto op = rows.kind == binlog::RowsEvent::Kind::kWrite    ? event::Op::kCreate
                  : rows.kind == binlog::RowsEvent::Kind::kUpdate ? event::Op::kUpdate
                                                                  : event::Op::kDelete;
  // The signal table's inserts are signals too (as Debezium, the table must be captured).
  const bool signal_rows = op == event::Op::kCreate && options_.signals && options_.signal_table &&
                           table->schema->id == *options_.signal_table;
  int32_t row = 0;
  for (auto& one : *changes) {
    std::optional<signals::Signal> signal;
    if (signal_rows && one.after) signal = signal_of(*one.after, *table->schema);
    event::ChangeEvent change;
    change.op = op;
    change.schema = table->schema;
    change.before = std::move(one.before);
    change.after = std::move(one.after);
    change.source.db = table->map.database;
    change.source.commit_time_us = static_cast<int64_t>(header.timestamp) * 1000000;
    auto& info = change.source.mysql();
    info.server_id = header.server_id;
    info.row = row;
    last_row_ = row++;
    emit(std::move(change));
    // Counted past the resumed prefix: not acted on by an earlier run.
    if (signal && group_events_ > skip_events_) options_.signals->dispatch(*signal);
  }
  return {};
}

std::optional<signals::Signal> BinlogStream::signal_of(const event::Row& row,
                                                       const event::TableSchema& schema) {
  signals::Signal signal;
  signal.channel = "source";
  int found = 0;
  for (std::size_t i = 0; i < schema.columns.size() && i < row.size(); ++i) {
    const auto& name = schema.columns[i].name;
    std::string* field = name == "id"     ? &signal.id
                         : name == "type" ? &signal.type
                         : name == "data" ? &signal.data
                                          : nullptr;
    if (field == nullptr) continue;
    ++found;
    if (const auto* text = std::get_if<std::string>(&row[i])) *field = *text;
  }
  if (found == 3) return signal;
  if (!signal_layout_warned_) {
    signal_layout_warned_ = true;
    log::write(log::Level::kWarn, options_.pipeline, schema.id.qualified(),
               "signals.table lacks a column id, type or data (Debezium's signal table layout): "
               "its rows are not read as signals");
  }
  return std::nullopt;
}

bool BinlogStream::count_event() {
  ++group_events_;
  return group_events_ > skip_events_;
}

void BinlogStream::emit(event::ChangeEvent&& change) {
  const bool fresh = count_event();
  auto& info = change.source.mysql();
  info.gtid = group_gtid_;
  info.file = file_;
  info.pos = static_cast<int64_t>(group_start_);
  if (!fresh) {
    // Already in Kafka (the resumed group's prefix): passed on marked, never written, so that
    // transaction metadata counts it as the first run did.
    change.replayed = true;
    batch_.emplace_back(std::move(change));
    return;
  }
  info.thread = group_thread_;
  change.source.snapshot = event::SnapshotMarker::kFalse;
  change.position.snapshot_completed = true;
  change.position.mysql() = committed_;
  change.position.partial_events = group_events_;
  batch_.emplace_back(std::move(change));
}

// A table created after the set-up listed the tables joins by a reconnect: the next set-up
// lists it and reads its columns from information_schema (which tells MariaDB's JSON from the
// LONGTEXT its TABLE_MAP shows). A table the server no longer has under that name (renamed or
// dropped since the stream's position) cannot join so: every set-up would miss it and the stream
// would reconnect for ever at its first TABLE_MAP. It is captured from its TABLE_MAPs instead
// (binlog_row_metadata FULL gives its column names), so its rows are not lost.
Result<void> BinlogStream::join_table(const event::TableId& id) {
  auto described = describe(id);
  if (!described) return described.error();
  if (*described) {
    log::write(log::Level::kInfo, options_.pipeline, id.qualified(),
               "new table matches tables.include/exclude: it joins the capture set after a "
               "reconnect (its changes from the committed position on)");
    return Error::retriable("table " + id.qualified() +
                            " joining the capture set: reconnecting to capture it");
  }
  log::write(log::Level::kInfo, options_.pipeline, id.qualified(),
             "new table matches tables.include/exclude but the server no longer has it (renamed "
             "or dropped since): captured from the binlog's table map, without a reconnect");
  tracker_.capture(id);
  return {};
}

Result<Connection*> BinlogStream::catalog() {
  if (!catalog_) {
    auto connected = Connection::connect(options_.transport.connection);
    if (!connected) return connected.error();
    catalog_ = std::move(*connected);
  }
  return catalog_.get();
}

Result<std::optional<event::TableChange>> BinlogStream::describe(const event::TableId& id) {
  auto connection = catalog();
  if (!connection) return connection.error();
  auto described = describe_table(**connection, id);
  if (!described) catalog_.reset();  // reconnect on the next try
  return described;
}

bool BinlogStream::database_captured(const std::string& database) const {
  if (options_.matches && options_.matches(event::TableId{database, ""})) return true;
  if (options_.captured) {
    for (const auto& table : *options_.captured) {
      if (table.id.schema == database) return true;
    }
  }
  return false;
}

// The table part is read from information_schema when the DDL arrives, not parsed from the
// statement (Debezium parses it). So it shows the table as it is when the stream reads the DDL:
// when the stream lags, a later DDL on the same table may already be visible (its columns then
// appear one record early), and a table dropped or renamed since is described by its last known
// description: the one its last CREATE/ALTER/RENAME record carried, else its TableSchema (the
// stream's TABLE_MAP or set-up schema: names, types, nullability, key), else its name alone.
// A DROP is always described so (as Debezium's record carries the table as it was).
Result<void> BinlogStream::emit_schema_change(const binlog::Query& query,
                                              const binlog::EventHeader& header) {
  auto statement = parse_ddl(query.sql, query.database);
  if (!statement) return {};
  const bool database_ddl =
      statement->kind == DdlKind::kCreateDatabase || statement->kind == DdlKind::kDropDatabase;
  bool wanted = database_ddl && database_captured(statement->database);
  for (const auto& id : statement->tables) {
    if (tracker_.captured(id) || (options_.matches && options_.matches(id))) wanted = true;
  }
  if (!wanted || !count_event()) return {};
  event::SchemaChange change;
  change.database = database_ddl || statement->tables.empty() ? statement->database
                                                              : statement->tables.front().schema;
  change.ddl = query.sql;
  auto last_known = [&](const event::TableId& id) {
    if (auto found = described_.find(id.qualified()); found != described_.end()) {
      return found->second;
    }
    auto schema = tracker_.last_schema(id);
    if (schema) return describe_from_schema(*schema);
    event::TableChange bare;
    bare.id = id;
    return bare;
  };
  for (std::size_t i = 0; i < statement->tables.size(); ++i) {
    const auto& id = statement->tables[i];
    // a rename is an ALTER under the new name, as in Debezium (source.table: the new names)
    const bool renamed_from = statement->kind == DdlKind::kRenameTable && i % 2 == 0;
    if (!renamed_from) {
      if (!change.source_table.empty()) change.source_table += ",";
      change.source_table += id.table;
    }
    if (statement->kind == DdlKind::kTruncateTable || renamed_from) continue;
    event::TableChange table;
    if (statement->kind == DdlKind::kDropTable) {
      table = last_known(id);
    } else {
      auto described = describe(id);
      if (!described) return described.error();
      if (*described) {
        table = std::move(**described);
      } else {
        table =
            last_known(statement->kind == DdlKind::kRenameTable ? statement->tables[i - 1] : id);
        table.id = id;
      }
    }
    table.type = statement->kind == DdlKind::kCreateTable ? event::TableChangeType::kCreate
                 : statement->kind == DdlKind::kDropTable ? event::TableChangeType::kDrop
                                                          : event::TableChangeType::kAlter;
    if (table.type == event::TableChangeType::kDrop) {
      described_.erase(id.qualified());
    } else {
      described_[id.qualified()] = table;
    }
    change.tables.push_back(std::move(table));
  }
  if (statement->kind == DdlKind::kRenameTable) {
    for (std::size_t i = 0; i < statement->tables.size(); i += 2) {
      described_.erase(statement->tables[i].qualified());
    }
  }
  change.source.db = change.database;
  change.source.commit_time_us = static_cast<int64_t>(header.timestamp) * 1000000;
  // As Debezium's source block of a schema change: the QUERY event's position, no thread, and
  // the row index its binlog reader kept from the last rows event.
  auto& info = change.source.mysql();
  info.server_id = header.server_id;
  info.gtid = group_gtid_;
  info.file = file_;
  info.pos = static_cast<int64_t>(event_start_);
  info.row = last_row_;
  change.position.snapshot_completed = true;
  change.position.mysql() = committed_;
  if (statement->kind != DdlKind::kDropTable || change.tables.empty()) {
    change.position.partial_events = group_events_;
    batch_.emplace_back(std::move(change));
    return {};
  }
  // A DROP TABLE: one record per table, its DDL rewritten as Debezium writes it
  // (DROP TABLE `db`.`table`; MariaDB's own text says "/* generated by server */").
  auto tables = std::move(change.tables);
  for (std::size_t i = 0; i < tables.size(); ++i) {
    if (i > 0 && !count_event()) continue;
    event::SchemaChange one = change;
    one.ddl = "DROP TABLE " + Connection::quote_identifier(tables[i].id.schema) + "." +
              Connection::quote_identifier(tables[i].id.table);
    one.source_table = tables[i].id.table;
    one.tables = {std::move(tables[i])};
    one.position.partial_events = group_events_;
    batch_.emplace_back(std::move(one));
  }
  return {};
}

}  // namespace tributary::source::mysql
