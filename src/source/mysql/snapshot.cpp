// Consistent-snapshot readers (see snapshot.hpp for how the point is taken and kept).
#include "source/mysql/snapshot.hpp"

#include <algorithm>
#include <chrono>
#include <mutex>
#include <optional>
#include <thread>

#include "base/clock.hpp"
#include "base/log.hpp"
#include "source/mysql/chunking.hpp"
#include "source/mysql/preflight.hpp"
#include "source/mysql/text_values.hpp"

namespace tributary::source::mysql {
namespace {

constexpr int kAttempts = 3;
constexpr std::size_t kBatchRows = 1000;

/// A value of SHOW STATUS / SHOW VARIABLES style rows (name, value), "" when absent.
std::string status_value(const std::vector<TextRow>& rows, const std::string& name) {
  for (const auto& row : rows) {
    if (row.size() >= 2 && row[0] && *row[0] == name) return row[1].value_or("");
  }
  return "";
}

Result<void> begin_snapshot(Connection& connection) {
  if (auto ok = connection.execute("SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ"); !ok)
    return ok.error();
  return connection.execute("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY");
}

/// MariaDB: the binlog point of this connection's snapshot transaction.
Result<BinlogPoint> mariadb_point(Connection& connection) {
  auto rows = connection.query("SHOW STATUS LIKE 'binlog_snapshot_%'");
  if (!rows) return rows.error();
  BinlogPoint point;
  point.file = status_value(*rows, "Binlog_snapshot_file");
  const std::string position = status_value(*rows, "Binlog_snapshot_position");
  if (point.file.empty() || position.empty()) {
    return Error::config(connection.where() +
                         ": the server reports no binlog snapshot position (binary log off?); "
                         "fix: log_bin = ON in the server's config, then restart it");
  }
  try {
    point.position = std::stoull(position);
  } catch (...) {
    return Error::corrupt(connection.where() + ": Binlog_snapshot_position '" + position + "'");
  }
  return point;
}

Result<void> mariadb_gtid(Connection& connection, BinlogPoint& point) {
  // BINLOG_GTID_POS(file, pos): the GTID position matching that binlog offset, read from the
  // binlog itself, so it is the snapshot's (not @@gtid_binlog_pos, which moves on).
  auto rows = connection.query("SELECT BINLOG_GTID_POS(" + connection.quote_literal(point.file) +
                               ", " + std::to_string(point.position) + ")");
  if (!rows) return rows.error();
  if (!rows->empty() && !rows->front().empty() && rows->front()[0])
    point.gtid_set = *rows->front()[0];
  return {};
}

}  // namespace

SnapshotReaders::~SnapshotReaders() = default;

Result<std::unique_ptr<SnapshotReaders>> SnapshotReaders::open(const SnapshotOptions& options,
                                                               std::size_t connections) {
  std::unique_ptr<SnapshotReaders> readers(new SnapshotReaders(options));
  const std::size_t wanted = std::max<std::size_t>(1, connections);
  const ConnectionOptions connect = ConnectionOptions::from(options.source);
  for (std::size_t i = 0; i < wanted; ++i) {
    auto connection = Connection::connect(connect);
    if (!connection) return connection.error();
    // Back-pressure may leave a result half-read for long: the server must not give up on it.
    if (auto ok = (*connection)->execute("SET SESSION net_write_timeout = 3600"); !ok)
      return ok.error();
    readers->connections_.push_back(std::move(*connection));
  }
  Connection& first = *readers->connections_.front();
  const ServerVersion version = parse_server_version(first.server_version());

  if (version.flavour == Flavour::kMysql) {
    // MySQL has no binlog_snapshot_* status: a global read lock, held only while every
    // transaction starts and the position is read.
    log::warn(options.pipeline, "MySQL snapshot: holding FLUSH TABLES WITH READ LOCK while " +
                                    std::to_string(wanted) +
                                    " transaction(s) start and the binlog position is read");
    if (auto ok = first.execute("FLUSH TABLES WITH READ LOCK"); !ok) return ok.error();
    for (auto& connection : readers->connections_) {
      if (auto ok = begin_snapshot(*connection); !ok) return ok.error();
    }
    auto status = first.query("SHOW MASTER STATUS");
    auto unlocked = first.execute("UNLOCK TABLES");
    if (!status) return status.error();
    if (!unlocked) return unlocked.error();
    if (status->empty() || status->front().size() < 2 || !status->front()[0]) {
      return Error::config(first.where() +
                           ": SHOW MASTER STATUS is empty (binary log off?); fix: "
                           "log_bin = ON in the server's config, then restart it");
    }
    const TextRow& row = status->front();
    readers->point_.file = *row[0];
    readers->point_.position = std::stoull(row[1].value_or("0"));
    if (row.size() >= 5 && row[4]) readers->point_.gtid_set = *row[4];
    log::info(options.pipeline, "MySQL snapshot: read lock released at " + readers->point_.file +
                                    ":" + std::to_string(readers->point_.position));
    return readers;
  }

  // MariaDB: no lock. Each connection's snapshot is at some binlog point; they are one snapshot
  // only if every point is the same (no commit landed between the STARTs).
  for (int attempt = 1; attempt <= kAttempts + 1; ++attempt) {
    if (attempt == kAttempts + 1) {
      log::warn(options.pipeline,
                "snapshot: commits kept landing between the snapshot transactions' starts; "
                "falling back to one connection");
      readers->connections_.resize(1);
    }
    std::optional<BinlogPoint> common;
    bool same = true;
    for (auto& connection : readers->connections_) {
      if (auto ok = begin_snapshot(*connection); !ok) return ok.error();
    }
    for (auto& connection : readers->connections_) {
      auto point = mariadb_point(*connection);
      if (!point) return point.error();
      if (!common) {
        common = *point;
      } else if (!(*point == *common)) {
        same = false;
      }
    }
    if (same) {
      readers->point_ = *common;
      if (auto ok = mariadb_gtid(first, readers->point_); !ok) return ok.error();
      log::info(options.pipeline,
                "snapshot: " + std::to_string(readers->connections_.size()) +
                    " consistent-snapshot transaction(s) at " + readers->point_.file + ":" +
                    std::to_string(readers->point_.position) + " (GTID " +
                    (readers->point_.gtid_set.empty() ? "none" : readers->point_.gtid_set) +
                    "), no lock taken");
      return readers;
    }
    for (auto& connection : readers->connections_) {
      if (auto ok = connection->execute("ROLLBACK"); !ok) return ok.error();
    }
  }
  return Error::fatal("snapshot: unreachable");  // the one-connection attempt always agrees
}

namespace {

/// One table's snapshot across its chunks (shared by the connections reading them).
struct TableState {
  std::shared_ptr<const event::TableSchema> schema;
  std::string name;    ///< db.table
  std::string select;  ///< SELECT <columns> FROM <table>, without a WHERE
  std::string key;     ///< the quoted chunk key column ("" when read whole)
  uint64_t estimate = 0;
  std::size_t chunks = 1;
  std::atomic<uint64_t> done{0};
  std::atomic<std::size_t> chunks_left{0};
  std::atomic<bool> started{false};
  std::atomic<bool> interrupted{false};
  std::atomic<int64_t> last_report_ns{0};
  std::chrono::steady_clock::time_point start_time;
  std::mutex start_mutex;
  std::size_t rank = 0;  ///< the table's place in name order (Debezium's snapshot order)
  /// Held while the table's rows are queued: which row is its first, and the last row of the
  /// chunks finished so far (queued when another chunk finishes, or marked as the table's last).
  std::mutex push_mutex;
  bool first_pushed = false;
  std::optional<event::ChangeEvent> held;
};

/// A unit of work: one chunk of one table (the whole table when not chunked).
struct WorkItem {
  TableState* table;
  KeyRange range;
  std::size_t chunk;  ///< 0-based
};

struct SharedState {
  std::mutex mutex;
  std::size_t next_item = 0;
  std::optional<Error> first_error;
  std::atomic<bool> failed{false};
  /// The last row of the latest-ranked table finished so far: the snapshot's last row unless a
  /// later-ranked table has rows. Queued at the end, marked `last`.
  std::optional<event::ChangeEvent> last_row;
  std::size_t last_row_rank = 0;

