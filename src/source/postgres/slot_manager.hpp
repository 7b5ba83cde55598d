// Control path for a PostgreSQL source: server prerequisites, publication, replication slot.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "event/change_event.hpp"
#include "source/postgres/pg_connection.hpp"

namespace tributary::source::postgres {

/// Checks wal_level, the REPLICATION privilege and slot capacity; every problem says its fix.
Result<void> check_prerequisites(PgConnection& connection, const std::string& user);

/// Creates the publication for `tables` if missing; adds tables missing from an existing
/// (non FOR ALL TABLES) publication. `row_filters` ("schema.table" -> condition, PostgreSQL 15+):
/// the tables' `WHERE (...)`; an existing table whose filter differs is dropped and added again
/// with the configured one (in one transaction). A filtered table needs REPLICA IDENTITY FULL
/// (PostgreSQL refuses UPDATE and DELETE on a table whose publication filter uses columns outside
/// its replica identity): a kConfig error says how.
Result<void> ensure_publication(PgConnection& connection, const std::string& publication,
                                const std::vector<event::TableId>& tables,
                                const std::string& pipeline,
                                const std::map<std::string, std::string>& row_filters = {});

struct SlotState {
  bool exists = false;
  bool active = false;
  std::string plugin;
  std::string database;
  uint64_t confirmed_flush_lsn = 0;
};
Result<SlotState> read_slot(PgConnection& connection, const std::string& slot);
Result<void> drop_slot(PgConnection& connection, const std::string& slot);

struct CreatedSlot {
  uint64_t consistent_point = 0;
  std::string snapshot_name;  ///< empty when created without an exported snapshot
};
/// On a replication connection: CREATE_REPLICATION_SLOT ... LOGICAL pgoutput, exporting a snapshot
/// if asked. The exported snapshot lives until the next command on this connection. A temporary
/// slot is dropped by the server when the connection ends (used for the snapshot of tables that
/// join a running capture set: its consistent point is their join point).
Result<CreatedSlot> create_slot(PgConnection& replication, const std::string& slot,
                                bool export_snapshot, bool temporary = false);

/// Bytes of WAL the slot keeps (pg_current_wal_lsn() - restart_lsn), for the metric.
Result<uint64_t> retained_wal_bytes(PgConnection& connection, const std::string& slot);

}  // namespace tributary::source::postgres
