// MySQL/MariaDB source lifecycle: prerequisites, identity, position check, snapshot, streaming.
#include "source/mysql/mysql_source.hpp"

#include <algorithm>
#include <map>

#include "base/log.hpp"
#include "checkpoint/resume_check.hpp"
#include "source/mysql/binlog_stream.hpp"
#include "source/mysql/gtid_set.hpp"
#include "source/mysql/preflight.hpp"
#include "source/mysql/schema_query.hpp"
#include "source/mysql/server_state.hpp"
#include "source/mysql/snapshot.hpp"

namespace tributary::source::mysql {
namespace {

/// Heartbeat period asked of the server: an idle stream still wakes this often, so stop() and a
/// quiet server's position are seen within about a second.
constexpr int kHeartbeatSeconds = 1;
/// How often the binlog bytes kept since the acknowledged position are read (SHOW BINARY LOGS).
constexpr auto kRetentionInterval = std::chrono::seconds(15);

event::CaptureSet capture_set(std::vector<event::TableId> tables) {
  std::sort(tables.begin(), tables.end(), [](const auto& a, const auto& b) {
    return a.schema != b.schema ? a.schema < b.schema : a.table < b.table;
  });
  event::CaptureSet set;
  for (auto& id : tables) set.push_back({std::move(id), 0});
  return set;
}

/// "" when the stream can resume at `position`, else why not. With a GTID set on MariaDB the
/// stream resumes by GTID, so the GTID state decides (a renamed or rotated-away file does not
/// matter); otherwise the file must still hold the position.
Result<std::string> resume_missing(const std::string& pipeline, Connection& connection,
                                   const event::MysqlPosition& position,
                                   const std::vector<BinlogFile>& files, bool mariadb) {
  const std::string file_missing = missing_from_server(position, files);
  if (!mariadb || position.gtid_set.empty()) return file_missing;
  if (files.empty()) return std::string("the server has no binlog file");
  auto oldest = gtid_state_at(connection, files.front().name, 4);
  if (!oldest) return oldest.error();
  const std::string gtid_missing = mariadb_gtid_missing(position.gtid_set, *oldest);
  if (!gtid_missing.empty()) {
    return "GTID position " + position.gtid_set +
           " is no longer on the server (purged: " + gtid_missing + ", oldest binlog file " +
           files.front().name + ")";
  }
  if (!file_missing.empty()) {
    log::info(pipeline, "resume position: " + file_missing + ", but GTID position " +
                            position.gtid_set + " is on " + connection.where() +
                            ": resuming by GTID");
  }
  return std::string();
}

}  // namespace

MysqlSource::MysqlSource(boost::asio::io_context& io, const config::PipelineConfig& pipeline,
                         event::EventQueue& queue, SourceCallbacks callbacks)
    : io_(io), pipeline_(pipeline), queue_(queue), callbacks_(std::move(callbacks)) {}

MysqlSource::~MysqlSource() {
  *alive_ = false;
  stop();
  if (thread_.joinable()) thread_.join();
  if (retention_thread_.joinable()) retention_thread_.join();
}

void MysqlSource::start(StartOptions options) {
  if (options.resume && options.resume->is_mysql() && options.resume->snapshot_completed) {
    acknowledged_ = options.resume->mysql();
  }
  thread_ =
      std::thread([this, options = std::move(options)]() mutable { run(std::move(options)); });
  if (callbacks_.retained_bytes) retention_thread_ = std::thread([this] { probe_retention(); });
}

void MysqlSource::stop() {
  stop_ = true;
  queue_.wake_all();
  {
    std::lock_guard lock(retention_mutex_);
    retention_stop_ = true;
  }
  retention_wake_.notify_all();
}

void MysqlSource::acknowledge(const event::SourcePosition& position) {
  if (!position.is_mysql() || !position.snapshot_completed) return;
  std::lock_guard lock(retention_mutex_);
  acknowledged_ = position.mysql();
}

void MysqlSource::probe_retention() {
  std::unique_ptr<Connection> connection;
  std::unique_lock lock(retention_mutex_);
  while (!retention_wake_.wait_for(lock, kRetentionInterval, [this] { return retention_stop_; })) {
    if (!acknowledged_) continue;
    const event::MysqlPosition position = *acknowledged_;
    lock.unlock();
    if (!connection) {
      auto connected = Connection::connect(ConnectionOptions::from(pipeline_.source));
      if (connected) connection = std::move(*connected);
    }
    if (connection) {
      auto files = binary_logs(*connection);
      if (files) {
        const uint64_t bytes = retained_bytes(position, *files);
        post_alive([this, bytes] { callbacks_.retained_bytes(bytes); });
      } else {
        log::debug(pipeline_.name, "binlog retention probe: " + files.error().message);
        connection.reset();  // a new one next time
      }
    }
    lock.lock();
  }
}

void MysqlSource::run(StartOptions options) {
  auto done = setup_and_stream(std::move(options));
  if (done || stop_) return;
  post_alive([this, error = done.error()]() mutable {
    if (callbacks_.failed) callbacks_.failed(std::move(error));
  });
}

// Runs on thread_: everything here may block.
Result<void> MysqlSource::setup_and_stream(StartOptions options) {
  const auto& name = pipeline_.name;
  const auto& source = pipeline_.source;
  auto connected = Connection::connect(ConnectionOptions::from(source));
  if (!connected) return connected.error();
  Connection& connection = **connected;

  auto facts = read_server_facts(connection, source.user);
  if (!facts) return facts.error();
  std::string problems;
  for (const auto& finding : check_server(*facts, source.server_id, name)) {
    if (finding.problem()) problems += (problems.empty() ? "" : "; ") + finding.text;
    if (finding.level == Finding::Level::kWarning) log::warn(name, finding.text);
  }
  if (!problems.empty()) return Error::config(problems);
  const bool mariadb = facts->version.flavour == Flavour::kMariadb;

  // Before reading anything: is this the server the position was recorded from?
  auto identity = read_identity(connection);
  if (!identity) return identity.error();
  const auto& resume = options.resume;
  if (resume) {
    checkpoint::PositionRecord recorded;
    recorded.pipeline = name;
    recorded.source = options.recorded_identity;
    recorded.position = *resume;
    checkpoint::ServerState server;
    server.identity = *identity;
    auto checked = checkpoint::check_resume(recorded, server);
    if (!checked) return checked.error();
    if (!checked->empty()) log::info(name, *checked);
  }

  TableFilter filter(pipeline_.tables.include, pipeline_.tables.exclude);
  auto tables = list_tables(connection, filter);
  if (!tables) return tables.error();
  if (tables->empty()) {
    return Error::config("no table on " + connection.where() +
                         " matches tables.include (anchored regexes on database.table, e.g. "
                         "\"shop\\\\..*\")");
  }
  std::map<std::string, std::shared_ptr<const event::TableSchema>> known;
  std::vector<std::shared_ptr<const event::TableSchema>> schemas;
  for (const auto& id : *tables) {
    auto schema = load_table_schema(connection, id, pipeline_.tables.unsupported_columns,
                                    pipeline_.message_key_columns);
    if (!schema) return schema.error();
    known[id.qualified()] = *schema;
    schemas.push_back(*schema);
  }

  const bool completed = resume && resume->snapshot_completed;
  bool snapshot = false;
  switch (pipeline_.snapshot.mode) {
    case config::SnapshotMode::kNever:
      snapshot = false;
      break;
    case config::SnapshotMode::kInitial:
    case config::SnapshotMode::kInitialOnly:
    case config::SnapshotMode::kWhenNeeded:
      snapshot = !completed;
      break;
    case config::SnapshotMode::kAlways:
      snapshot = options.first_start || !completed;
      break;
  }
  const bool initial_only = pipeline_.snapshot.mode == config::SnapshotMode::kInitialOnly;
  if (initial_only && completed) {
    post_alive([this] {
      if (callbacks_.finished) callbacks_.finished();
    });
    return {};
  }
  if (!snapshot && completed) {
    auto files = binary_logs(connection);
    if (!files) return files.error();
    auto missing = resume_missing(name, connection, resume->mysql(), *files, mariadb);
    if (!missing) return missing.error();
    if (!missing->empty()) {
      if (pipeline_.snapshot.mode != config::SnapshotMode::kWhenNeeded) {
        return Error::config(
            "cannot resume from " + event::describe(*resume) + " on " + connection.where() + ": " +
            *missing +
            ": the changes since then are gone (fix: set snapshot.mode: when_needed to take a new "
            "snapshot, or record that choice once: tributary offsets reset --config <file> "
            "--pipeline " +
            name + " --snapshot; keep binlogs longer with binlog_expire_logs_seconds)");
      }
      log::warn(name, "cannot resume from " + event::describe(*resume) + ": " + *missing +
                          "; snapshot.mode is when_needed: taking a new snapshot (its rows are "
                          "emitted again, op r)");
      snapshot = true;
    }
  }

  // The capture set: resuming, the recorded one plus tables that match now (streamed from the
  // position on; their older rows are not read); otherwise every matching table.
  event::CaptureSet captured = capture_set(*tables);
  if (!snapshot && completed && options.recorded_tables) {
    std::vector<event::TableId> joining;
    for (const auto& table : captured) {
      if (!event::find_table(*options.recorded_tables, table.id)) joining.push_back(table.id);
    }
    for (const auto& table : *options.recorded_tables) {
      if (!event::find_table(captured, table.id)) {
        log::write(log::Level::kInfo, name, table.id.qualified(),
                   "table left the capture set: it no longer matches tables.include/exclude or "
                   "was dropped; its changes are not emitted any more");
      }
    }
    for (const auto& id : joining) {
      log::write(log::Level::kInfo, name, id.qualified(),
                 "table joined the capture set: its changes from the recorded binlog position on "
                 "are streamed (rows it held before that position are not read)");
    }
  }
  if (callbacks_.tables) callbacks_.tables(*tables);
  if (callbacks_.identified) callbacks_.identified(*identity);

  event::SourcePosition start;
  auto tables_now = std::make_shared<const event::CaptureSet>(captured);
  if (snapshot) {
    post_alive([this] {
      if (callbacks_.reading) callbacks_.reading(false);
    });
    SnapshotOptions snapshot_options;
    snapshot_options.pipeline = name;
    snapshot_options.source = source;
    snapshot_options.row_position.mysql();
    snapshot_options.parallelism = pipeline_.snapshot.parallelism;
    snapshot_options.chunk_rows = static_cast<uint64_t>(pipeline_.snapshot.fetch_size);
    // All `parallelism` connections even for fewer tables: a large table is read in chunks.
    auto readers = SnapshotReaders::open(snapshot_options,
                                         std::max<std::size_t>(1, pipeline_.snapshot.parallelism));
    if (!readers) return readers.error();
    // The columns as of the snapshot's read view (information_schema is not versioned, but a
    // DDL after the snapshot point reaches the stream as a new TABLE_MAP shape).
    schemas.clear();
    for (const auto& id : *tables) {
      auto schema =
          load_table_schema((*readers)->connection(), id, pipeline_.tables.unsupported_columns,
                            pipeline_.message_key_columns);
      if (!schema) return schema.error();
      known[id.qualified()] = *schema;
      schemas.push_back(*schema);
    }
    SnapshotProgress progress{callbacks_.snapshot_rows, callbacks_.snapshot_table_done};
    if (auto read = (*readers)->read(schemas, queue_, progress, stop_); !read) {
      return read.error();
    }
    const BinlogPoint point = (*readers)->point();
    readers->reset();
    start.snapshot_completed = true;
    start.mysql().file = point.file;
    start.mysql().pos = point.position;
    start.mysql().gtid_set = point.gtid_set;
    event::PositionMarker marker;
    marker.snapshot_done = true;
    marker.position = start;
    marker.tables = tables_now;
    std::vector<event::QueueItem> items;
    items.emplace_back(std::move(marker));
    if (!queue_.push_wait(items, stop_)) return Error::retriable("stopped");
    log::info(name, "snapshot completed; streaming will start at " + event::describe(start));
    if (initial_only) {
      post_alive([this] {
        if (callbacks_.finished) callbacks_.finished();
      });
      return {};
    }
  } else {
    if (completed) {
      start = *resume;
    } else {
      auto current = current_binlog_position(connection, mariadb);
      if (!current) return current.error();
      start = *current;
      log::info(name, "snapshot.mode never: streaming from the server's current binlog position " +
                          event::describe(start) + " (existing rows are not read)");
    }
    event::PositionMarker marker;
    marker.position = start;
    marker.tables = tables_now;
    std::vector<event::QueueItem> items;
    items.emplace_back(std::move(marker));
    if (!queue_.push_wait(items, stop_)) return Error::retriable("stopped");
  }
  connected->reset();

  StreamOptions stream_options;
  stream_options.pipeline = name;
  stream_options.transport.connection = ConnectionOptions::from(source);
  stream_options.transport.server_id = static_cast<uint32_t>(source.server_id);
  stream_options.transport.heartbeat_seconds = kHeartbeatSeconds;
  stream_options.mariadb = mariadb;
  stream_options.resume = start;
  stream_options.captured = tables_now;
  stream_options.matches = [filter](const event::TableId& id) { return filter.matches(id); };
  stream_options.known = std::move(known);
  stream_options.unsupported = pipeline_.tables.unsupported_columns;
  stream_options.key_overrides = pipeline_.message_key_columns;
  stream_options.schema_changes = pipeline_.schema_changes;
  if (const std::string& signals = pipeline_.signals.table; !signals.empty()) {
    const event::TableId id{signals.substr(0, signals.find('.')),
                            signals.substr(signals.find('.') + 1)};
    if (filter.matches(id)) {
      stream_options.signal_table = id;
      stream_options.signals = std::make_shared<const signals::SignalDispatcher>(name);
    } else {
      log::write(log::Level::kWarn, name, signals,
                 "signals.table is not captured by tables.include/exclude: on MySQL/MariaDB its "
                 "rows are read as signals only when it is captured (as Debezium); not read");
    }
  }
  BinlogStream stream(std::move(stream_options), queue_, stop_);
  return stream.run([this] {
    post_alive([this] {
      if (callbacks_.reading) callbacks_.reading(true);
    });
  });
}

}  // namespace tributary::source::mysql