  /// A table's last row: keeps the later-ranked of it and the row kept so far; returns the
  /// other one, to be queued now.
  std::optional<event::ChangeEvent> offer_last_row(event::ChangeEvent row, std::size_t rank) {
    std::lock_guard lock(mutex);
    if (last_row && last_row_rank > rank) return row;
    std::optional<event::ChangeEvent> earlier = std::move(last_row);
    last_row = std::move(row);
    last_row_rank = rank;
    return earlier;
  }

  void fail(Error error) {
    std::lock_guard lock(mutex);
    if (!first_error) first_error = std::move(error);
    failed = true;
  }
};

struct ReadContext {
  const SnapshotOptions& options;
  const BinlogPoint& point;
  std::shared_ptr<const std::string> file;
  event::EventQueue& queue;
  const SnapshotProgress& progress;
  const std::atomic<bool>& stop;
  SharedState& shared;
};

int64_t steady_ns(std::chrono::steady_clock::time_point time) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(time.time_since_epoch()).count();
}

/// The first text column of the first row, nullopt when NULL or absent.
std::optional<std::string> single_value(const Result<std::vector<TextRow>>& rows) {
  if (!rows || rows->empty() || rows->front().empty() || !rows->front()[0]) return std::nullopt;
  return *rows->front()[0];
}

/// The table's estimate, SELECT and chunks (queried on `connection`, inside the snapshot).
Result<void> plan_table(Connection& connection, const SnapshotOptions& options,
                        std::size_t connections, TableState& state, std::vector<KeyRange>& ranges) {
  const event::TableSchema& schema = *state.schema;
  state.name = schema.id.qualified();
  auto count =
      connection.query("SELECT TABLE_ROWS FROM information_schema.TABLES WHERE TABLE_SCHEMA = " +
                       connection.quote_literal(schema.id.schema) +
                       " AND TABLE_NAME = " + connection.quote_literal(schema.id.table));
  if (auto text = single_value(count)) {
    if (auto estimate = parse_integer(*text); estimate && *estimate > 0)
      state.estimate = static_cast<uint64_t>(*estimate);
  }
  std::string columns;
  for (const auto& column : schema.columns) {
    if (!columns.empty()) columns += ", ";
    // An omitted column's type has no encoding: never looked at, so not read.
    columns += column.omitted ? std::string("NULL") : Connection::quote_identifier(column.name);
  }
  if (columns.empty()) columns = "NULL";
  const std::string from = Connection::quote_identifier(schema.id.schema) + "." +
                           Connection::quote_identifier(schema.id.table);
  state.select = "SELECT " + columns + " FROM " + from;
  ranges = {KeyRange{}};

  const auto key = chunk_key(schema);
  if (!key || !should_chunk(state.estimate, options.chunk_rows, connections)) return {};
  const std::string quoted = Connection::quote_identifier(schema.columns[*key].name);
  auto bounds = connection.query("SELECT MIN(" + quoted + "), MAX(" + quoted + ") FROM " + from);
  if (!bounds) return bounds.error();
  if (bounds->empty() || bounds->front().size() < 2 || !bounds->front()[0] || !bounds->front()[1]) {
    return {};  // empty at the snapshot point
  }
  const auto min = parse_integer(*bounds->front()[0]);
  const auto max = parse_integer(*bounds->front()[1]);
  if (!min || !max) {
    return Error::corrupt("snapshot of " + state.name + ": MIN/MAX of the key column " +
                          schema.columns[*key].name + " is not an integer ('" +
                          *bounds->front()[0] + "', '" + *bounds->front()[1] + "')");
  }
  ranges = plan_ranges(*min, *max, state.estimate, options.chunk_rows, connections);
  if (ranges.size() > 1) state.key = quoted;
  return {};
}

/// Debezium's marker of a table's first row: `first` on the first table's, else
/// first_in_data_collection.
event::SnapshotMarker first_marker(const TableState& state) {
  return state.rank == 0 ? event::SnapshotMarker::kFirst
                         : event::SnapshotMarker::kFirstInDataCollection;
}

/// Queues `batch` (rows of one table, in key order within a chunk), marking the table's first
/// row when this is the first batch of the table queued.
bool push_rows(TableState& state, ReadContext& context, std::vector<event::QueueItem>& batch) {
  std::lock_guard lock(state.push_mutex);
  if (!state.first_pushed) {
    std::get<event::ChangeEvent>(batch.front()).source.snapshot = first_marker(state);
    state.first_pushed = true;
  }
  return context.queue.push_wait(batch, context.stop);
}

/// A chunk's last row, once the chunk has queued the others: the table keeps the last of these;
/// after the table's last chunk that one is the table's last row (last_in_data_collection;
/// `first` stays on the first table's only row), offered as the snapshot's last.
bool finish_chunk(TableState& state, ReadContext& context, std::optional<event::ChangeEvent> row,
                  bool table_done) {
  std::vector<event::QueueItem> batch;
  {
    std::lock_guard lock(state.push_mutex);
    if (row) {
      if (state.held) batch.emplace_back(std::move(*state.held));
      state.held = std::move(row);
    }
    if (!batch.empty()) {
      if (!state.first_pushed) {
        std::get<event::ChangeEvent>(batch.front()).source.snapshot = first_marker(state);
        state.first_pushed = true;
      }
      if (!context.queue.push_wait(batch, context.stop)) return false;
      batch.clear();
    }
    if (!table_done || !state.held) return true;
    auto& last = *state.held;
    if (!state.first_pushed) {
      last.source.snapshot = state.rank == 0 ? event::SnapshotMarker::kFirst
                                             : event::SnapshotMarker::kLastInDataCollection;
      state.first_pushed = true;
    } else {
      last.source.snapshot = event::SnapshotMarker::kLastInDataCollection;
    }
    auto earlier = context.shared.offer_last_row(std::move(last), state.rank);
    state.held.reset();
    if (!earlier) return true;
    batch.emplace_back(std::move(*earlier));
  }
  return context.queue.push_wait(batch, context.stop);
}

Result<void> read_chunk(Connection& connection, ReadContext& context, const WorkItem& item) {
  TableState& state = *item.table;
  const event::TableSchema& schema = *state.schema;
  const std::string& table = state.name;
  const std::string& pipeline = context.options.pipeline;
  {
    std::lock_guard lock(state.start_mutex);
    if (!state.started.exchange(true)) {
      state.start_time = std::chrono::steady_clock::now();
      state.last_report_ns = steady_ns(state.start_time);
      log::write(log::Level::kInfo, pipeline, table,
                 "snapshot of table started, about " + std::to_string(state.estimate) + " rows" +
                     (state.chunks > 1 ? ", in " + std::to_string(state.chunks) +
                                             " primary-key chunks on " + state.key
                                       : std::string(", read whole")));
    }
  }
  std::string sql = state.select;
  if (!state.key.empty()) {
    sql += " WHERE " + range_condition(state.key, item.range);
  }

  uint64_t chunk_rows = 0;
  bool interrupted = false;
  std::optional<Error> failure;
  std::vector<event::QueueItem> batch;
  batch.reserve(kBatchRows);
  const std::size_t width = schema.columns.size();

  // The chunk's latest row stays back: only the chunk's end tells whether it is the table's last.
  std::optional<event::ChangeEvent> chunk_last;
  auto flush = [&]() {
    if (batch.empty()) return true;
    const uint64_t rows = batch.size();
    std::optional<event::ChangeEvent> newest(std::move(std::get<event::ChangeEvent>(batch.back())));
    batch.pop_back();
    if (chunk_last) batch.insert(batch.begin(), std::move(*chunk_last));
    chunk_last = std::move(newest);
    if (!batch.empty() && !push_rows(state, context, batch)) return false;
    batch.clear();
    chunk_rows += rows;
    const uint64_t done = state.done.fetch_add(rows) + rows;
    if (context.progress.rows_read) context.progress.rows_read(table, rows, done, state.estimate);
    const int64_t now = steady_ns(std::chrono::steady_clock::now());
    int64_t last = state.last_report_ns.load();
    if (now - last >= int64_t{10'000'000'000} &&
        state.last_report_ns.compare_exchange_strong(last, now)) {
      log::write(log::Level::kInfo, pipeline, table,
                 "snapshot progress: " + std::to_string(done) + " of about " +
                     std::to_string(state.estimate) + " rows, " +
                     std::to_string(state.chunks - state.chunks_left.load()) + " of " +
                     std::to_string(state.chunks) + " chunk(s) done");
    }
    return true;
  };

  auto streamed =
      connection.stream(sql, [&](MYSQL_ROW row, unsigned long* lengths, unsigned int fields) {
        if (context.stop.load() || context.shared.failed.load()) {
          interrupted = true;
          return false;
        }
        if (fields != width) {
          failure = Error::corrupt("snapshot of " + table + ": " + std::to_string(fields) +
                                   " columns returned, " + std::to_string(width) + " expected");
          return false;
        }
        event::ChangeEvent change;
        change.op = event::Op::kRead;
        change.schema = state.schema;
        event::Row after;
        after.reserve(width);
        for (std::size_t i = 0; i < width; ++i) {
          const event::Column& column = schema.columns[i];
          if (row[i] == nullptr || column.omitted) {
            after.emplace_back(event::Null{});
            continue;
          }
          auto value = text_value(column, std::string_view(row[i], lengths[i]), table);
          if (!value) {
            failure = value.error();
            return false;
          }
          after.push_back(std::move(*value));
        }
        change.after = std::move(after);
        change.source.db = schema.id.schema;
        change.source.commit_time_us = unix_now_us();
        change.source.snapshot = event::SnapshotMarker::kTrue;
        auto& mysql = change.source.mysql();
        mysql.server_id = context.options.server_id;
        mysql.file = context.file;
        mysql.pos = static_cast<int64_t>(context.point.position);
        change.position = context.options.row_position;
        batch.emplace_back(std::move(change));
        if (batch.size() >= kBatchRows && !flush()) {
          interrupted = true;
          return false;
        }
        return true;
      });
  if (failure) return *failure;
  if (!streamed) return streamed.error();
  if (!interrupted && !flush()) interrupted = true;
  if (interrupted) {
    if (!state.interrupted.exchange(true)) {
      log::write(log::Level::kInfo, pipeline, table,
                 "snapshot of table " + table + " interrupted after " +
                     std::to_string(state.done.load()) + " rows (it restarts on the next start)");
    }
    return {};
  }
  if (state.chunks > 1) {
    log::write(log::Level::kDebug, pipeline, table,
               "snapshot chunk " + std::to_string(item.chunk + 1) + " of " +
                   std::to_string(state.chunks) + " read: " + std::to_string(chunk_rows) + " rows");
  }
  const bool table_done = state.chunks_left.fetch_sub(1) == 1;
  if (!finish_chunk(state, context, std::move(chunk_last), table_done)) return {};
  if (!table_done) return {};
  const uint64_t done = state.done.load();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - state.start_time).count();
  const uint64_t rate =
      seconds > 0 ? static_cast<uint64_t>(static_cast<double>(done) / seconds) : done;
  log::write(log::Level::kInfo, pipeline, table,
             "snapshot of table finished: " + std::to_string(done) + " rows in " +
                 std::to_string(state.chunks) + " chunk(s) in " + std::to_string(seconds) + " s (" +
                 std::to_string(rate) + " rows/s)");
  if (context.progress.table_done) context.progress.table_done(table, done);
  return {};
}

}  // namespace

