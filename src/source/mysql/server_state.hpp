// What a MySQL/MariaDB source reads about the server at set-up, in `check` and in `offsets reset`:
// its identity, the binlog files it still has, and its current binlog position.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "event/source_identity.hpp"
#include "event/source_position.hpp"
#include "source/mysql/connection.hpp"

namespace tributary::source::mysql {

/// Flavour (from the version), @@server_id, and @@server_uuid (MySQL) or @@gtid_domain_id
/// (MariaDB).
Result<event::MysqlIdentity> read_identity(Connection& connection);

struct BinlogFile {
  std::string name;
  uint64_t size = 0;
};
/// SHOW BINARY LOGS, oldest first.
Result<std::vector<BinlogFile>> binary_logs(Connection& connection);

/// "" when `position` is still on the server, else why not (the file was purged, or the position
/// lies beyond its end): for the error texts.
std::string missing_from_server(const event::MysqlPosition& position,
                                const std::vector<BinlogFile>& files);

/// The server's current binlog position (SHOW MASTER STATUS) with the GTID set at it (MariaDB:
/// BINLOG_GTID_POS of that position; MySQL: Executed_Gtid_Set), as a completed-snapshot position.
Result<event::SourcePosition> current_binlog_position(Connection& connection, bool mariadb);

/// MariaDB: BINLOG_GTID_POS(file, pos), the GTID state at that binlog position ("" when none).
Result<std::string> gtid_state_at(Connection& connection, const std::string& file, uint64_t pos);

/// Binlog bytes from `position` to the end of the newest file (0 when not on the server).
uint64_t retained_bytes(const event::MysqlPosition& position, const std::vector<BinlogFile>& files);

}  // namespace tributary::source::mysql
