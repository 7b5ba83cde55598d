// Read-only checks of a PostgreSQL source behind `tributary check` and `offsets reset`.
#include "source/postgres/preflight.hpp"

#include "checkpoint/resume_check.hpp"
#include "source/postgres/catalog.hpp"
#include "source/postgres/pg_connection.hpp"
#include "source/postgres/server_identity.hpp"
#include "source/postgres/slot_manager.hpp"

namespace tributary::source::postgres {
namespace {

std::string tls_description(PGconn* conn) {
  if (!PQsslInUse(conn)) return " without TLS";
  const char* protocol = PQsslAttribute(conn, "protocol");
  const char* cipher = PQsslAttribute(conn, "cipher");
  return std::string(" over TLS (") + (protocol ? protocol : "?") + ", " + (cipher ? cipher : "?") +
         ")";
}

/// What run does with the tables as this role: SELECT each (the snapshot), and create the
/// publication or add the tables missing from it, which PostgreSQL allows only their owner.
template <class Problem, class Fact>
void check_table_access(PgConnection& connection, const config::SourceConfig& source,
                        const std::vector<event::TableId>& tables, Problem& problem, Fact& fact) {
  const std::string role = connection.quote_identifier(source.user);
  const std::string publication = connection.quote_identifier(source.publication);
  auto existing = connection.exec_params(
      "SELECT puballtables FROM pg_publication WHERE pubname = $1", {source.publication});
  if (!existing.ok()) return problem(existing.error().message);
  const bool exists = PQntuples(existing->get()) == 1;
  if (exists && PQgetvalue(existing->get(), 0, 0)[0] == 't') return;  // FOR ALL TABLES
  std::vector<std::string> missing;                                   // from the publication
  std::vector<std::string> not_owned;  // of those, the ones this role cannot add
  for (const auto& table : tables) {
    const std::string name =
        connection.quote_identifier(table.schema) + "." + connection.quote_identifier(table.table);
    auto access = connection.exec_params(
        "SELECT has_table_privilege(c.oid, 'SELECT'), pg_has_role(c.relowner, 'USAGE') OR "
        "(SELECT rolsuper FROM pg_roles WHERE rolname = current_user), EXISTS (SELECT 1 FROM "
        "pg_publication_tables p WHERE p.pubname = $2 AND p.schemaname = n.nspname AND "
        "p.tablename = c.relname) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = $1 AND c.relname = $3",
        {table.schema, source.publication, table.table});
    if (!access.ok()) {
      problem(access.error().message);
      continue;
    }
    if (PQntuples(access->get()) != 1) continue;  // dropped since it was listed
    if (PQgetvalue(access->get(), 0, 0)[0] != 't') {
      problem("role " + source.user + " lacks SELECT on " + table.qualified() +
              ": the snapshot cannot read it (fix: GRANT SELECT ON " + name + " TO " + role + ";)");
    }
    if (PQgetvalue(access->get(), 0, 2)[0] == 't') continue;
    missing.push_back(name);
    if (PQgetvalue(access->get(), 0, 1)[0] != 't') not_owned.push_back(name);
  }
  if (missing.empty()) return;
  std::string list;
  for (const auto& name : missing) list += (list.empty() ? "" : ", ") + name;
  if (not_owned.empty()) {
    fact(exists ? "publication " + source.publication + " lacks " + list + ": run adds them"
                : "publication " + source.publication + " does not exist yet: run creates it");
  } else if (exists) {
    problem("publication " + source.publication + " lacks " + list + ", and role " + source.user +
            " does not own them all, which ALTER PUBLICATION needs (fix: as the owner of the "
            "publication and tables: ALTER PUBLICATION " +
            publication + " ADD TABLE " + list + ";)");
  } else {
    problem("publication " + source.publication + " does not exist, and role " + source.user +
            " does not own every table, which CREATE PUBLICATION needs (fix: as the tables' "
            "owner or a superuser: CREATE PUBLICATION " +
            publication + " FOR TABLE " + list + "; or set source.publication to an existing one)");
  }
}

}  // namespace

PreflightReport preflight(const config::PipelineConfig& pipeline,
                          const std::optional<checkpoint::PositionRecord>& resume) {
  PreflightReport report;
  auto& out = report.findings;
  auto problem = [&](std::string text) { out.push_back({true, pipeline.name, std::move(text)}); };
  auto fact = [&](std::string text) { out.push_back({false, pipeline.name, std::move(text)}); };
  const auto& source = pipeline.source;

  auto connection = PgConnection::connect(source, PgConnection::Mode::kNormal,
                                          "tributary-" + pipeline.name + "-check");
  if (!connection.ok()) {
    problem(connection.error().message);
    return report;
  }
  Catalog catalog(std::move(connection.value()));
  catalog.set_unsupported_columns(pipeline.tables.unsupported_columns);
  catalog.set_message_key_columns(pipeline.message_key_columns);
  fact("connected to PostgreSQL " + source.host + ":" + std::to_string(source.port) + "/" +
       source.database + " as " + source.user + tls_description(catalog.connection().raw()) +
       ", sslmode " + source.sslmode);
  if (auto ok = check_prerequisites(catalog.connection(), source.user); !ok.ok()) {
    problem(ok.error().message);
  }

  TableFilter filter(pipeline.tables.include, pipeline.tables.exclude);
  auto tables = catalog.list_tables(filter);
  if (!tables.ok()) {
    problem(tables.error().message);
    return report;
  }
  if (tables->empty()) {
    problem("no table matches tables.include (anchored regexes on schema.table)");
  } else {
    fact(std::to_string(tables->size()) + " table(s) to capture");
  }
  report.tables = *tables;
  for (const auto& table : *tables) {
    // Every unsupported column is reported, not only the first.
    auto schema = catalog.load_table_schema(table);
    if (!schema.ok()) {
      problem(schema.error().message);
      continue;
    }
    for (const auto& column : (*schema)->columns) {
      if (!column.omitted) continue;
      fact("column " + table.qualified() + "." + column.name + " has type " +
           column.type.source_name +
           ", which tributary cannot encode: it will be left out of the events "
           "(tables.unsupported_columns: skip; set it to fail to stop instead)");
    }
  }

  check_table_access(catalog.connection(), source, *tables, problem, fact);
  if (const std::string& signals = pipeline.signals.table; !signals.empty()) {
    // run adds the signal table to the publication; it must exist (same check as run's).
    auto& connection = catalog.connection();
    const auto dot = signals.find('.');
    auto exists =
        connection.exec_params("SELECT to_regclass($1) IS NOT NULL",
                               {connection.quote_identifier(signals.substr(0, dot)) + "." +
                                connection.quote_identifier(signals.substr(dot + 1))});
    if (!exists.ok()) {
      problem(exists.error().message);
    } else if (PQgetvalue(exists->get(), 0, 0)[0] != 't') {
      problem("signals.table " + signals + " does not exist in database " + source.database +
              " (fix: CREATE TABLE " + signals +
              " (id varchar(42) PRIMARY KEY, type varchar(32) NOT NULL, data varchar(2048)), or "
              "unset signals.table)");
    } else {
      fact("signals.table " + signals + " exists: run reads its inserted rows as signals");
    }
  }
  auto slot = read_slot(catalog.connection(), source.slot);
  if (!slot.ok()) {
    problem(slot.error().message);
  } else if (!slot->exists) {
    fact("replication slot " + source.slot + " does not exist yet: run creates it");
  } else if (slot->plugin != "pgoutput") {
    problem("replication slot " + source.slot + " uses plugin " + slot->plugin +
            ", tributary needs pgoutput (fix: choose another source.slot, or drop this slot)");
  } else if (slot->active) {
    problem("replication slot " + source.slot +
            " is in use by another connection (another tributary instance?)");
  } else {
    fact("replication slot " + source.slot + " exists, confirmed up to " +
         event::format_lsn(slot->confirmed_flush_lsn));
  }

  auto replication = PgConnection::connect(source, PgConnection::Mode::kReplication,
                                           "tributary-" + pipeline.name + "-check");
  std::optional<checkpoint::ServerState> server;
  if (!replication.ok()) {
    problem("replication connection: " + replication.error().message);
  } else if (auto identified = identify_server(**replication, source.slot); !identified.ok()) {
    problem("replication connection: " + identified.error().message);
  } else {
    server = std::move(*identified);
    fact("server: " + checkpoint::describe(server->identity) + ", WAL up to " +
         event::format_lsn(server->wal_end));
  }

  if (!resume) return report;
  auto& resume_out = report.resume_findings;
  auto resume_problem = [&](std::string text) {
    resume_out.push_back({true, pipeline.name, std::move(text)});
  };
  auto resume_fact = [&](std::string text) {
    resume_out.push_back({false, pipeline.name, std::move(text)});
  };
  if (resume->position.snapshot_completed && resume->tables) {
    for (const auto& table : *tables) {
      if (event::find_table(*resume->tables, table) != nullptr) continue;
      resume_fact("table " + table.qualified() +
                  " joins the capture set on the next start (it is not " +
                  "in the recorded set): " +
                  (pipeline.snapshot.mode == config::SnapshotMode::kNever
                       ? "its existing rows are not emitted (snapshot.mode never), its changes are"
                       : "its rows will be snapshotted (op r), then its changes") +
                  " streamed");
    }
  }
  if (!server) return report;
  auto checked = checkpoint::check_resume(*resume, *server);
  if (!checked.ok()) {
    resume_problem(checked.error().message);
    return report;
  }
  if (!checked->empty()) resume_fact(*checked);
  // As run decides: the slot is streamed from (not recreated by a snapshot) once one completed.
  const bool streams_from_slot = resume->position.snapshot_completed &&
                                 pipeline.snapshot.mode != config::SnapshotMode::kAlways;
  if (slot.ok() && slot->exists && streams_from_slot) {
    if (auto ok = checkpoint::check_slot(*resume, source.slot, slot->confirmed_flush_lsn);
        !ok.ok()) {
      resume_problem(ok.error().message);
    }
  }
  return report;
}

Result<CurrentPosition> current_position(const config::PipelineConfig& pipeline,
                                         bool need_position) {
  const auto& source = pipeline.source;
  const std::string& name = pipeline.name;
  // The slot must be free (no daemon streaming) and, for a position, usable.
  auto catalog =
      PgConnection::connect(source, PgConnection::Mode::kNormal, "tributary-" + name + "-reset");
  if (!catalog.ok()) return catalog.error();
  auto slot = read_slot(**catalog, source.slot);
  if (!slot.ok()) return slot.error();
  const std::string where = source.host + ":" + std::to_string(source.port) + "/" + source.database;
  if (slot->exists && slot->active) {
    return Error::config("replication slot " + source.slot + " on " + where +
                         " is in use by another connection (a running tributary of "
                         "this pipeline?) (fix: stop it first, then reset)");
  }
  if (need_position) {
    if (!slot->exists) {
      return Error::config("replication slot " + source.slot + " does not exist on " + where +
                           ", so there is no position to stream from (fix: "
                           "--snapshot, which creates the slot and emits every row)");
    }
    if (slot->plugin != "pgoutput") {
      return Error::config("replication slot " + source.slot + " uses plugin " + slot->plugin +
                           ", tributary needs pgoutput (fix: --snapshot "
                           "after dropping the slot, or choose another source.slot)");
    }
  }
  auto replication = PgConnection::connect(source, PgConnection::Mode::kReplication,
                                           "tributary-" + name + "-reset");
  if (!replication.ok()) return replication.error();
  auto server = identify_server(**replication, source.slot);
  if (!server.ok()) return server.error();

  CurrentPosition current{server->identity, std::nullopt, "", ""};
  if (slot->exists) {
    event::SourcePosition position;
    position.snapshot_completed = true;
    position.postgres().lsn = slot->confirmed_flush_lsn;
    current.position = position;
    current.where =
        "replication slot " + source.slot + " at " + event::format_lsn(slot->confirmed_flush_lsn);
    current.snapshot_note = " (dropping and recreating replication slot " + source.slot + ")";
  }
  return current;
}

}  // namespace tributary::source::postgres
