// PostgreSQL source lifecycle: prerequisites, publication, slot, snapshot decision, streaming.
#include "source/postgres/postgres_source.hpp"

#include <unistd.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <set>

#include "base/clock.hpp"
#include "base/log.hpp"
#include "checkpoint/resume_check.hpp"
#include "source/postgres/catalog.hpp"
#include "source/postgres/catalog_worker.hpp"
#include "source/postgres/replication_stream.hpp"
#include "source/postgres/server_identity.hpp"
#include "source/postgres/slot_manager.hpp"
#include "source/postgres/snapshot.hpp"
#include "source/postgres/table_join.hpp"
#include "source/postgres/watermark.hpp"

namespace tributary::source::postgres {
namespace {

/// How often a streaming source looks for new tables that match tables.include.
constexpr auto kTableWatchInterval = std::chrono::seconds(3);

/// Tables keyed by pipelines[].message_key_columns: their key need not be unique, no chunks.
std::set<std::string> key_overridden(const config::PipelineConfig& pipeline) {
  std::set<std::string> tables;
  for (const auto& [table, columns] : pipeline.message_key_columns) tables.insert(table);
  return tables;
}

/// Debezium's table order (TableId.compareTo: the text "schema.table", byte order).
void sort_tables(std::vector<std::shared_ptr<const event::TableSchema>>& tables) {
  std::sort(tables.begin(), tables.end(),
            [](const auto& a, const auto& b) { return a->id.qualified() < b->id.qualified(); });
}

/// pipelines[].signals.table as a table id (validated at load: one dot); none when unset.
std::optional<event::TableId> signal_table(const config::PipelineConfig& pipeline) {
  const std::string& text = pipeline.signals.table;
  const auto dot = text.find('.');
  if (text.empty() || dot == std::string::npos) return std::nullopt;
  return event::TableId{text.substr(0, dot), text.substr(dot + 1)};
}

std::string names(const std::vector<event::TableId>& tables) {
  std::string text;
  for (const auto& table : tables) text += (text.empty() ? "" : ", ") + table.qualified();
  return text;
}

}  // namespace

struct PostgresSource::Prepared {
  std::unique_ptr<Catalog> catalog;
  std::unique_ptr<PgConnection> replication;
  event::SourcePosition resume;
  std::shared_ptr<const event::CaptureSet> captured;
  /// An interrupted initial snapshot resuming while streaming: its reader's options.
  std::optional<WatermarkReaderOptions> resumed_snapshot;
};

PostgresSource::PostgresSource(boost::asio::io_context& io, const config::PipelineConfig& pipeline,
                               event::EventQueue& queue, SourceCallbacks callbacks)
    : io_(io),
      pipeline_(pipeline),
      queue_(queue),
      callbacks_(std::move(callbacks)),
      wal_probe_timer_(io) {}

PostgresSource::~PostgresSource() {
  *alive_ = false;
  stop_ = true;
  queue_.wake_all();
  if (setup_thread_.joinable()) setup_thread_.join();
  watcher_.reset();          // joins its thread
  snapshot_reader_.reset();  // joins its thread
}

void PostgresSource::start(StartOptions options) {
  setup_thread_ = std::thread([this, options = std::move(options)]() mutable {
    setup(std::move(options.resume), std::move(options.recorded_identity),
          std::move(options.recorded_tables), options.first_start);
  });
}

void PostgresSource::stop() {
  stop_ = true;
  wal_probe_timer_.cancel();
  queue_.wake_all();
  if (watcher_) watcher_->stop();
  if (snapshot_reader_) snapshot_reader_->stop();
  if (stream_) stream_->stop();
}

void PostgresSource::acknowledge(const event::SourcePosition& position) {
  if (!position.snapshot_completed) return;
  pending_ack_ = std::max(pending_ack_, position.lsn());
  if (stream_) stream_->acknowledge(pending_ack_);
}

void PostgresSource::post_failure(Error error) {
  post_alive([this, error = std::move(error)]() mutable {
    if (callbacks_.failed) callbacks_.failed(std::move(error));
  });
}

// Runs on setup_thread_: everything here may block.
void PostgresSource::setup(std::optional<event::SourcePosition> resume,
                           std::optional<event::SourceIdentity> recorded_identity,
                           std::optional<event::CaptureSet> recorded_tables, bool first_start) {
  const auto& name = pipeline_.name;
  const auto& source = pipeline_.source;
  auto connection =
      PgConnection::connect(source, PgConnection::Mode::kNormal, "tributary-" + name + "-catalog");
  if (!connection.ok()) return post_failure(connection.error());
  auto catalog = std::make_unique<Catalog>(std::move(connection.value()));
  catalog->set_unsupported_columns(pipeline_.tables.unsupported_columns);
  catalog->set_message_key_columns(pipeline_.message_key_columns);

  if (auto ok = check_prerequisites(catalog->connection(), source.user); !ok.ok()) {
    return post_failure(ok.error());
  }

  // Before anything on the server changes: is it the source the position was recorded from, and
  // did it ever have that position?
  auto prepared = std::make_shared<Prepared>();
  auto replication = PgConnection::connect(source, PgConnection::Mode::kReplication,
                                           "tributary-" + name + "-stream");
  if (!replication.ok()) return post_failure(replication.error());
  prepared->replication = std::move(replication.value());
  auto server = identify_server(*prepared->replication, source.slot);
  if (!server.ok()) return post_failure(server.error());
  checkpoint::PositionRecord recorded;
  recorded.pipeline = name;
  recorded.source = recorded_identity;
  if (resume) {
    recorded.position = *resume;
    auto checked = checkpoint::check_resume(recorded, *server);
    if (!checked.ok()) return post_failure(checked.error());
    if (!checked->empty()) log::info(name, *checked);
  }

  auto filter =
      std::make_shared<const TableFilter>(pipeline_.tables.include, pipeline_.tables.exclude);
  auto tables = catalog->list_tables(*filter);
  if (!tables.ok()) return post_failure(tables.error());
  if (tables->empty()) {
    return post_failure(Error::config(
        "no table in database " + source.database +
        " matches tables.include (anchored regexes on schema.table, e.g. \"public\\\\..*\")"));
  }
  std::vector<std::shared_ptr<const event::TableSchema>> schemas;
  std::string unsupported;  // every table's problems at once, not one per restart
  for (const auto& table : *tables) {
    auto schema = catalog->load_table_schema(table);
    if (!schema.ok()) {
      if (schema.error().kind != ErrorKind::kConfig) return post_failure(schema.error());
      unsupported += (unsupported.empty() ? "" : "; ") + schema.error().message;
      continue;
    }
    warn_omitted_columns(name, **schema);
    schemas.push_back(std::move(schema.value()));
  }
  if (!unsupported.empty()) return post_failure(Error::config(unsupported));
  auto schemas_of = [&schemas](const std::vector<event::TableId>& ids) {
    std::vector<std::shared_ptr<const event::TableSchema>> selected;
    for (const auto& schema : schemas) {
      if (std::find(ids.begin(), ids.end(), schema->id) != ids.end()) selected.push_back(schema);
    }
    return selected;
  };
  auto slot = read_slot(catalog->connection(), source.slot);
  if (!slot.ok()) return post_failure(slot.error());
  if (slot->exists && slot->plugin != "pgoutput") {
    return post_failure(Error::config("replication slot " + source.slot + " uses plugin " +
                                      slot->plugin +
                                      ", tributary needs pgoutput (fix: choose another "
                                      "source.slot, or drop this slot)"));
  }
  if (slot->exists && slot->active) {
    return post_failure(Error::retriable("replication slot " + source.slot +
                                         " is in use by another connection (another tributary "
                                         "instance?); retrying"));
  }

  if (callbacks_.tables) callbacks_.tables(*tables);

  const bool completed = resume && resume->snapshot_completed;
  // An initial snapshot that recorded chunks before it stopped: streaming resumes from the
  // position and the remaining chunks are read between watermarks (PostgreSQL 14+, which
  // decodes logical messages for pgoutput), unless the mode wants a new snapshot anyway.
  const bool resumable = resume && !completed && resume->snapshot_progress && resume->lsn() != 0 &&
                         slot->exists && PQserverVersion(catalog->connection().raw()) >= 140000 &&
                         pipeline_.snapshot.mode != config::SnapshotMode::kNever &&
                         pipeline_.snapshot.mode != config::SnapshotMode::kInitialOnly &&
                         !(pipeline_.snapshot.mode == config::SnapshotMode::kAlways && first_start);
  bool snapshot = false;
  switch (pipeline_.snapshot.mode) {
    case config::SnapshotMode::kNever:
      snapshot = false;
      break;
    case config::SnapshotMode::kInitial:
    case config::SnapshotMode::kInitialOnly:
      snapshot = !completed;
      break;
    case config::SnapshotMode::kWhenNeeded:
      snapshot = !completed || !slot->exists;
      break;
    case config::SnapshotMode::kAlways:
      snapshot = first_start || !completed;
      break;
  }
  // Streaming resumes from the checkpoint: the recorded capture set decides which tables join.
  // Otherwise every matching table is in the snapshot (or, mode never, streamed from the start).
  if (resumable) snapshot = false;
  const bool resumes = !snapshot && completed;
  CapturePlan plan;
  if (resumes) {
    plan = plan_capture(*tables, recorded_tables);
    if (plan.adopted) {
      log::info(name,
                "the checkpoint records no captured tables (written by an older "
                "tributary or by offsets reset): adopting the " +
                    std::to_string(plan.kept.size()) + " tables that match now: " + names(*tables));
    }
    for (const auto& id : plan.left) {
      log::write(log::Level::kInfo, name, id.qualified(),
                 "table left the capture set: it no longer matches tables.include/exclude or was "
                 "dropped; its changes are not emitted any more");
    }
  } else {
    plan.kept = with_tables({}, *tables, 0);
  }
  const bool initial_only = pipeline_.snapshot.mode == config::SnapshotMode::kInitialOnly;
  if (initial_only && completed && plan.joining.empty()) {
    post_alive([this] {
      if (callbacks_.finished) callbacks_.finished();
    });
    return;
  }
  if (!snapshot && completed && !slot->exists && !initial_only) {
    return post_failure(Error::config(
        "replication slot " + source.slot + " is missing but the checkpoint is at " +
        event::format_lsn(resume->lsn()) +
        ": changes since then may be lost (fix: set snapshot.mode: when_needed to take a new "
        "snapshot, or record that choice once: tributary offsets reset --config <file> "
        "--pipeline " +
        name + " --snapshot)"));
  }
  if (!snapshot && completed && slot->exists && !initial_only) {
    // Streaming resumes from the slot: nothing the slot dropped may lie after the position.
    if (auto ok = checkpoint::check_slot(recorded, source.slot, slot->confirmed_flush_lsn);
        !ok.ok()) {
      return post_failure(ok.error());
    }
  }
  // The signal table is published too (as Debezium requires): its inserts are read as signals
  // even when tables.include does not capture it.
  std::vector<event::TableId> published = *tables;
  if (auto signals = signal_table(pipeline_); signals) {
    auto exists = catalog->connection().exec_params(
        "SELECT to_regclass($1) IS NOT NULL",
        {catalog->connection().quote_identifier(signals->schema) + "." +
         catalog->connection().quote_identifier(signals->table)});
    if (!exists.ok()) return post_failure(exists.error());
    if (PQgetvalue(exists->get(), 0, 0)[0] != 't') {
      return post_failure(Error::config(
          "signals.table " + pipeline_.signals.table + " does not exist in database " +
          source.database + " (fix: CREATE TABLE " + pipeline_.signals.table +
          " (id varchar(42) PRIMARY KEY, type varchar(32) NOT NULL, data varchar(2048)), or "
          "unset signals.table)"));
    }
    if (std::find(published.begin(), published.end(), *signals) == published.end()) {
      published.push_back(*signals);
    }
  }
  if (auto ok = ensure_publication(catalog->connection(), source.publication, published, name,
                                   pipeline_.tables.row_filters);
      !ok.ok()) {
    return post_failure(ok.error());
  }
  if (callbacks_.identified) callbacks_.identified(server->identity);

  if (snapshot) {
    if (slot->exists) {
      log::warn(name,
                "no completed snapshot is recorded (an interrupted snapshot, or `offsets "
                "reset --snapshot`): dropping replication slot " +
                    source.slot +
                    " and taking the snapshot again from the start; its rows are emitted "
                    "again (op r), and rows deleted since the earlier attempt keep that "
                    "attempt's record in Kafka");
      if (auto ok = drop_slot(catalog->connection(), source.slot); !ok.ok()) {
        return post_failure(ok.error());
      }
    }
    auto created = create_slot(*prepared->replication, source.slot, true);
    if (!created.ok()) return post_failure(created.error());
    log::info(name, "created replication slot " + source.slot + " at " +
                        event::format_lsn(created->consistent_point) + ", snapshot " +
                        created->snapshot_name);
    post_alive([this] {
      if (callbacks_.reading) callbacks_.reading(false);
    });
    SnapshotOptions options;
    options.pipeline = name;
    options.source = source;
    options.snapshot_name = created->snapshot_name;
    options.consistent_point = created->consistent_point;
    options.parallelism = pipeline_.snapshot.parallelism;
    options.fetch_size = pipeline_.snapshot.fetch_size;
    options.chunk_rows = pipeline_.snapshot.chunk_rows;
    options.key_overridden = key_overridden(pipeline_);
    options.row_filters = pipeline_.tables.row_filters;
    options.record_progress = true;
    SnapshotProgress progress{callbacks_.snapshot_rows, callbacks_.snapshot_table_done};
    auto done = run_snapshot(options, schemas, queue_, progress, stop_);
    if (!done.ok()) return post_failure(done.error());
    event::PositionMarker marker;
    marker.snapshot_done = true;
    marker.position.snapshot_completed = true;
    marker.position.postgres().lsn = created->consistent_point;
    marker.tables = std::make_shared<const event::CaptureSet>(plan.kept);
    queue_.push(marker);
    log::info(name, "snapshot completed; streaming will start at " +
                        event::format_lsn(created->consistent_point));
    if (pipeline_.snapshot.mode == config::SnapshotMode::kInitialOnly) {
      post_alive([this] {
        if (callbacks_.finished) callbacks_.finished();
      });
      return;
    }
    prepared->resume = marker.position;
  } else if (resumable) {
    prepared->resume = *resume;
    WatermarkReaderOptions reader;
    reader.pipeline = name;
    reader.source = source;
    reader.chunk_rows = pipeline_.snapshot.chunk_rows;
    reader.key_overridden = key_overridden(pipeline_);
    reader.row_filters = pipeline_.tables.row_filters;
    reader.tables = schemas;
    sort_tables(reader.tables);
    reader.progress = resume->snapshot_progress;
    prepared->resumed_snapshot = std::move(reader);
    post_alive([this] {
      if (callbacks_.reading) callbacks_.reading(false);
    });
  } else if (initial_only) {
    prepared->resume = *resume;  // joining tables only; no stream
  } else if (!slot->exists) {
    auto created = create_slot(*prepared->replication, source.slot, false);
    if (!created.ok()) return post_failure(created.error());
    log::info(name, "created replication slot " + source.slot + " at " +
                        event::format_lsn(created->consistent_point) + " (no snapshot)");
    prepared->resume.snapshot_completed = true;
    prepared->resume.postgres().lsn =
        resume ? std::max(resume->lsn(), created->consistent_point) : created->consistent_point;
  } else {
    prepared->resume = resume ? *resume : event::SourcePosition{};
    prepared->resume.snapshot_completed = true;
    if (!resume) prepared->resume.postgres().lsn = slot->confirmed_flush_lsn;
  }
  if (!snapshot) {
    // The capture set from here on (tables that left, or adopted), before any streamed event.
    event::PositionMarker marker;
    marker.position = prepared->resume;
    marker.tables = std::make_shared<const event::CaptureSet>(plan.kept);
    queue_.push(std::move(marker));
  }
  event::CaptureSet captured = plan.kept;
  if (!plan.joining.empty() && pipeline_.snapshot.mode == config::SnapshotMode::kNever) {
    for (const auto& id : plan.joining) {
      log::write(log::Level::kWarn, name, id.qualified(),
                 "table joined the capture set (it matches tables.include/exclude and is not in "
                 "the recorded set: created since, or the filter was widened); its existing rows "
                 "are NOT emitted because snapshot.mode is never; its changes are streamed from "
                 "now on");
    }
    captured = with_tables(std::move(captured), plan.joining, 0);
    event::PositionMarker marker;
    marker.position = prepared->resume;
    marker.tables = std::make_shared<const event::CaptureSet>(captured);
    queue_.push(std::move(marker));
  } else if (!plan.joining.empty()) {
    post_alive([this] {
      if (callbacks_.reading) callbacks_.reading(false);
    });
    JoinOptions options;
    options.pipeline = name;
    options.source = source;
    options.resume = prepared->resume;
    options.parallelism = pipeline_.snapshot.parallelism;
    options.fetch_size = pipeline_.snapshot.fetch_size;
    auto joined =
        snapshot_joining_tables(options, schemas_of(plan.joining), queue_, callbacks_.snapshot_rows,
                                callbacks_.snapshot_table_done, stop_);
    if (!joined.ok()) {
      if (stop_) {
        log::info(name, "snapshot of the joining tables " + names(plan.joining) +
                            " interrupted; they join again from a new snapshot on the next start "
                            "(their rows already sent can appear twice, op r)");
      }
      return post_failure(joined.error());
    }
    captured = with_tables(std::move(captured), plan.joining, joined->join_lsn);
    // Recorded with (or after) the last snapshot row: a restart before it snapshots the tables
    // again; one after it drops their streamed events committed before the join point.
    event::PositionMarker marker;
    marker.snapshot_done = true;
    marker.position = prepared->resume;
    marker.tables = std::make_shared<const event::CaptureSet>(captured);
    queue_.push(std::move(marker));
    for (const auto& id : plan.joining) {
      log::write(log::Level::kInfo, name, id.qualified(),
                 "table joined the capture set (it matches tables.include/exclude and is not in "
                 "the recorded set: created since, or the filter was widened): snapshot of " +
                     std::to_string(joined->rows[id.qualified()]) + " rows (op r) at join LSN " +
                     event::format_lsn(joined->join_lsn) +
                     ", its changes committed from there on are streamed (had this snapshot been "
                     "interrupted, the next start would take it again and its rows could appear "
                     "twice)");
    }
    if (initial_only) {
      post_alive([this] {
        if (callbacks_.finished) callbacks_.finished();
      });
      return;
    }
  }
  prepared->captured = std::make_shared<const event::CaptureSet>(std::move(captured));
  prepared->catalog = std::move(catalog);
  post_alive([this, prepared] { start_streaming(prepared); });
}

void PostgresSource::start_streaming(std::shared_ptr<Prepared> prepared) {
  if (stop_) return;
  if (setup_thread_.joinable()) setup_thread_.join();
  catalog_ = std::make_unique<CatalogWorker>(io_, std::move(prepared->catalog));
  StreamOptions options;
  options.pipeline = pipeline_.name;
  options.slot = pipeline_.source.slot;
  options.publication = pipeline_.source.publication;
  options.database = pipeline_.source.database;
  options.resume = prepared->resume;
  options.captured = prepared->captured;
  options.signal_table = signal_table(pipeline_);
  if (options.signal_table) {
    options.signals = std::make_shared<const signals::SignalDispatcher>(pipeline_.name);
  }
  std::shared_ptr<WatermarkWindows> windows;
  if (prepared->resumed_snapshot) {
    // Unique per reader: the slot may replay an earlier run's watermarks.
    windows = std::make_shared<WatermarkWindows>(std::to_string(unix_now_us()) + "-" +
                                                 std::to_string(::getpid()));
    options.windows = windows;
  }
  StreamObserver observer;
  observer.failed = [this](Error error) {
    if (callbacks_.failed) callbacks_.failed(std::move(error));
  };
  stream_ = std::make_unique<ReplicationStream>(io_, std::move(prepared->replication), *catalog_,
                                                queue_, std::move(options), std::move(observer));
  if (auto started = stream_->start(); !started.ok()) {
    if (callbacks_.failed) callbacks_.failed(started.error());
    return;
  }
  if (pending_ack_ > 0) stream_->acknowledge(pending_ack_);
  if (windows) {
    snapshot_reader_ = std::make_unique<WatermarkReader>(
        std::move(*prepared->resumed_snapshot), windows, [this](Error error) {
          post_alive([this, error = std::move(error)]() mutable {
            if (callbacks_.failed) callbacks_.failed(std::move(error));
          });
        });
    snapshot_reader_->start();
  }
  if (callbacks_.reading) callbacks_.reading(true);
  schedule_wal_probe();
  // A table created (or newly matching) while streaming: the next source round joins it
  // (publication, snapshot at a join point, then streaming), after the queue is committed.
  watcher_ = std::make_unique<TableWatcher>(
      pipeline_, prepared->captured, kTableWatchInterval,
      [this](std::vector<event::TableId> found) {
        boost::asio::post(io_, [this, alive = alive_, found = std::move(found)] {
          if (!*alive || stop_) return;
          for (const auto& id : found) {
            log::write(log::Level::kInfo, pipeline_.name, id.qualified(),
                       "new table matches tables.include/exclude: it joins the capture set "
                       "after a reconnect (snapshot of its rows, then its changes)");
          }
          if (callbacks_.failed) {
            callbacks_.failed(Error::retriable("table(s) " + names(found) +
                                               " joining the capture set: reconnecting to "
                                               "snapshot them"));
          }
        });
      });
  watcher_->start();
}

void PostgresSource::schedule_wal_probe() {
  // A short catalog query every 15 s, on the catalog worker (a lock may hold it up).
  catalog_->run([slot = pipeline_.source.slot](
                    Catalog& catalog) { return retained_wal_bytes(catalog.connection(), slot); },
                [this](Result<uint64_t> retained) {
                  if (stop_) return;
                  if (retained.ok()) {
                    if (callbacks_.retained_bytes) callbacks_.retained_bytes(*retained);
                  } else {
                    log::warn(pipeline_.name,
                              "cannot read the slot's retained WAL: " + retained.error().message);
                  }
                  wal_probe_timer_.expires_after(std::chrono::seconds(15));
                  wal_probe_timer_.async_wait([this](boost::system::error_code ec) {
                    if (!ec && !stop_) schedule_wal_probe();
                  });
                });
}

}  // namespace tributary::source::postgres
