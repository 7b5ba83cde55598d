// Prerequisite checks, publication and replication slot management.
#include "source/postgres/slot_manager.hpp"

#include <map>
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

namespace {

/// `schema.table`, quoted, with its row filter's WHERE when it has one.
std::string published_table(PgConnection& connection, const event::TableId& table,
                            const std::map<std::string, std::string>& row_filters) {
  std::string sql =
      connection.quote_identifier(table.schema) + "." + connection.quote_identifier(table.table);
  auto filter = row_filters.find(table.qualified());
  if (filter != row_filters.end()) sql += " WHERE (" + filter->second + ")";
  return sql;
}

/// Row filters need PostgreSQL 15 and, on each filtered table, REPLICA IDENTITY FULL.
Result<void> check_row_filters(PgConnection& connection, const std::vector<event::TableId>& tables,
                               const std::map<std::string, std::string>& row_filters) {
  if (row_filters.empty()) return {};
  auto version = connection.exec("SHOW server_version_num");
  if (!version.ok()) return version.error();
  if (std::stoi(PQgetvalue(version->get(), 0, 0)) < 150000) {
    return Error::config(
        "pipelines[].tables.row_filters needs PostgreSQL 15 or later (publication row filters); "
        "this server is " +
        std::string(PQgetvalue(version->get(), 0, 0)) +
        " (fix: remove tables.row_filters, or upgrade the server)");
  }
  for (const auto& table : tables) {
    if (!row_filters.contains(table.qualified())) continue;
    const std::string name =
        connection.quote_identifier(table.schema) + "." + connection.quote_identifier(table.table);
    auto identity = connection.exec_params(
        "SELECT relreplident FROM pg_class WHERE oid = to_regclass($1)", {name});
    if (!identity.ok()) return identity.error();
    if (PQntuples(identity->get()) == 1 && PQgetvalue(identity->get(), 0, 0)[0] != 'f') {
      return Error::config(
          "pipelines[].tables.row_filters." + table.qualified() +
          ": the table's replica identity is not FULL, and PostgreSQL refuses UPDATE and DELETE "
          "on a table whose publication row filter uses columns outside its replica identity "
          "(fix: ALTER TABLE " +
          name + " REPLICA IDENTITY FULL;, or remove its row filter)");
    }
  }
  return {};
}

/// Gives a member of the publication the configured row filter: drops and adds it again in
/// one transaction, kept only when PostgreSQL's form of the filter changed.
Result<void> correct_row_filter(PgConnection& connection, const std::string& publication,
                                const event::TableId& table, const std::string& before,
                                const std::map<std::string, std::string>& row_filters,
                                const std::string& pipeline) {
  const std::string pub = connection.quote_identifier(publication);
  if (auto begun = connection.exec("BEGIN"); !begun.ok()) return begun.error();
  auto rollback = [&](Error error) -> Result<void> {
    (void)connection.exec("ROLLBACK");
    return error;
  };
  auto dropped = connection.exec("ALTER PUBLICATION " + pub + " DROP TABLE " +
                                 connection.quote_identifier(table.schema) + "." +
                                 connection.quote_identifier(table.table));
  if (!dropped.ok()) return rollback(dropped.error());
  auto added = connection.exec("ALTER PUBLICATION " + pub + " ADD TABLE " +
                               published_table(connection, table, row_filters));
  if (!added.ok()) return rollback(added.error());
  auto after = connection.exec_params(
      "SELECT coalesce(rowfilter, '') FROM pg_publication_tables WHERE pubname = $1 AND "
      "schemaname = $2 AND tablename = $3",
      {publication, table.schema, table.table});
  if (!after.ok()) return rollback(after.error());
  const std::string now = PQntuples(after->get()) == 1 ? PQgetvalue(after->get(), 0, 0) : "";
  if (now == before) {
    (void)connection.exec("ROLLBACK");
    return {};
  }
  if (auto committed = connection.exec("COMMIT"); !committed.ok()) return committed.error();
  log::write(log::Level::kInfo, pipeline, table.qualified(),
             "publication " + publication + " row filter changed from " +
                 (before.empty() ? std::string("none") : before) + " to " +
                 (now.empty() ? std::string("none") : now));
  return {};
}

}  // namespace

Result<void> ensure_publication(PgConnection& connection, const std::string& publication,
                                const std::vector<event::TableId>& tables,
                                const std::string& pipeline,
                                const std::map<std::string, std::string>& row_filters) {
  if (auto ok = check_row_filters(connection, tables, row_filters); !ok.ok()) return ok;
  auto existing = connection.exec_params(
      "SELECT puballtables FROM pg_publication WHERE pubname = $1", {publication});
  if (!existing.ok()) return existing.error();
  if (PQntuples(existing->get()) == 1) {
    if (PQgetvalue(existing->get(), 0, 0)[0] == 't') {
      if (row_filters.empty()) return {};
      return Error::config("publication " + publication +
                           " is FOR ALL TABLES, which takes no row filter (fix: remove "
                           "pipelines[].tables.row_filters, or DROP PUBLICATION " +
                           publication + " so that tributary creates it for its tables)");
    }
    // PostgreSQL 15 has the row filters of the members; older servers have no filters.
    auto version = connection.exec("SHOW server_version_num");
    if (!version.ok()) return version.error();
    const bool filters = std::stoi(PQgetvalue(version->get(), 0, 0)) >= 150000;
    auto members = connection.exec_params(std::string("SELECT schemaname, tablename, ") +
                                              (filters ? "coalesce(rowfilter, '')" : "''") +
                                              " FROM pg_publication_tables WHERE pubname = $1",
                                          {publication});
    if (!members.ok()) return members.error();
    std::map<std::string, std::string> have;  // schema.table -> its filter as PostgreSQL shows it
    for (int i = 0; i < PQntuples(members->get()); ++i) {
      have[std::string(PQgetvalue(members->get(), i, 0)) + "." + PQgetvalue(members->get(), i, 1)] =
          PQgetvalue(members->get(), i, 2);
    }
    for (const auto& table : tables) {
      auto member = have.find(table.qualified());
      if (member != have.end()) {
        // Configured, or in the publication: make the publication's match the configuration.
        if (filters && (row_filters.contains(table.qualified()) || !member->second.empty())) {
          auto ok = correct_row_filter(connection, publication, table, member->second, row_filters,
                                       pipeline);
          if (!ok.ok()) return ok;
        }
        continue;
      }
      log::info(pipeline, "adding table " + table.qualified() + " to publication " + publication);
      auto added = connection.exec("ALTER PUBLICATION " + connection.quote_identifier(publication) +
                                   " ADD TABLE " + published_table(connection, table, row_filters));
      if (!added.ok()) return added.error();
    }
    return {};
  }
  std::string sql =
      "CREATE PUBLICATION " + connection.quote_identifier(publication) + " FOR TABLE ";
  for (std::size_t i = 0; i < tables.size(); ++i) {
    if (i > 0) sql += ", ";
    sql += published_table(connection, tables[i], row_filters);
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
