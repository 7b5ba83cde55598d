// TABLE_MAP (with binlog_row_metadata=FULL) -> event::TableSchema, typed per DEBEZIUM_FORMAT.md.
#pragma once

#include <string>
#include <vector>

#include "base/result.hpp"
#include "event/change_event.hpp"
#include "source/mysql/binlog/table_map.hpp"

namespace tributary::source::mysql::binlog {

/// The table's schema: id database.table, one Column per TABLE_MAP column (name, ColumnType with
/// `source_name` like "decimal(10,2)", "varchar(20)", "int unsigned", nullability from the null
/// bitmap), key columns from the primary-key metadata (none: no key). A type it cannot encode
/// (GEOMETRY, a character set other than utf8mb3/utf8mb4/latin1/ascii/binary) is `omitted`.
/// `version` is left 0 (the schema tracker numbers versions).
///
/// MariaDB's JSON is a LONGTEXT with a CHECK: TABLE_MAP calls it longtext (kString); only
/// information_schema tells it apart. Without column names (binlog_row_metadata MINIMAL) this
/// is a kConfig error naming the setting.
Result<event::TableSchema> table_schema(const TableMap& map);

/// Pieces of the `source_name` of a column, as MySQL spells types (shared with the
/// information_schema mapping of the snapshot, so both name a type alike):
/// "'a','b''c'" for ENUM/SET labels; "time" or "time(3)" for a fractional-second precision.
std::string quoted_list(const std::vector<std::string>& labels);
std::string with_fsp(const char* name, int fsp);

}  // namespace tributary::source::mysql::binlog
