// Who the connected PostgreSQL server is and how far its WAL goes, for the resume checks.
#pragma once

#include <string>

#include "base/result.hpp"
#include "checkpoint/resume_check.hpp"
#include "source/postgres/pg_connection.hpp"

namespace tributary::source::postgres {

/// On a replication connection (read-only): IDENTIFY_SYSTEM (system identifier, timeline, WAL
/// end, database) and, past timeline 1, TIMELINE_HISTORY of the current timeline. `slot` is the
/// configured slot, recorded as part of the identity.
Result<checkpoint::ServerState> identify_server(PgConnection& replication, const std::string& slot);

}  // namespace tributary::source::postgres
