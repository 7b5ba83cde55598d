// Prerequisite checks, publication and replication slot management.
#include "source/postgres/slot_manager.hpp"

#include <set>

#include "base/log.hpp"

namespace tributary::source::postgres {

Result<void> check_prerequisites(PgConnection& connection, const std::string& user) {
  auto wal = connection.exec("SHOW wal_level");
  if (!wal.ok()) return wal.error();
  std::string level = PQgetvalue(wal->get(), 0, 0);
  if (level != "logical") {
    return Error::config(
        "PostgreSQL wal_level is '" + level +
        "', logical replication needs 'logical' (fix: ALTER SYSTEM SET wal_level = "
        "logical; then restart PostgreSQL)");
  }
  auto role = connection.exec_params(
      "SELECT rolreplication OR rolsuper FROM pg_roles WHERE rolname = $1", {user});
  if (!role.ok()) return role.error();
  if (PQntuples(role->get()) != 1 || PQgetvalue(role->get(), 0, 0)[0] != 't') {
    return Error::config("PostgreSQL role '" + user +
                         "' lacks the REPLICATION privilege (fix: ALTER ROLE " + user +
                         " WITH REPLICATION;)");
  }
  auto slots = connection.exec("SHOW max_replication_slots");
  if (!slots.ok()) return slots.error();
  if (std::stoi(PQgetvalue(slots->get(), 0, 0)) < 1) {
    return Error::config(
        "PostgreSQL max_replication_slots is 0 (fix: set max_replication_slots = 10 and restart)");
  }
  return {};
}

Result<void> ensure_publication(PgConnection& connection, const std::string& publication,
                                const std::vector<event::TableId>& tables,
                                const std::string& pipeline) {
  auto existing = connection.exec_params(
      "SELECT puballtables FROM pg_publication WHERE pubname = $1", {publication});
  if (!existing.ok()) return existing.error();
  if (PQntuples(existing->get()) == 1) {
    if (PQgetvalue(existing->get(), 0, 0)[0] == 't') return {};
    auto members = connection.exec_params(
        "SELECT schemaname, tablename FROM pg_publication_tables WHERE pubname = $1",
        {publication});
    if (!members.ok()) return members.error();
    std::set<std::string> have;
    for (int i = 0; i < PQntuples(members->get()); ++i) {
      have.insert(std::string(PQgetvalue(members->get(), i, 0)) + "." +
                  PQgetvalue(members->get(), i, 1));
    }
    for (const auto& table : tables) {
      if (have.count(table.qualified())) continue;
      log::info(pipeline, "adding table " + table.qualified() + " to publication " + publication);
      auto added = connection.exec("ALTER PUBLICATION " + connection.quote_identifier(publication) +
                                   " ADD TABLE " + connection.quote_identifier(table.schema) + "." +
                                   connection.quote_identifier(table.table));
      if (!added.ok()) return added.error();
    }
    return {};
  }
  std::string sql =
      "CREATE PUBLICATION " + connection.quote_identifier(publication) + " FOR TABLE ";
  for (std::size_t i = 0; i < tables.size(); ++i) {
    if (i > 0) sql += ", ";
    sql += connection.quote_identifier(tables[i].schema) + "." +
           connection.quote_identifier(tables[i].table);
  }
  log::info(pipeline, "creating publication " + publication + " for " +
                          std::to_string(tables.size()) + " tables");
  auto created = connection.exec(sql);
  if (!created.ok()) {
    Error error = created.error();
    if (error.kind == ErrorKind::kConfig) {
      error.message += " (fix: create the publication as a table owner or superuser: " + sql + ")";
    }
    return error;
  }
  return {};
}

Result<SlotState> read_slot(PgConnection& connection, const std::string& slot) {
  auto result = connection.exec_params(
      "SELECT s.plugin, d.datname, s.active, s.confirmed_flush_lsn::text "
      "FROM pg_replication_slots s LEFT JOIN pg_database d ON d.oid = s.datoid "
      "WHERE s.slot_name = $1",
      {slot});
  if (!result.ok()) return result.error();
  SlotState state;
  if (PQntuples(result->get()) == 0) return state;
  state.exists = true;
  state.plugin = PQgetvalue(result->get(), 0, 0);
  state.database = PQgetvalue(result->get(), 0, 1);
  state.active = PQgetvalue(result->get(), 0, 2)[0] == 't';
  if (!PQgetisnull(result->get(), 0, 3)) {
    event::parse_lsn(PQgetvalue(result->get(), 0, 3), state.confirmed_flush_lsn);
  }
  return state;
}

Result<void> drop_slot(PgConnection& connection, const std::string& slot) {
  auto result = connection.exec_params("SELECT pg_drop_replication_slot($1)", {slot});
  if (!result.ok()) return result.error();
  return {};
}

Result<CreatedSlot> create_slot(PgConnection& replication, const std::string& slot,
                                bool export_snapshot, bool temporary) {
  std::string sql = "CREATE_REPLICATION_SLOT " + replication.quote_identifier(slot) +
                    (temporary ? " TEMPORARY" : "") + " LOGICAL pgoutput " +
                    (export_snapshot ? "EXPORT_SNAPSHOT" : "NOEXPORT_SNAPSHOT");
  auto result = replication.exec(sql);
  if (!result.ok()) return result.error();
  CreatedSlot created;
  // Columns: slot_name, consistent_point, snapshot_name, output_plugin.
  if (!event::parse_lsn(PQgetvalue(result->get(), 0, 1), created.consistent_point)) {
    return Error::fatal(std::string("unexpected consistent_point from CREATE_REPLICATION_SLOT: ") +
                        PQgetvalue(result->get(), 0, 1));
  }
  if (!PQgetisnull(result->get(), 0, 2)) created.snapshot_name = PQgetvalue(result->get(), 0, 2);
  return created;
}

Result<uint64_t> retained_wal_bytes(PgConnection& connection, const std::string& slot) {
  auto result = connection.exec_params(
      "SELECT COALESCE(pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn), 0)::bigint "
      "FROM pg_replication_slots WHERE slot_name = $1",
      {slot});
  if (!result.ok()) return result.error();
  if (PQntuples(result->get()) == 0) return uint64_t{0};
  return static_cast<uint64_t>(std::stoll(PQgetvalue(result->get(), 0, 0)));
}

}  // namespace tributary::source::postgres