Result<void> SnapshotReaders::read(
    const std::vector<std::shared_ptr<const event::TableSchema>>& tables, event::EventQueue& queue,
    const SnapshotProgress& progress, const std::atomic<bool>& stop) {
  SharedState shared;
  ReadContext context{options_, point_,   std::make_shared<const std::string>(point_.file),
                      queue,    progress, stop,
                      shared};
  // Plan on the first connection (inside the snapshot): per table its estimate and chunks.
  std::vector<std::unique_ptr<TableState>> states;
  std::vector<WorkItem> items;
  std::size_t chunked = 0;
  // Name order, as Debezium's snapshot reads them: it decides the first and last markers.
  std::vector<std::shared_ptr<const event::TableSchema>> ordered = tables;
  std::sort(ordered.begin(), ordered.end(),
            [](const auto& a, const auto& b) { return a->id.qualified() < b->id.qualified(); });
  for (const auto& schema : ordered) {
    auto state = std::make_unique<TableState>();
    state->schema = schema;
    state->rank = states.size();
    std::vector<KeyRange> ranges;
    if (auto planned =
            plan_table(*connections_.front(), options_, connections_.size(), *state, ranges);
        !planned) {
      return planned.error();
    }
    state->chunks = ranges.size();
    state->chunks_left = ranges.size();
    if (ranges.size() > 1) ++chunked;
    for (std::size_t i = 0; i < ranges.size(); ++i) items.push_back({state.get(), ranges[i], i});
    states.push_back(std::move(state));
  }
  const std::size_t workers = std::max<std::size_t>(1, std::min(connections_.size(), items.size()));
  log::info(options_.pipeline, "snapshot of " + std::to_string(tables.size()) + " tables with " +
                                   std::to_string(workers) + " connection(s) at " + point_.file +
                                   ":" + std::to_string(point_.position) + " (" +
                                   std::to_string(chunked) + " in primary-key chunks, " +
                                   std::to_string(items.size()) + " reads)");
  auto work = [&](Connection& connection) {
    while (!stop.load() && !shared.failed.load()) {
      std::size_t index;
      {
        std::lock_guard lock(shared.mutex);
        if (shared.next_item >= items.size()) return;
        index = shared.next_item++;
      }
      if (auto read = read_chunk(connection, context, items[index]); !read) {
        shared.fail(read.error());
        return;
      }
    }
  };
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < workers; ++i) threads.emplace_back(work, std::ref(*connections_[i]));
  for (auto& thread : threads) thread.join();
  if (shared.first_error) return *shared.first_error;
  if (stop.load()) return Error::retriable("snapshot interrupted by shutdown");
  if (shared.last_row) {
    shared.last_row->source.snapshot = event::SnapshotMarker::kLast;
    std::vector<event::QueueItem> batch;
    batch.emplace_back(std::move(*shared.last_row));
    if (!queue.push_wait(batch, stop)) return Error::retriable("snapshot interrupted by shutdown");
  }
  for (auto& connection : connections_) {
    if (auto committed = connection->execute("COMMIT"); !committed) return committed.error();
  }
  return {};
}

}  // namespace tributary::source::mysql
