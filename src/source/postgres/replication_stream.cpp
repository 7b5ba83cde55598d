// pgoutput streaming on the loop: decode, resume-skip, hand events to the queue, report flush.
#include "source/postgres/replication_stream.hpp"

#include <unistd.h>

#include <boost/asio/post.hpp>
#include <chrono>

#include "base/clock.hpp"
#include "base/log.hpp"
#include "source/postgres/chunk_query.hpp"
#include "source/postgres/replication_protocol.hpp"

namespace tributary::source::postgres {
namespace {

constexpr int kMessagesPerTurn = 2000;

template <class... F>
struct Overloaded : F... {
  using F::operator()...;
};
template <class... F>
Overloaded(F...) -> Overloaded<F...>;

}  // namespace

ReplicationStream::ReplicationStream(boost::asio::io_context& io,
                                     std::unique_ptr<PgConnection> connection,
                                     CatalogWorker& catalog, event::EventQueue& queue,
                                     StreamOptions options, StreamObserver observer)
    : io_(io),
      connection_(std::move(connection)),
      catalog_(catalog),
      queue_(queue),
      options_(std::move(options)),
      observer_(std::move(observer)),
      socket_(io),
      retry_timer_(io),
      status_timer_(io) {
  last_end_lsn_ = options_.resume.lsn();
  acknowledged_lsn_ = options_.resume.lsn();
  received_lsn_ = options_.resume.lsn();
  snapshot_pending_ = !options_.resume.snapshot_completed;
  progress_ = options_.resume.snapshot_progress;
}

ReplicationStream::~ReplicationStream() {
  // libpq owns the socket: give it back before the descriptor object would close it.
  if (socket_.is_open()) socket_.release();
}

Result<void> ReplicationStream::start() {
  std::string sql = "START_REPLICATION SLOT " + connection_->quote_identifier(options_.slot) +
                    " LOGICAL " + event::format_lsn(options_.resume.lsn()) +
                    " (proto_version '1', publication_names " +
                    connection_->quote_literal(options_.publication) +
                    // pg_logical_emit_message() records (PostgreSQL 14+): snapshot watermarks and
                    // the logical decoding messages a pipeline writes to Kafka.
                    (PQserverVersion(connection_->raw()) >= 140000 ? ", messages 'true')" : ")");
  auto started = connection_->exec_copy_both(sql);
  if (!started.ok()) return started.error();
  if (PQsetnonblocking(connection_->raw(), 1) != 0) {
    return Error::retriable("cannot make the replication connection non-blocking");
  }
  socket_.assign(PQsocket(connection_->raw()));
  log::info(options_.pipeline, "streaming from slot " + options_.slot + " at " +
                                   event::format_lsn(options_.resume.lsn()));
  schedule_status();
  boost::asio::post(io_, [this] { pump(); });
  return {};
}

void ReplicationStream::stop() {
  if (stopped_) return;
  send_status(false);
  stopped_ = true;  // reading stops; acknowledge() still reports flushes until destruction
  retry_timer_.cancel();
  status_timer_.cancel();
  boost::system::error_code ignored;
  socket_.cancel(ignored);
}

void ReplicationStream::fail(Error error) {
  if (failed_) return;
  failed_ = true;
  stopped_ = true;
  retry_timer_.cancel();
  status_timer_.cancel();
  boost::system::error_code ignored;
  socket_.cancel(ignored);
  if (observer_.failed) observer_.failed(std::move(error));
}

void ReplicationStream::pump() {
  if (stopped_ || paused_) return;
  for (int n = 0; n < kMessagesPerTurn; ++n) {
    if (queue_.full()) {
      // Backpressure: the sink is behind. Leave the bytes in the socket and look again shortly.
      retry_timer_.expires_after(std::chrono::milliseconds(2));
      retry_timer_.async_wait([this](boost::system::error_code ec) {
        if (!ec) pump();
      });
      return;
    }
    char* buffer = nullptr;
    int length = PQgetCopyData(connection_->raw(), &buffer, 1);
    if (length > 0) {
      handle_copy_data(std::string_view(buffer, static_cast<std::size_t>(length)));
      PQfreemem(buffer);
      if (stopped_ || paused_) return;  // paused: relation_loaded() pumps again
      continue;
    }
    if (length == 0) {
      wait_readable();
      return;
    }
    if (length == -1) {
      PgResult result(PQgetResult(connection_->raw()));
      const auto status = PQresultStatus(result.get());
      if (result.get() == nullptr || status == PGRES_COMMAND_OK || status == PGRES_COPY_BOTH ||
          status == PGRES_COPY_OUT) {
        // The server ended the COPY without an error: a walsender finishing on shutdown (a
        // fast or smart stop of PostgreSQL sends CopyDone and CommandComplete), or a
        // terminated walsender. Reconnecting from the committed position is the answer.
        fail(
            Error::retriable("the server ended the replication stream (PostgreSQL shutting "
                             "down or the walsender was stopped)"));
        return;
      }
      fail(connection_->classify("replication stream ended", result.get()));
      return;
    }
    fail(Error::retriable(std::string("replication stream read failed: ") +
                          PQerrorMessage(connection_->raw())));
    return;
  }
  boost::asio::post(io_, [this] { pump(); });
}

void ReplicationStream::wait_readable() {
  socket_.async_wait(boost::asio::posix::stream_descriptor::wait_read,
                     [this](boost::system::error_code ec) {
                       if (ec || stopped_ || paused_) return;
                       if (PQconsumeInput(connection_->raw()) == 0) {
                         fail(Error::retriable(std::string("replication connection lost: ") +
                                               PQerrorMessage(connection_->raw())));
                         return;
                       }
                       pump();
                     });
}

void ReplicationStream::handle_copy_data(std::string_view bytes) {
  auto parsed = parse_copy_data(bytes);
  if (!parsed.ok()) {
    fail(parsed.error());
    return;
  }
  if (auto* keepalive = std::get_if<Keepalive>(&*parsed)) {
    received_lsn_ = std::max(received_lsn_, keepalive->wal_end);
    // Between transactions every commit before wal_end was already sent to us, so the position
    // may move there once what is queued before it is committed: idle tables then do not make
    // the server keep WAL. Inside a transaction the position must not move.
    if (!in_transaction_ && keepalive->wal_end > last_end_lsn_) {
      last_end_lsn_ = keepalive->wal_end;
      event::PositionMarker marker;
      marker.position = position_now();
      queue_.push(std::move(marker));
    }
    if (keepalive->reply_requested) send_status(false);
    return;
  }
  const auto& data = std::get<XLogData>(*parsed);
  received_lsn_ = std::max(received_lsn_, data.wal_end);
  auto message = pgoutput::decode(data.payload);
  if (!message.ok()) {
    fail(message.error());
    return;
  }
  auto handled = handle_message(*message, data.wal_start);
  if (!handled.ok()) fail(handled.error());
}

Result<event::Row> ReplicationStream::to_row(pgoutput::Tuple& tuple,
                                             const event::TableSchema& schema) {
  if (tuple.size() != schema.columns.size()) {
    return Error::corrupt("pgoutput tuple for " + schema.id.qualified() + " has " +
                          std::to_string(tuple.size()) + " columns, relation has " +
                          std::to_string(schema.columns.size()));
  }
  event::Row row;
  row.reserve(tuple.size());
  for (auto& column : tuple) {
    switch (column.kind) {
      case pgoutput::TupleColumn::Kind::kNull:
        row.emplace_back(event::Null{});
        break;
      case pgoutput::TupleColumn::Kind::kUnchanged:
        row.emplace_back(event::Unchanged{});
        break;
      case pgoutput::TupleColumn::Kind::kText:
        row.emplace_back(std::move(column.data));
        break;
      case pgoutput::TupleColumn::Kind::kBinary:
        return Error::corrupt("pgoutput sent a binary column value, which was not requested");
    }
  }
  return row;
}

Result<void> ReplicationStream::handle_relation(pgoutput::Relation& relation) {
  event::TableId id{relation.schema, relation.name};
  if (options_.signal_table && *options_.signal_table == id && options_.signals) {
    SignalColumns columns;
    for (std::size_t i = 0; i < relation.columns.size(); ++i) {
      const auto& name = relation.columns[i].name;
      if (name == "id") columns.id = static_cast<int>(i);
      if (name == "type") columns.type = static_cast<int>(i);
      if (name == "data") columns.data = static_cast<int>(i);
    }
    if (columns.id < 0 || columns.type < 0 || columns.data < 0) {
      log::write(log::Level::kWarn, options_.pipeline, id.qualified(),
                 "signals.table lacks a column id, type or data (Debezium's signal table "
                 "layout): its rows are not read as signals");
      signal_relations_.erase(relation.oid);
    } else {
      signal_relations_[relation.oid] = columns;
    }
  } else {
    signal_relations_.erase(relation.oid);
  }
  const event::CapturedTable* captured = event::find_table(*options_.captured, id);
  if (captured == nullptr) {
    relations_[relation.oid] = RelationEntry{};
    return {};
  }
  // Nullability and the primary key come from the catalog; columns and types from the message.
  // The catalog queries run on the catalog worker (a lock can hold them up for long): reading
  // pauses until the answer is back, so the messages after this one are decoded with it.
  paused_ = true;
  const uint32_t oid = relation.oid;
  const uint64_t join_lsn = captured->join_lsn;
  const std::size_t width = relation.columns.size();
  catalog_.run(
      [id, relation = std::move(relation)](
          Catalog& catalog) -> Result<std::shared_ptr<const event::TableSchema>> {
        auto current = catalog.load_table_schema(id);
        std::vector<RawColumn> columns;
        std::vector<std::string> key_names;
        for (const auto& c : relation.columns) {
          RawColumn raw{c.name, c.type_oid, c.type_modifier, true};
          if (current.ok()) {
            for (const auto& known : (*current)->columns) {
              if (known.name == c.name) raw.optional = known.optional;
            }
          }
          columns.push_back(std::move(raw));
        }
        if (current.ok()) {
          for (std::size_t index : (*current)->key_columns) {
            key_names.push_back((*current)->columns[index].name);
          }
        } else if (current.error().kind != ErrorKind::kConfig) {
          return current.error();
        }
        if (key_names.empty() && relation.replica_identity == 'i') {
          for (const auto& c : relation.columns) {
            if (c.key) key_names.push_back(c.name);
          }
        }
        auto schema = build_table_schema(catalog, id, relation.oid, columns, key_names);
        if (!schema.ok() && schema.error().kind == ErrorKind::kConfig) {
          // A schema change while running is no configuration error: the pipeline fails (and is
          // retried), the other pipelines go on.
          return Error::fatal(
              "table " + id.qualified() +
              " changed while streaming and cannot be captured: " + schema.error().message);
        }
        return schema;
      },
      [this, id, oid, join_lsn, width](Result<std::shared_ptr<const event::TableSchema>> schema) {
        relation_loaded(id, oid, join_lsn, width, std::move(schema));
      });
  return {};
}

void ReplicationStream::relation_loaded(const event::TableId& id, uint32_t oid, uint64_t join_lsn,
                                        std::size_t width,
                                        Result<std::shared_ptr<const event::TableSchema>> schema) {
  if (stopped_) return;
  if (!schema.ok()) return fail(schema.error());
  warn_omitted_columns(options_.pipeline, **schema);
  log::write(log::Level::kInfo, options_.pipeline, id.qualified(),
             "relation schema version " + std::to_string((*schema)->version) + " with " +
                 std::to_string(width) + " columns");
  relations_[oid] = RelationEntry{std::move(schema.value()), join_lsn};
  paused_ = false;
  boost::asio::post(io_, [this] { pump(); });
}

void ReplicationStream::emit(event::ChangeEvent&& change, uint64_t join_lsn) {
  // Committed before the table's join point: the row is in the join snapshot. Not counted, like
  // any event of a table not captured: the count is the same on every resume.
  if (transaction_commit_lsn_ < join_lsn) return;
  ++transaction_events_;
  if (skip_transaction_) return;
  // The resumed prefix of a partly emitted transaction goes on marked, never written: transaction
  // metadata counts it (total_order, END's event_count) as on the first run.
  if (transaction_events_ <= skip_events_) {
    change.replayed = true;
    change.source.postgres().txid = transaction_xid_;
    queue_.push(std::move(change));
    return;
  }
  change.source.db = options_.database;
  change.source.commit_time_us = transaction_time_us_;
  change.source.postgres().txid = transaction_xid_;
  if (last_commit_lsn_ != 0) change.source.postgres().last_commit_lsn = last_commit_lsn_;
  if (transaction_origin_) {
    change.source.postgres().origin = transaction_origin_;
    change.source.postgres().origin_lsn = transaction_origin_lsn_;
  }
  change.source.snapshot = event::SnapshotMarker::kFalse;
  if (window_ || history_active_) note_snapshot_change(change);
  change.position.snapshot_completed = !snapshot_pending_;
  if (snapshot_pending_) change.position.snapshot_progress = progress_;
  change.position.postgres().lsn = last_end_lsn_;
  change.position.postgres().partial_commit_lsn = transaction_commit_lsn_;
  change.position.partial_events = transaction_events_;
  queue_.push(std::move(change));
}

Result<void> ReplicationStream::handle_message(pgoutput::Message& message, uint64_t wal_start) {
  // A snapshot watermark (this pipeline's resumed snapshot, or another's): never a record.
  if (const auto* logical = std::get_if<pgoutput::LogicalMessage>(&message);
      logical != nullptr && logical->prefix == kWatermarkPrefix) {
    return handle_watermark(logical->content);
  }
  auto schema_of = [this](uint32_t oid) -> Result<const RelationEntry*> {
    auto it = relations_.find(oid);
    if (it == relations_.end()) {
      return Error::corrupt("pgoutput change for relation OID " + std::to_string(oid) +
                            " before its Relation message");
    }
    return &it->second;
  };
  return std::visit(
      Overloaded{
          [&](const pgoutput::Begin& begin) -> Result<void> {
            in_transaction_ = true;
            transaction_commit_lsn_ = begin.final_lsn;
            transaction_time_us_ = begin.commit_time_us;
            transaction_xid_ = begin.xid;
            transaction_events_ = 0;
            transaction_origin_.reset();  // as Debezium: the origin is cleared at each BEGIN
            skip_transaction_ = begin.final_lsn < options_.resume.lsn();
            skip_events_ = begin.final_lsn == options_.resume.partial_commit_lsn()
                               ? options_.resume.partial_events
                               : 0;
            return {};
          },
          [&](const pgoutput::Commit& commit) -> Result<void> {
            in_transaction_ = false;
            bool skipped = skip_transaction_;
            skip_transaction_ = false;
            skip_events_ = 0;
            last_end_lsn_ = std::max(last_end_lsn_, commit.end_lsn);
            // source.sequence[0], as Debezium's lastCommitLsn: the WAL position pgjdbc reports
            // for the Commit message (its XLogData start), which is the commit's end LSN.
            last_commit_lsn_ = commit.end_lsn;
            if (skipped) return {};
            event::PositionMarker marker;
            marker.position = position_now();
            marker.position.postgres().lsn = commit.end_lsn;
            marker.transaction_end = true;
            queue_.push(std::move(marker));
            return {};
          },
          [&](pgoutput::Relation& relation) -> Result<void> { return handle_relation(relation); },
          [&](pgoutput::Insert& insert) -> Result<void> {
            if (!signal_relations_.empty()) {
              handle_signal_insert(insert.relation_oid, insert.new_tuple);
            }
            auto schema = schema_of(insert.relation_oid);
            if (!schema.ok()) return schema.error();
            if (!(*schema)->schema) return {};
            auto row = to_row(insert.new_tuple, *(*schema)->schema);
            if (!row.ok()) return row.error();
            event::ChangeEvent change;
            change.op = event::Op::kCreate;
            change.schema = (*schema)->schema;
            change.after = std::move(row.value());
            change.source.postgres().lsn = wal_start;
            emit(std::move(change), (*schema)->join_lsn);
            return {};
          },
          [&](pgoutput::Update& update) -> Result<void> {
            auto schema = schema_of(update.relation_oid);
            if (!schema.ok()) return schema.error();
            if (!(*schema)->schema) return {};
            auto row = to_row(update.new_tuple, *(*schema)->schema);
            if (!row.ok()) return row.error();
            event::ChangeEvent change;
            change.op = event::Op::kUpdate;
            change.schema = (*schema)->schema;
            if (update.old_kind == 'K' || update.old_kind == 'O') {
              auto before = to_row(update.old_tuple, *(*schema)->schema);
              if (!before.ok()) return before.error();
              change.before = std::move(before.value());
              change.before_is_key_only = update.old_kind == 'K';
            }
            change.after = std::move(row.value());
            change.source.postgres().lsn = wal_start;
            emit(std::move(change), (*schema)->join_lsn);
            return {};
          },
          [&](pgoutput::Delete& deleted) -> Result<void> {
            auto schema = schema_of(deleted.relation_oid);
            if (!schema.ok()) return schema.error();
            if (!(*schema)->schema) return {};
            auto before = to_row(deleted.old_tuple, *(*schema)->schema);
            if (!before.ok()) return before.error();
            event::ChangeEvent change;
            change.op = event::Op::kDelete;
            change.schema = (*schema)->schema;
            change.before = std::move(before.value());
            change.before_is_key_only = deleted.old_kind == 'K';
            change.source.postgres().lsn = wal_start;
            emit(std::move(change), (*schema)->join_lsn);
            return {};
          },
          [&](const pgoutput::Truncate& truncate) -> Result<void> {
            for (uint32_t oid : truncate.relation_oids) {
              auto schema = schema_of(oid);
              if (!schema.ok()) return schema.error();
              if (!(*schema)->schema) continue;
              event::ChangeEvent change;
              change.op = event::Op::kTruncate;
              change.schema = (*schema)->schema;
              change.source.postgres().lsn = wal_start;
              emit(std::move(change), (*schema)->join_lsn);
            }
            return {};
          },
          [&](pgoutput::Origin& origin) -> Result<void> {
            // Sent after Begin when the transaction was replayed through a replication origin.
            transaction_origin_ = std::make_shared<const std::string>(std::move(origin.name));
            transaction_origin_lsn_ = origin.commit_lsn;
            return {};
          },
          [&](pgoutput::LogicalMessage& message) -> Result<void> {
            // pipelines[].messages: Debezium's `op: m` records (the prefix filter is applied
            // on the sink side, so the event count below is the same whatever it is).
            event::LogicalMessage out;
            out.transactional = message.transactional;
            out.prefix = std::move(message.prefix);
            out.content = std::move(message.content);
            out.source.db = options_.database;
            out.source.postgres().lsn = wal_start;
            // As emit(): a snapshot resumed while streaming stays pending in the position.
            out.position.snapshot_completed = !snapshot_pending_;
            if (snapshot_pending_) out.position.snapshot_progress = progress_;
            if (message.transactional) {
              // Counted and resumed like a row of its transaction, and ordered with its rows.
              ++transaction_events_;
              if (skip_transaction_) return {};
              out.source.commit_time_us = transaction_time_us_;
              out.source.postgres().txid = transaction_xid_;
              if (last_commit_lsn_ != 0) out.source.postgres().last_commit_lsn = last_commit_lsn_;
              if (transaction_origin_) {
                out.source.postgres().origin = transaction_origin_;
                out.source.postgres().origin_lsn = transaction_origin_lsn_;
              }
              out.position.postgres().lsn = last_end_lsn_;
              out.position.postgres().partial_commit_lsn = transaction_commit_lsn_;
              out.position.partial_events = transaction_events_;
              // As emit(): the resumed prefix is counted by transaction metadata, not written.
              out.replayed = transaction_events_ <= skip_events_;
            } else {
              // Sent at once, outside any transaction, at its record's end LSN: written once
              // the stream is past it (the server sends none from before the start point).
              if (message.lsn <= options_.resume.lsn()) return {};
              // As Debezium: no txId; the commit time is the last transaction's (now if none
              // this run); the message counts as a commit for sequence[0].
              out.source.commit_time_us =
                  transaction_time_us_ != 0 ? transaction_time_us_ : unix_now_us();
              last_commit_lsn_ = wal_start;
              out.source.postgres().last_commit_lsn = wal_start;
              last_end_lsn_ = std::max(last_end_lsn_, message.lsn);
              out.position.postgres().lsn = last_end_lsn_;
            }
            queue_.push(std::move(out));
            return {};
          },
          [&](const auto&) -> Result<void> { return {}; },  // Type
      },
      message);
}

event::SourcePosition ReplicationStream::position_now() const {
  event::SourcePosition position;
  position.snapshot_completed = !snapshot_pending_;
  if (snapshot_pending_) position.snapshot_progress = progress_;
  position.postgres().lsn = last_end_lsn_;
  return position;
}

void ReplicationStream::note_snapshot_change(const event::ChangeEvent& change) {
  const bool in_window = window_ && change.schema->id == window_->table;
  const std::string table = change.schema->id.qualified();
  if (history_active_ && progress_) {
    auto it = progress_->tables.find(table);
    if (it != progress_->tables.end() && it->second.done) {
      if (!in_window) return;
    }
  }
  if (change.op == event::Op::kTruncate) {
    if (in_window) window_->truncated = true;
    if (history_active_) history_.note_truncate(transaction_xid_, table);
    return;
  }
  for (const auto* image : {&change.before, &change.after}) {
    if (!*image) continue;
    auto key = key_text(**image, change.schema->key_columns);
    if (key.empty()) continue;
    if (history_active_) history_.note(transaction_xid_, table, key);
    if (in_window) window_->keys.insert(std::move(key));
  }
}

void ReplicationStream::handle_signal_insert(uint32_t relation_oid, const pgoutput::Tuple& tuple) {
  auto it = signal_relations_.find(relation_oid);
  if (it == signal_relations_.end()) return;
  // Read before this run's resume point: acted on by an earlier run.
  if (skip_transaction_) return;
  auto text = [&tuple](int index) -> std::string {
    if (index < 0 || static_cast<std::size_t>(index) >= tuple.size()) return {};
    const auto& column = tuple[static_cast<std::size_t>(index)];
    return column.kind == pgoutput::TupleColumn::Kind::kText ? column.data : std::string();
  };
  signals::Signal signal;
  signal.channel = "source";
  signal.id = text(it->second.id);
  signal.type = text(it->second.type);
  signal.data = text(it->second.data);
  options_.signals->dispatch(signal);
}

Result<void> ReplicationStream::handle_watermark(std::string_view content) {
  if (!options_.windows) return {};  // another run's or pipeline's watermark
  auto parsed = options_.windows->parse(content);
  if (!parsed) return {};
  const auto [kind, id] = *parsed;
  if (kind == WatermarkKind::kStart) {
    history_active_ = snapshot_pending_;
    history_.clear();
    return {};
  }
  if (kind == WatermarkKind::kLow) {
    auto table = options_.windows->table_of(id);
    if (table) window_ = Window{id, std::move(*table), {}, false};
    return {};
  }
  if (!window_ || window_->id != id) {
    return Error::retriable("snapshot watermark window " + std::to_string(id) +
                            " closed without being opened in this stream; restarting it");
  }
  auto chunk = options_.windows->take(id);
  if (!chunk) {
    return Error::fatal("snapshot watermark window " + std::to_string(id) +
                        " has no chunk at its high watermark (a broken invariant)");
  }
  const std::string table = chunk->table.qualified();
  std::vector<event::QueueItem> batch;
  batch.reserve(chunk->rows.size() + 1);
  const event::SourcePosition before = position_now();
  std::size_t dropped = 0;
  // Changed inside the window, or before it by a transaction the chunk's SELECT did not see
  // yet: the stream carries the newer state (or the delete).
  StaleKeys unseen;
  if (chunk->snapshot) unseen = history_.unseen(table, *chunk->snapshot);
  for (auto& row : chunk->rows) {
    bool changed = window_->truncated || unseen.truncated;
    if (!changed && !chunk->key.empty()) {
      auto key = key_text(*row.after, chunk->key);
      changed = window_->keys.contains(key) || unseen.keys.contains(key);
    }
    if (changed) {
      ++dropped;
      continue;
    }
    row.position = before;
    batch.emplace_back(std::move(row));
  }
  auto progress =
      std::make_shared<event::SnapshotProgress>(progress_ ? *progress_ : event::SnapshotProgress{});
  if (!chunk->table.table.empty()) {
    auto& entry = progress->tables[table];
    if (!chunk->last_key.empty()) entry.after = chunk->last_key;
    entry.done = entry.done || chunk->table_done;
  }
  ++progress->chunks;
  event::PositionMarker marker;
  if (chunk->snapshot) history_.forget_seen(*chunk->snapshot);
  if (chunk->snapshot_done) {
    snapshot_pending_ = false;
    history_active_ = false;
    history_.clear();
    progress_.reset();
    marker.snapshot_done = true;
    log::info(options_.pipeline, "snapshot completed while streaming (" +
                                     std::to_string(progress->chunks) + " chunks recorded)");
  } else {
    progress_ = std::move(progress);
  }
  marker.position = position_now();
  batch.emplace_back(std::move(marker));
  log::write(log::Level::kInfo, options_.pipeline, table,
             "snapshot chunk " + std::to_string(id) +
                 " of the resumed snapshot: " + std::to_string(chunk->rows.size() - dropped) +
                 " rows queued, " + std::to_string(dropped) +
                 " dropped (changed by the stream inside the window, or by a transaction the "
                 "chunk's read did not see yet)");
  window_.reset();
  queue_.push_all(batch);
  return {};
}

void ReplicationStream::acknowledge(uint64_t lsn) {
  if (lsn <= acknowledged_lsn_) return;
  acknowledged_lsn_ = lsn;
  send_status(false);
}

void ReplicationStream::send_status(bool reply_requested) {
  if (failed_) return;
  std::string message =
      encode_standby_status(std::max(received_lsn_, acknowledged_lsn_), acknowledged_lsn_,
                            acknowledged_lsn_, unix_now_us(), reply_requested);
  if (PQputCopyData(connection_->raw(), message.data(), static_cast<int>(message.size())) < 0) {
    fail(Error::retriable(std::string("cannot send standby status: ") +
                          PQerrorMessage(connection_->raw())));
    return;
  }
  flush_output();
}

void ReplicationStream::flush_output() {
  int pending = PQflush(connection_->raw());
  if (pending < 0) {
    fail(Error::retriable(std::string("cannot flush to the replication connection: ") +
                          PQerrorMessage(connection_->raw())));
    return;
  }
  if (pending == 1 && !waiting_writable_) {
    waiting_writable_ = true;
    socket_.async_wait(boost::asio::posix::stream_descriptor::wait_write,
                       [this](boost::system::error_code ec) {
                         waiting_writable_ = false;
                         if (!ec && !failed_) flush_output();
                       });
  }
}

void ReplicationStream::schedule_status() {
  status_timer_.expires_after(options_.status_interval);
  status_timer_.async_wait([this](boost::system::error_code ec) {
    if (ec || stopped_) return;
    send_status(false);
    schedule_status();
  });
}

}  // namespace tributary::source::postgres
