// SourceIdentity: which server (and which stream of it) a recorded position belongs to.
#pragma once

#include <cstdint>
#include <string>
#include <variant>

namespace tributary::event {

/// A PostgreSQL source. An LSN means something only in one cluster's WAL history, read through
/// one slot of one database: all four are recorded beside every position.
struct PostgresIdentity {
  /// IDENTIFY_SYSTEM's `systemid`, decimal: chosen by initdb, kept by physical replicas and by
  /// restores of base backups, different for any other cluster.
  std::string system_identifier;
  /// IDENTIFY_SYSTEM's `timeline`: a new one begins at each promotion and point-in-time restore.
  uint32_t timeline = 0;
  std::string database;
  std::string slot;

  bool operator==(const PostgresIdentity&) const = default;
};

/// A MySQL or MariaDB source. Binlog file/position means something only on one server; a GTID
/// set means something across a replication topology (same uuids / domain). Host and port are
/// not part of the identity (a server can move).
struct MysqlIdentity {
  enum class Flavour { kMysql, kMariadb };
  Flavour flavour = Flavour::kMysql;
  /// MySQL: @@server_uuid. Empty on MariaDB (it has none).
  std::string server_uuid;
  /// @@server_id of the server read from.
  uint32_t server_id = 0;
  /// MariaDB: @@gtid_domain_id. 0 on MySQL.
  uint32_t gtid_domain_id = 0;

  bool operator==(const MysqlIdentity&) const = default;
};

/// One alternative per source type; the JSON form names it in "type" ("postgres", "mysql").
using SourceIdentity = std::variant<PostgresIdentity, MysqlIdentity>;

/// "mysql" or "mariadb".
inline const char* to_string(MysqlIdentity::Flavour flavour) {
  return flavour == MysqlIdentity::Flavour::kMariadb ? "mariadb" : "mysql";
}
/// The source type's name as the checkpoint's JSON writes it: "postgres" or "mysql" (MariaDB
/// included); describe() in checkpoint/position_json.hpp gives the whole text.
inline const char* type_name(const SourceIdentity& identity) {
  return std::holds_alternative<PostgresIdentity>(identity) ? "postgres" : "mysql";
}

}  // namespace tributary::event
