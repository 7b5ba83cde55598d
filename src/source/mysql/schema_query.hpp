// information_schema -> event::TableSchema for MySQL/MariaDB tables: the same ColumnTypes as the
// binlog's TABLE_MAP gives (binlog/table_schema.hpp), plus what only information_schema knows
// (MariaDB's JSON, a LONGTEXT with a JSON_VALID check, is kJson here).
#pragma once

#include <map>
#include <memory>
#include <regex>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "config/config.hpp"
#include "event/change_event.hpp"
#include "source/mysql/connection.hpp"

namespace tributary::source::mysql {

/// Anchored include/exclude regexes on "database.table".
/// The labels of an ENUM or SET COLUMN_TYPE: "enum('a','b''c')" -> {"a", "b'c"}.
std::vector<std::string> labels_of(const std::string& column_type);

class TableFilter {
 public:
  TableFilter(const std::vector<std::string>& include, const std::vector<std::string>& exclude);
  bool matches(const event::TableId& id) const;

 private:
  std::vector<std::regex> include_;
  std::vector<std::regex> exclude_;
};

/// Base tables (no views, no system databases) the filter accepts, ordered by database, table.
Result<std::vector<event::TableId>> list_tables(Connection& connection, const TableFilter& filter);

/// One column as information_schema.COLUMNS describes it (the inputs of column_type()).
struct ColumnFacts {
  std::string name;
  std::string data_type;     ///< DATA_TYPE, lowercased: "int", "varchar", "decimal", ...
  std::string column_type;   ///< COLUMN_TYPE: "int(10) unsigned", "enum('a','b')", "bit(8)"
  std::string charset;       ///< CHARACTER_SET_NAME ("" for non-text)
  int64_t char_length = -1;  ///< CHARACTER_MAXIMUM_LENGTH (characters), -1: NULL
  int precision = -1;        ///< NUMERIC_PRECISION
  int scale = -1;            ///< NUMERIC_SCALE
  int fsp = -1;              ///< DATETIME_PRECISION
  bool nullable = true;
  bool json_check = false;  ///< MariaDB: a CHECK (json_valid(col)) on it
};

/// Maps one column; false: not encodable (`type.source_name` then names it, the column is to
/// be omitted). Same kinds, precision/scale and source_name as binlog::table_schema.
bool column_type(const ColumnFacts& facts, event::ColumnType& type);

/// The table's columns (ORDINAL_POSITION order), types, nullability and key: its
/// `key_overrides` entry ("db.table" -> "col1,col2", pipelines[].message_key_columns; a column
/// the table lacks is a kConfig error naming the key and the fix), else the primary key, else
/// Debezium's first unique index of NOT NULL columns. With `unsupported` kFail a column that
/// cannot be encoded is a kConfig error naming every such column; kSkip marks it omitted. An
/// unencodable key column is always an error.
Result<std::shared_ptr<const event::TableSchema>> load_table_schema(
    Connection& connection, const event::TableId& id, config::UnsupportedColumns unsupported,
    const std::map<std::string, std::string>& key_overrides);

}  // namespace tributary::source::mysql
