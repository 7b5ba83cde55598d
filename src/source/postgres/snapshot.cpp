// Parallel snapshot readers on one exported snapshot (SET TRANSACTION SNAPSHOT).
//
// source.snapshot markers, as Debezium 3.6's RelationalSnapshotChangeEventSource with its default
// single snapshot thread, whatever snapshot.parallelism: tables are taken in Debezium's order
// (schema.table, byte order); a table's first row is first_in_data_collection, its last row
// last_in_data_collection (a one-row table's too), the rows between true; the first row of the
// first table in that order is first (not first_in_data_collection), and the last row of the
// last non-empty table is last. Each reader holds its table's newest row back until it knows
// whether it is the table's last; the table's last row is held (SharedState::last_row) while a
// later table in the order may still have rows, so `last` is the final snapshot row queued.
#include "source/postgres/snapshot.hpp"

#include <algorithm>
#include <chrono>
#include <mutex>
#include <string>
#include <thread>

#include "base/clock.hpp"
#include "base/log.hpp"
#include "source/postgres/chunk_query.hpp"
#include "source/postgres/pg_connection.hpp"

namespace tributary::source::postgres {
namespace {

/// A chunk's effect on the recorded progress: `table` emitted up to key `after` (empty: no key
/// known, the table is not chunked), `done` once its last row is queued.
struct ProgressUpdate {
  std::string table;
  std::vector<std::string> after;
  bool done = false;
};

struct SharedState {
  std::mutex mutex;
  std::size_t next_table = 0;  ///< the next rank in `order` to read
  std::optional<Error> first_error;
  std::atomic<bool> failed{false};
  /// The last row of the latest-ranked table finished so far: the snapshot's last row unless a
  /// later-ranked table has rows. Written at the end, marked `last`.
  std::optional<event::ChangeEvent> last_row;
  std::size_t last_row_rank = 0;
  std::vector<std::string> last_row_key;  ///< its key (its table's progress once queued)

  /// Held while a chunk is queued: the progress a marker records matches the queue's order.
  std::mutex push_mutex;
  event::SnapshotProgress progress;
  /// Where a restart resumes from (recorded_progress only): the rows of the next chunk carry it.
  event::SourcePosition position;

  void fail(Error error) {
    std::lock_guard lock(mutex);
    if (!first_error) first_error = std::move(error);
    failed = true;
  }

  /// A table's last row (rank = the table's place in the order): keeps the later-ranked of it
  /// and the row held so far; returns the other one, to be queued now, with its key.
  std::optional<std::pair<event::ChangeEvent, std::vector<std::string>>> offer_last_row(
      event::ChangeEvent row, std::vector<std::string> key, std::size_t rank) {
    std::lock_guard lock(mutex);
    if (last_row && last_row_rank > rank) return std::make_pair(std::move(row), std::move(key));
    std::optional<std::pair<event::ChangeEvent, std::vector<std::string>>> earlier;
    if (last_row) earlier = std::make_pair(std::move(*last_row), std::move(last_row_key));
    last_row = std::move(row);
    last_row_key = std::move(key);
    last_row_rank = rank;
    return earlier;
  }

