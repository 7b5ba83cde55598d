// TABLE_MAP (with binlog_row_metadata=FULL) -> event::TableSchema, typed per DEBEZIUM_FORMAT.md.
#pragma once

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

}  // namespace tributary::source::mysql::binlog
