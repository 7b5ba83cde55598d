// IDENTIFY_SYSTEM and TIMELINE_HISTORY on the replication connection.
#include "source/postgres/server_identity.hpp"

#include <charconv>

namespace tributary::source::postgres {

Result<checkpoint::ServerState> identify_server(PgConnection& replication,
                                                const std::string& slot) {
  // IDENTIFY_SYSTEM: one row of systemid (text), timeline (int4; int8 from 15), xlogpos (text
  // LSN), dbname (text, null on physical connections).
  auto identified = replication.exec("IDENTIFY_SYSTEM");
  if (!identified.ok()) return identified.error();
  PGresult* row = identified->get();
  if (PQntuples(row) != 1 || PQnfields(row) < 4) {
    return Error::fatal("IDENTIFY_SYSTEM returned " + std::to_string(PQntuples(row)) + " rows of " +
                        std::to_string(PQnfields(row)) + " columns, expected 1 of 4");
  }
  event::PostgresIdentity identity;
  identity.system_identifier = PQgetvalue(row, 0, 0);
  const std::string timeline = PQgetvalue(row, 0, 1);
  auto [end, error] =
      std::from_chars(timeline.data(), timeline.data() + timeline.size(), identity.timeline);
  if (error != std::errc() || end != timeline.data() + timeline.size() || identity.timeline == 0) {
    return Error::fatal("IDENTIFY_SYSTEM returned timeline \"" + timeline + "\"");
  }
  checkpoint::ServerState state;
  if (!event::parse_lsn(PQgetvalue(row, 0, 2), state.wal_end)) {
    return Error::fatal(std::string("IDENTIFY_SYSTEM returned xlogpos \"") + PQgetvalue(row, 0, 2) +
                        "\"");
  }
  identity.database = PQgetisnull(row, 0, 3) ? "" : PQgetvalue(row, 0, 3);
  identity.slot = slot;

  if (identity.timeline > 1) {
    // One row: filename, content (the history file's bytes, whatever the column type says).
    auto history = replication.exec("TIMELINE_HISTORY " + std::to_string(identity.timeline));
    if (!history.ok()) return history.error();
    if (PQntuples(history->get()) != 1 || PQnfields(history->get()) < 2) {
      return Error::fatal("TIMELINE_HISTORY returned an unexpected result");
    }
    std::string_view content(PQgetvalue(history->get(), 0, 1),
                             static_cast<std::size_t>(PQgetlength(history->get(), 0, 1)));
    auto parsed = checkpoint::parse_timeline_history(content);
    if (!parsed.ok()) return Error::fatal("TIMELINE_HISTORY: " + parsed.error().message);
    state.timeline_history = std::move(*parsed);
  }
  state.identity = std::move(identity);
  return state;
}

}  // namespace tributary::source::postgres
