// The resumed snapshot's reader thread (low watermark, chunk SELECT, high watermark) and its
// hand-off to the stream, which drops the keys changed inside each window (DBLog).
#include "source/postgres/watermark.hpp"

#include <charconv>

#include "base/clock.hpp"
#include "base/log.hpp"
#include "source/postgres/chunk_query.hpp"
#include "source/postgres/pg_connection.hpp"

namespace tributary::source::postgres {

void WatermarkWindows::open(uint64_t id, const event::TableId& table) {
  std::lock_guard lock(mutex_);
  open_id_ = id;
  open_table_ = table;
}

void WatermarkWindows::deposit(uint64_t id, WatermarkChunk chunk) {
  std::lock_guard lock(mutex_);
  if (id == open_id_) chunk_ = std::move(chunk);
}

bool WatermarkWindows::wait_taken(uint64_t id, const std::atomic<bool>& stop) {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [&] { return taken_id_ >= id || stop.load(); });
  return !stop.load();
}

std::optional<event::TableId> WatermarkWindows::table_of(uint64_t id) {
  std::lock_guard lock(mutex_);
  if (id != open_id_) return std::nullopt;
  return open_table_;
}

std::optional<WatermarkChunk> WatermarkWindows::take(uint64_t id) {
  std::optional<WatermarkChunk> chunk;
  {
    std::lock_guard lock(mutex_);
    if (id != open_id_ || !chunk_) return std::nullopt;
    chunk = std::move(chunk_);
    chunk_.reset();
    taken_id_ = id;
  }
  changed_.notify_all();
  return chunk;
}

void WatermarkWindows::wake() {
  { std::lock_guard lock(mutex_); }
  changed_.notify_all();
}

std::optional<std::pair<WatermarkKind, uint64_t>> WatermarkWindows::parse(
    std::string_view content) const {
  WatermarkKind kind;
  if (content.starts_with("start:")) {
    content.remove_prefix(6);
    if (content != run_) return std::nullopt;
    return std::make_pair(WatermarkKind::kStart, uint64_t{0});
  }
  if (content.starts_with("low:")) {
    kind = WatermarkKind::kLow;
    content.remove_prefix(4);
  } else if (content.starts_with("high:")) {
    kind = WatermarkKind::kHigh;
    content.remove_prefix(5);
  } else {
    return std::nullopt;
  }
  if (!content.starts_with(run_) || content.size() <= run_.size() + 1 ||
      content[run_.size()] != ':') {
    return std::nullopt;
  }
  content.remove_prefix(run_.size() + 1);
  uint64_t id = 0;
  auto [end, ec] = std::from_chars(content.data(), content.data() + content.size(), id);
  if (ec != std::errc() || end != content.data() + content.size()) return std::nullopt;
  return std::make_pair(kind, id);
}

WatermarkReader::WatermarkReader(WatermarkReaderOptions options,
                                 std::shared_ptr<WatermarkWindows> windows,
                                 std::function<void(Error)> failed)
    : options_(std::move(options)), windows_(std::move(windows)), failed_(std::move(failed)) {}

WatermarkReader::~WatermarkReader() {
  stop();
  if (thread_.joinable()) thread_.join();
}

void WatermarkReader::start() {
  thread_ = std::thread([this] {
    auto done = run();
    if (!done.ok() && !stop_.load() && failed_) failed_(done.error());
  });
}

void WatermarkReader::stop() {
  stop_ = true;
  windows_->wake();
}

namespace {

/// Writes a watermark and returns its LSN. txid_current() gives the statement's transaction an
/// xid, so its commit flushes the WAL up to the (non-transactional) message: the walsender only
/// decodes flushed WAL.
Result<uint64_t> emit_watermark(PgConnection& connection, const std::string& content) {
  auto written =
      connection.exec_params("SELECT txid_current(), pg_logical_emit_message(false, $1, $2)::text",
                             {kWatermarkPrefix, content});
  if (!written.ok()) return written.error();
  uint64_t lsn = 0;
  if (PQntuples(written->get()) == 1) event::parse_lsn(PQgetvalue(written->get(), 0, 1), lsn);
  return lsn;
}

struct ChunkRead {
  PgResult rows;
  XidSnapshot snapshot;
};

/// Runs the chunk's SELECT in a REPEATABLE READ transaction and records which transactions its
/// snapshot sees.
Result<ChunkRead> read_chunk(PgConnection& connection, const std::string& select) {
  auto begun = connection.exec("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY");
  if (!begun.ok()) return begun.error();
  auto taken = connection.exec("SELECT pg_current_snapshot()::text");
  if (!taken.ok()) return taken.error();
  std::optional<XidSnapshot> snapshot;
  if (PQntuples(taken->get()) == 1) snapshot = XidSnapshot::parse(PQgetvalue(taken->get(), 0, 0));
  if (!snapshot) return Error::fatal("pg_current_snapshot() returned an unreadable snapshot");
  auto rows = connection.exec(select);
  if (!rows.ok()) return rows.error();
  auto committed = connection.exec("COMMIT");
  if (!committed.ok()) return committed.error();
  return ChunkRead{std::move(*rows), std::move(*snapshot)};
}

}  // namespace

