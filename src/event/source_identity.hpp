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

/// One alternative per source type (MySQL/MariaDB: server UUID or id and GTID domain, once that
/// source exists); the JSON form names it in "type".
using SourceIdentity = std::variant<PostgresIdentity>;

}  // namespace tributary::event
