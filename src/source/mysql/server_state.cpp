// Identity, binlog files and current position of a MySQL/MariaDB server.
#include "source/mysql/server_state.hpp"

#include <charconv>

#include "source/mysql/preflight.hpp"

namespace tributary::source::mysql {
namespace {

uint64_t to_u64(const std::optional<std::string>& text) {
  uint64_t value = 0;
  if (text) std::from_chars(text->data(), text->data() + text->size(), value);
  return value;
}

}  // namespace

Result<event::MysqlIdentity> read_identity(Connection& connection) {
  event::MysqlIdentity identity;
  const auto version = parse_server_version(connection.server_version());
  const bool mariadb = version.flavour == Flavour::kMariadb;
  identity.flavour =
      mariadb ? event::MysqlIdentity::Flavour::kMariadb : event::MysqlIdentity::Flavour::kMysql;
  auto rows = connection.query(mariadb ? "SELECT @@server_id, @@gtid_domain_id"
                                       : "SELECT @@server_id, @@server_uuid");
  if (!rows) return rows.error();
  if (rows->empty() || (*rows)[0].size() < 2) {
    return Error::fatal(connection.where() + ": no answer to the server identity query");
  }
  identity.server_id = static_cast<uint32_t>(to_u64((*rows)[0][0]));
  if (mariadb) {
    identity.gtid_domain_id = static_cast<uint32_t>(to_u64((*rows)[0][1]));
  } else {
    identity.server_uuid = (*rows)[0][1].value_or("");
  }
  return identity;
}

Result<std::vector<BinlogFile>> binary_logs(Connection& connection) {
  auto rows = connection.query("SHOW BINARY LOGS");
  if (!rows) return rows.error();
  std::vector<BinlogFile> files;
  for (const auto& row : *rows) {
    if (row.size() < 2 || !row[0]) continue;
    files.push_back({*row[0], to_u64(row[1])});
  }
  return files;
}

std::string missing_from_server(const event::MysqlPosition& position,
                                const std::vector<BinlogFile>& files) {
  for (const auto& file : files) {
    if (file.name != position.file) continue;
    if (position.pos > file.size) {
      return "position " + std::to_string(position.pos) + " lies beyond the end of binlog file " +
             file.name + " (" + std::to_string(file.size) + " bytes)";
    }
    return "";
  }
  std::string oldest = files.empty() ? std::string("none") : files.front().name;
  return "binlog file " + position.file + " is no longer on the server (purged; the oldest is " +
         oldest + ")";
}

Result<event::SourcePosition> current_binlog_position(Connection& connection, bool mariadb) {
  auto rows = connection.query("SHOW MASTER STATUS");
  if (!rows) return rows.error();
  if (rows->empty() || (*rows)[0].size() < 2 || !(*rows)[0][0]) {
    return Error::config(connection.where() +
                         ": SHOW MASTER STATUS returns nothing: the binlog is off (fix: log_bin "
                         "= ON in my.cnf, then restart the server)");
  }
  event::SourcePosition position;
  position.snapshot_completed = true;
  auto& at = position.mysql();
  at.file = *(*rows)[0][0];
  at.pos = to_u64((*rows)[0][1]);
  if (mariadb) {
    auto gtid = gtid_state_at(connection, at.file, at.pos);
    if (!gtid) return gtid.error();
    at.gtid_set = std::move(*gtid);
  } else if ((*rows)[0].size() >= 5) {
    at.gtid_set = (*rows)[0][4].value_or("");
  }
  return position;
}

Result<std::string> gtid_state_at(Connection& connection, const std::string& file, uint64_t pos) {
  auto gtid = connection.query("SELECT BINLOG_GTID_POS(" + connection.quote_literal(file) + ", " +
                               std::to_string(pos) + ")");
  if (!gtid) return gtid.error();
  if (gtid->empty() || (*gtid)[0].empty()) return std::string();
  return (*gtid)[0][0].value_or("");
}

uint64_t retained_bytes(const event::MysqlPosition& position,
                        const std::vector<BinlogFile>& files) {
  uint64_t total = 0;
  bool found = false;
  for (const auto& file : files) {
    if (file.name == position.file) {
      found = true;
      total += file.size > position.pos ? file.size - position.pos : 0;
    } else if (found) {
      total += file.size;
    }
  }
  return total;
}

}  // namespace tributary::source::mysql