  /// Queues `batch` (one chunk, or part of an unchunked table) and, when recording, the marker
  /// of `updates` after it; the rows carry the position before the chunk.
  bool push_chunk(const SnapshotOptions& options, event::EventQueue& queue,
                  std::vector<event::QueueItem>& batch, std::vector<ProgressUpdate> updates,
                  const std::atomic<bool>& stop) {
    std::lock_guard lock(push_mutex);
    if (!options.record_progress) return queue.push_wait(batch, stop);
    for (auto& item : batch) {
      if (auto* change = std::get_if<event::ChangeEvent>(&item)) change->position = position;
    }
    bool changed = false;
    for (auto& update : updates) {
      if (update.after.empty() && !update.done) continue;
      auto& table = progress.tables[update.table];
      if (!update.after.empty()) table.after = std::move(update.after);
      table.done = table.done || update.done;
      changed = true;
    }
    if (changed) {
      ++progress.chunks;
      position.snapshot_progress = std::make_shared<const event::SnapshotProgress>(progress);
    }
    // Always a marker: it ends the chunk for the committer (an unchunked table's fetch, too).
    event::PositionMarker marker;
    marker.position = position;
    batch.emplace_back(std::move(marker));
    return queue.push_wait(batch, stop);
  }
};

Result<void> read_table(PgConnection& connection, const SnapshotOptions& options,
                        const std::shared_ptr<const event::TableSchema>& schema, std::size_t rank,
                        event::EventQueue& queue, const SnapshotProgress& progress,
                        const std::atomic<bool>& stop, SharedState& shared) {
  const std::string table_name = schema->id.qualified();
  uint64_t estimate = 0;
  auto count = connection.exec("SELECT GREATEST(reltuples, 0)::bigint FROM pg_class WHERE oid = " +
                               std::to_string(schema->source_oid));
  if (count.ok() && PQntuples(count->get()) == 1)
    estimate = std::stoull(PQgetvalue(count->get(), 0, 0));

  const auto filter = options.row_filters.find(table_name);
  const ChunkPlan plan =
      plan_chunks(connection, *schema, options.key_overridden.contains(table_name),
                  filter == options.row_filters.end() ? std::string() : filter->second);
  if (plan.chunked()) {
    log::write(log::Level::kInfo, options.pipeline, table_name,
               "snapshot of table started, about " + std::to_string(estimate) +
                   " rows, in chunks of " + std::to_string(options.chunk_rows) + " rows by key (" +
                   plan.key_list + ")");
  } else {
    auto declared = connection.exec("DECLARE tributary_snapshot NO SCROLL CURSOR FOR " +
                                    chunk_sql(connection, plan, {}, 0));
    if (!declared.ok()) return declared.error();
    log::write(log::Level::kInfo, options.pipeline, table_name,
               "snapshot of table started, about " + std::to_string(estimate) +
                   " rows, as one chunk: " + plan.unchunked_reason +
                   " (an interrupted snapshot reads it again from its start)");
  }
  const std::string fetch =
      "FETCH FORWARD " + std::to_string(options.fetch_size) + " FROM tributary_snapshot";
  uint64_t done = 0;
  uint64_t chunks = 0;
  auto started = std::chrono::steady_clock::now();
  auto last_report = started;
  std::vector<event::QueueItem> batch;
  // The table's newest row, queued once a later one shows it is not the table's last.
  std::optional<event::ChangeEvent> held;
  std::vector<std::string> held_key;    ///< its key (chunked tables)
  std::vector<std::string> read_after;  ///< the key the next chunk starts after
  bool complete = false;
  while (!stop.load() && !shared.failed.load()) {
    auto rows = connection.exec(
        plan.chunked() ? chunk_sql(connection, plan, read_after, options.chunk_rows) : fetch);
    if (!rows.ok()) return rows.error();
    const PGresult* r = rows->get();
    const int row_count = PQntuples(r);
    if (row_count == 0) {
      complete = true;
      break;
    }
    ++chunks;
    const int64_t read_time = unix_now_us();
    batch.reserve(static_cast<std::size_t>(row_count) + 2);
    // The last row queued in this batch: its key is the table's progress once it is queued.
    std::vector<std::string> queued_key;
    if (held) {
      batch.emplace_back(std::move(*held));
      queued_key = std::move(held_key);
    }
    held.reset();
    for (int row = 0; row < row_count; ++row) {
      event::ChangeEvent change;
      change.op = event::Op::kRead;
      change.schema = schema;
      change.after = read_row(r, row);
      change.source.db = options.source.database;
      change.source.commit_time_us = read_time;
      change.source.postgres().lsn = options.consistent_point;
      const bool first = done == 0 && row == 0;
      change.source.snapshot = !first      ? event::SnapshotMarker::kTrue
                               : rank == 0 ? event::SnapshotMarker::kFirst
                                           : event::SnapshotMarker::kFirstInDataCollection;
      change.position = options.row_position;
      if (plan.chunked() && row + 2 >= row_count) {
        // The last two rows' keys: the queued prefix ends at the one before the held row.
        (row + 1 == row_count ? read_after : queued_key) = key_text(*change.after, plan.key);
      }
      if (row + 1 == row_count) {
        held = std::move(change);
        held_key = read_after;
      } else {
        batch.emplace_back(std::move(change));
      }
    }
    if (!batch.empty()) {
      std::vector<ProgressUpdate> updates;
      if (plan.chunked()) updates.push_back({table_name, std::move(queued_key), false});
      if (!shared.push_chunk(options, queue, batch, std::move(updates), stop)) break;
    }
    done += static_cast<uint64_t>(row_count);
    if (progress.rows_read)
      progress.rows_read(table_name, static_cast<uint64_t>(row_count), done, estimate);
    auto now = std::chrono::steady_clock::now();
    if (now - last_report >= std::chrono::seconds(10)) {
      last_report = now;
      std::string percent =
          estimate > 0
              ? " (" + std::to_string(std::min<uint64_t>(100, done * 100 / estimate)) + "%)"
              : "";
      log::write(log::Level::kInfo, options.pipeline, table_name,
                 "snapshot progress: " + std::to_string(done) + " of about " +
                     std::to_string(estimate) + " rows" + percent + ", " + std::to_string(chunks) +
                     " chunks");
    }
  }
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (!complete) {
    // Stopped (shutdown, or another table's reader failed): the rows queued so far are a prefix.
    log::write(log::Level::kInfo, options.pipeline, table_name,
               "snapshot of table " + table_name + " interrupted after " + std::to_string(done) +
                   " rows" +
                   (plan.chunked() && options.record_progress
                        ? " (the next start resumes after its last chunk committed to Kafka)"
                        : " (it restarts on the next start)"));
    return {};
  }
  if (!plan.chunked()) {
    auto closed = connection.exec("CLOSE tributary_snapshot");
    if (!closed.ok()) return closed.error();
  }
  if (held) {
    // The table's last row; the first table's only row stays `first` (Debezium's precedence).
    if (held->source.snapshot != event::SnapshotMarker::kFirst) {
      held->source.snapshot = event::SnapshotMarker::kLastInDataCollection;
    }
    if (auto earlier = shared.offer_last_row(std::move(*held), std::move(held_key), rank)) {
      const std::string earlier_table = earlier->first.schema->id.qualified();
      batch.emplace_back(std::move(earlier->first));
      std::vector<ProgressUpdate> updates{{earlier_table, std::move(earlier->second), true}};
      if (!shared.push_chunk(options, queue, batch, std::move(updates), stop)) {
        return {};  // stopping: the next start resumes after the last chunk committed
      }
    }
  }
  log::write(log::Level::kInfo, options.pipeline, table_name,
             "snapshot of table finished: " + std::to_string(done) + " rows in " +
                 std::to_string(chunks) + (plan.chunked() ? " chunks in " : " fetches in ") +
                 std::to_string(seconds) + " s");
  if (progress.table_done) progress.table_done(table_name, done);
  return {};
}

void worker(const SnapshotOptions& options,
            const std::vector<std::shared_ptr<const event::TableSchema>>& tables,
            const std::vector<std::size_t>& order, event::EventQueue& queue,
            const SnapshotProgress& progress, const std::atomic<bool>& stop, SharedState& shared,
            PgConnection& connection) {
  while (!stop.load() && !shared.failed.load()) {
    std::size_t rank;
    {
      std::lock_guard lock(shared.mutex);
      if (shared.next_table >= tables.size()) return;
      rank = shared.next_table++;
    }
    auto read =
        read_table(connection, options, tables[order[rank]], rank, queue, progress, stop, shared);
    if (!read.ok()) {
      shared.fail(read.error());
      return;
    }
  }
}

}  // namespace

Result<void> run_snapshot(const SnapshotOptions& options,
                          const std::vector<std::shared_ptr<const event::TableSchema>>& tables,
                          event::EventQueue& queue, const SnapshotProgress& progress,
                          const std::atomic<bool>& stop) {
  const std::size_t workers =
      std::max<std::size_t>(1, std::min<std::size_t>(options.parallelism, tables.size()));
  // Every connection imports the snapshot before any reading starts, so the exporting
  // replication connection may be reused as soon as this function returns.
  std::vector<std::unique_ptr<PgConnection>> connections;
  for (std::size_t i = 0; i < workers; ++i) {
    auto connection =
        PgConnection::connect(options.source, PgConnection::Mode::kNormal,
                              "tributary-" + options.pipeline + "-snapshot-" + std::to_string(i));
    if (!connection.ok()) return connection.error();
    auto begin = (*connection)->exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    if (!begin.ok()) return begin.error();
    auto imported = (*connection)
                        ->exec("SET TRANSACTION SNAPSHOT " +
                               (*connection)->quote_literal(options.snapshot_name));
    if (!imported.ok()) return imported.error();
    connections.push_back(std::move(connection.value()));
  }
  log::info(options.pipeline, "snapshot of " + std::to_string(tables.size()) + " tables with " +
                                  std::to_string(workers) + " connections on snapshot " +
                                  options.snapshot_name);
  // Debezium's table order (TableId.compareTo: the text "schema.table", byte order).
  std::vector<std::string> names;
  std::vector<std::size_t> order(tables.size());
  for (std::size_t i = 0; i < order.size(); ++i) {
    order[i] = i;
    names.push_back(tables[i]->id.qualified());
  }
  std::sort(order.begin(), order.end(),
            [&names](std::size_t a, std::size_t b) { return names[a] < names[b]; });
  SharedState shared;
  shared.position.postgres().lsn = options.consistent_point;
  shared.position.snapshot_progress = std::make_shared<const event::SnapshotProgress>();
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < workers; ++i) {
    threads.emplace_back(worker, std::cref(options), std::cref(tables), std::cref(order),
                         std::ref(queue), std::cref(progress), std::cref(stop), std::ref(shared),
                         std::ref(*connections[i]));
  }
  for (auto& thread : threads) thread.join();
  if (shared.first_error) return *shared.first_error;
  if (stop.load()) return Error::retriable("snapshot interrupted by shutdown");
  if (shared.last_row) {
    shared.last_row->source.snapshot = event::SnapshotMarker::kLast;
    const std::string table = shared.last_row->schema->id.qualified();
    std::vector<event::QueueItem> batch;
    batch.emplace_back(std::move(*shared.last_row));
    std::vector<ProgressUpdate> updates{{table, std::move(shared.last_row_key), true}};
    if (!shared.push_chunk(options, queue, batch, std::move(updates), stop)) {
      return Error::retriable("snapshot interrupted by shutdown");
    }
  }
  for (auto& connection : connections) {
    auto committed = connection->exec("COMMIT");
    if (!committed.ok()) return committed.error();
  }
  return {};
}

}  // namespace tributary::source::postgres
