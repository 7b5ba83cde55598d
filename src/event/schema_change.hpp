// A DDL statement as Debezium's schema change event describes it: the statement and, per table it
// touched, the table's structure (io.debezium.connector.schema.Table / Column).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "event/change_event.hpp"

namespace tributary::event {

/// One column as Debezium's schema history describes it (ConnectTableChangeSerializer).
struct DdlColumn {
  std::string name;
  int32_t jdbc_type = 1111;     ///< java.sql.Types (OTHER when unknown)
  std::string type_name;        ///< "INT UNSIGNED", "VARCHAR"
  std::string type_expression;  ///< as type_name (Debezium's MySQL parser sets both alike)
  std::optional<std::string> charset;
  std::optional<int32_t> length;  ///< VARCHAR(n) -> n, DECIMAL(p,s) -> p, DATETIME(f) -> f
  std::optional<int32_t> scale;
  int32_t position = 0;  ///< 1-based
  bool optional = true;
  bool auto_incremented = false;
  bool generated = false;
  std::optional<std::string> comment;
  std::optional<std::string> default_expression;
  std::vector<std::string> enum_values;  ///< ENUM/SET members
  bool operator==(const DdlColumn&) const = default;
};

enum class TableChangeType { kCreate, kAlter, kDrop };

struct TableChange {
  TableChangeType type = TableChangeType::kAlter;
  TableId id;
  std::optional<std::string> default_charset;
  std::vector<std::string> primary_key;
  std::vector<DdlColumn> columns;
  std::optional<std::string> comment;
  bool operator==(const TableChange&) const = default;
};

/// A DDL statement of a captured database, in binlog order with the change events around it.
struct SchemaChange {
  std::string database;  ///< the statement's database (its default one, or the one it names)
  std::string ddl;
  std::vector<TableChange> tables;  ///< empty for database DDL and TRUNCATE
  SourceInfo source;
  std::string source_table;  ///< source.table: the tables it touched, comma-separated
  SourcePosition position;   ///< position reached once this record is durably emitted
};

}  // namespace tributary::event
