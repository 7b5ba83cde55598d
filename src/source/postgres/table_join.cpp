// Join snapshots of tables added to a running capture set, and the watch for new tables.
#include "source/postgres/table_join.hpp"

#include <unistd.h>

#include <algorithm>

#include "base/log.hpp"
#include "source/postgres/catalog.hpp"
#include "source/postgres/pg_connection.hpp"
#include "source/postgres/slot_manager.hpp"
#include "source/postgres/snapshot.hpp"

namespace tributary::source::postgres {
namespace {

bool before(const event::TableId& a, const event::TableId& b) {
  return a.schema != b.schema ? a.schema < b.schema : a.table < b.table;
}

}  // namespace

CapturePlan plan_capture(const std::vector<event::TableId>& matching,
                         const std::optional<event::CaptureSet>& recorded) {
  CapturePlan plan;
  if (!recorded) {
    plan.adopted = true;
    plan.kept = with_tables({}, matching, 0);
    return plan;
  }
  for (const auto& table : *recorded) {
    if (std::find(matching.begin(), matching.end(), table.id) != matching.end()) {
      plan.kept.push_back(table);
    } else {
      plan.left.push_back(table.id);
    }
  }
  for (const auto& id : matching) {
    if (event::find_table(*recorded, id) == nullptr) plan.joining.push_back(id);
  }
  return plan;
}

event::CaptureSet with_tables(event::CaptureSet set, const std::vector<event::TableId>& tables,
                              uint64_t join_lsn) {
  for (const auto& id : tables) {
    if (event::find_table(set, id) == nullptr) set.push_back({id, join_lsn});
  }
  std::sort(set.begin(), set.end(),
            [](const event::CapturedTable& a, const event::CapturedTable& b) {
              return before(a.id, b.id);
            });
  return set;
}

Result<JoinedTables> snapshot_joining_tables(
    const JoinOptions& options,
    const std::vector<std::shared_ptr<const event::TableSchema>>& tables, event::EventQueue& queue,
    const std::function<void(const std::string&, uint64_t, uint64_t, uint64_t)>& rows_read,
    const std::function<void(const std::string&, uint64_t)>& table_done,
    const std::atomic<bool>& stop) {
  auto replication = PgConnection::connect(options.source, PgConnection::Mode::kReplication,
                                           "tributary-" + options.pipeline + "-join");
  if (!replication.ok()) return replication.error();
  // Unique per process: a slot of a killed predecessor lingers until its session is gone.
  const std::string suffix = "_join_" + std::to_string(::getpid());
  const std::string slot = options.source.slot.substr(0, 63 - suffix.size()) + suffix;
  auto created = create_slot(**replication, slot, true, true);
  if (!created.ok()) return created.error();

  JoinedTables joined;
  joined.join_lsn = created->consistent_point;
  std::mutex rows_mutex;
  SnapshotProgress progress{
      [&](const std::string& table, uint64_t rows, uint64_t done, uint64_t estimate) {
        {
          std::lock_guard lock(rows_mutex);
          joined.rows[table] = done;
        }
        if (rows_read) rows_read(table, rows, done, estimate);
      },
      table_done};
  SnapshotOptions snapshot;
  snapshot.pipeline = options.pipeline;
  snapshot.source = options.source;
  snapshot.snapshot_name = created->snapshot_name;
  snapshot.consistent_point = created->consistent_point;
  snapshot.row_position = options.resume;
  snapshot.parallelism = options.parallelism;
  snapshot.fetch_size = options.fetch_size;
  log::info(options.pipeline,
            "snapshot of " + std::to_string(tables.size()) + " joining table(s) at join point " +
                event::format_lsn(joined.join_lsn) + " (temporary replication slot " + slot + ")");
  auto done = run_snapshot(snapshot, tables, queue, progress, stop);
  if (!done.ok()) return done.error();
  for (const auto& table : tables) joined.rows.try_emplace(table->id.qualified(), 0);
  return joined;
}

TableWatcher::TableWatcher(const config::PipelineConfig& pipeline,
                           std::shared_ptr<const event::CaptureSet> captured,
                           std::chrono::milliseconds interval,
                           std::function<void(std::vector<event::TableId>)> found)
    : pipeline_(pipeline),
      captured_(std::move(captured)),
      interval_(interval),
      found_(std::move(found)) {}

TableWatcher::~TableWatcher() {
  stop();
  if (thread_.joinable()) thread_.join();
}

void TableWatcher::start() {
  thread_ = std::thread([this] { run(); });
}

void TableWatcher::stop() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
}

void TableWatcher::run() {
  const TableFilter filter(pipeline_.tables.include, pipeline_.tables.exclude);
  std::unique_ptr<Catalog> catalog;
  while (true) {
    {
      std::unique_lock lock(mutex_);
      if (wake_.wait_for(lock, interval_, [this] { return stop_; })) return;
    }
    if (!catalog) {
      auto connected = PgConnection::connect(pipeline_.source, PgConnection::Mode::kNormal,
                                             "tributary-" + pipeline_.name + "-watch");
      if (!connected.ok()) {
        log::warn(pipeline_.name, "cannot look for new tables (retrying in " +
                                      std::to_string(interval_.count()) +
                                      " ms): " + connected.error().message);
        continue;
      }
      catalog = std::make_unique<Catalog>(std::move(connected.value()));
    }
    auto tables = catalog->list_tables(filter);
    if (!tables.ok()) {
      log::warn(pipeline_.name, "cannot look for new tables (retrying in " +
                                    std::to_string(interval_.count()) +
                                    " ms): " + tables.error().message);
      catalog.reset();  // a new connection next time
      continue;
    }
    std::vector<event::TableId> fresh;
    for (const auto& id : *tables) {
      if (event::find_table(*captured_, id) == nullptr) fresh.push_back(id);
    }
    if (!fresh.empty()) {
      if (found_) found_(std::move(fresh));
      return;
    }
  }
}

}  // namespace tributary::source::postgres