Result<void> WatermarkReader::run() {
  auto connected = PgConnection::connect(options_.source, PgConnection::Mode::kNormal,
                                         "tributary-" + options_.pipeline + "-snapshot-resume");
  if (!connected.ok()) return connected.error();
  PgConnection& connection = **connected;
  const auto& recorded = options_.progress->tables;
  std::vector<std::shared_ptr<const event::TableSchema>> pending;
  for (const auto& schema : options_.tables) {
    auto it = recorded.find(schema->id.qualified());
    if (it == recorded.end() || !it->second.done) pending.push_back(schema);
  }
  log::info(options_.pipeline, "the initial snapshot did not finish: streaming resumes and the " +
                                   std::to_string(pending.size()) +
                                   " unfinished tables are read in chunks between "
                                   "watermarks (" +
                                   std::to_string(options_.progress->chunks) +
                                   " chunks already recorded are not read again)");
  // From here on the stream keeps the changes to unfinished tables until a chunk's snapshot
  // has seen their transaction.
  auto started = emit_watermark(connection, "start:" + windows_->run());
  if (!started.ok()) return started.error();
  uint64_t id = 0;
  if (pending.empty()) {
    WatermarkChunk chunk;
    chunk.snapshot_done = true;
    return hand_over(connection, ++id, std::move(chunk), true);
  }
  for (std::size_t t = 0; t < pending.size() && !stop_.load(); ++t) {
    const auto& schema = pending[t];
    const std::string name = schema->id.qualified();
    const auto filter = options_.row_filters.find(name);
    const ChunkPlan plan =
        plan_chunks(connection, *schema, options_.key_overridden.contains(name),
                    filter == options_.row_filters.end() ? std::string() : filter->second);
    std::vector<std::string> after;
    if (auto it = recorded.find(name); it != recorded.end() && plan.chunked()) {
      after = it->second.after;
    }
    log::write(log::Level::kInfo, options_.pipeline, name,
               after.empty() ? std::string("snapshot of table continues from its start") +
                                   (plan.chunked() ? "" : " as one chunk: " + plan.unchunked_reason)
                             : "snapshot of table resumes after the last recorded chunk");
    uint64_t rows = 0;
    uint64_t chunks = 0;
    while (!stop_.load()) {
      ++id;
      windows_->open(id, schema->id);
      auto low = emit_watermark(connection, "low:" + windows_->run() + ":" + std::to_string(id));
      if (!low.ok()) return low.error();
      auto read = read_chunk(connection, chunk_sql(connection, plan, after, options_.chunk_rows));
      if (!read.ok()) return read.error();
      const PGresult* result = read->rows.get();
      const int count = PQntuples(result);
      const int64_t read_time = unix_now_us();
      WatermarkChunk chunk;
      chunk.table = schema->id;
      chunk.key = schema->key_columns;
      chunk.snapshot = std::move(read->snapshot);
      chunk.rows.reserve(static_cast<std::size_t>(count));
      for (int row = 0; row < count; ++row) {
        event::ChangeEvent change;
        change.op = event::Op::kRead;
        change.schema = schema;
        change.after = read_row(result, row);
        change.source.db = options_.source.database;
        change.source.commit_time_us = read_time;
        change.source.postgres().lsn = *low;
        change.source.snapshot = event::SnapshotMarker::kTrue;
        chunk.rows.push_back(std::move(change));
      }
      chunk.table_done = !plan.chunked() || count < options_.chunk_rows;
      chunk.last_key =
          count > 0 && plan.chunked() ? key_text(*chunk.rows.back().after, plan.key) : after;
      chunk.snapshot_done = chunk.table_done && t + 1 == pending.size();
      rows += static_cast<uint64_t>(count);
      ++chunks;
      after = chunk.last_key;
      const bool table_done = chunk.table_done;
      auto handed = hand_over(connection, id, std::move(chunk), false);
      if (!handed.ok()) return handed;
      if (stop_.load()) return {};
      if (table_done) break;
    }
    if (stop_.load()) return {};
    log::write(log::Level::kInfo, options_.pipeline, name,
               "snapshot of table finished while streaming: " + std::to_string(rows) + " rows in " +
                   std::to_string(chunks) + " chunks read after the restart");
  }
  return {};
}

Result<void> WatermarkReader::hand_over(PgConnection& connection, uint64_t id, WatermarkChunk chunk,
                                        bool open_window) {
  if (open_window) {
    windows_->open(id, chunk.table);
    auto low = emit_watermark(connection, "low:" + windows_->run() + ":" + std::to_string(id));
    if (!low.ok()) return low.error();
  }
  windows_->deposit(id, std::move(chunk));
  auto high = emit_watermark(connection, "high:" + windows_->run() + ":" + std::to_string(id));
  if (!high.ok()) return high.error();
  windows_->wait_taken(id, stop_);
  return {};
}

}  // namespace tributary::source::postgres
