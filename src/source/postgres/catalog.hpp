// PostgreSQL catalog lookups: included tables, primary keys, and type OID -> ColumnType.
#pragma once

#include <map>
#include <memory>
#include <regex>
#include <string>
#include <utility>
#include <vector>

#include "base/result.hpp"
#include "config/config.hpp"
#include "event/change_event.hpp"
#include "source/postgres/pg_connection.hpp"

namespace tributary::source::postgres {

/// Anchored include/exclude regexes on "schema.table".
class TableFilter {
 public:
  TableFilter(const std::vector<std::string>& include, const std::vector<std::string>& exclude);
  bool matches(const event::TableId& id) const;

 private:
  std::vector<std::regex> include_;
  std::vector<std::regex> exclude_;
};

/// Reads the catalog over a normal (non-replication) connection and caches what it learns.
/// @locality the pipeline's loop thread (or one snapshot/setup thread at a time).
class Catalog {
 public:
  explicit Catalog(std::unique_ptr<PgConnection> connection);

  PgConnection& connection() { return *connection_; }

  /// What load_table_schema and build_table_schema do with a column whose type cannot be
  /// encoded: kFail (the default) makes it a kConfig error naming every such column; kSkip marks
  /// it `omitted` (left out of the events), unless it is a key column (still an error).
  void set_unsupported_columns(config::UnsupportedColumns policy) { unsupported_ = policy; }
  config::UnsupportedColumns unsupported_columns() const { return unsupported_; }

  /// pipelines[].message_key_columns ("schema.table" -> "col1,col2"): load_table_schema keys
  /// these tables by them (key_columns.hpp).
  void set_message_key_columns(std::map<std::string, std::string> entries) {
    message_key_columns_ = std::move(entries);
  }

  /// Ordinary and partitioned tables outside the system schemas that the filter accepts.
  Result<std::vector<event::TableId>> list_tables(const TableFilter& filter);

  /// The table's columns (attnum order, no dropped or generated columns), types and key.
  Result<std::shared_ptr<const event::TableSchema>> load_table_schema(const event::TableId& id);

  /// Maps a type OID with modifier to a ColumnType; an unsupported type is a kConfig error
  /// naming `column_path` and the type.
  Result<event::ColumnType> resolve_type(uint32_t oid, int32_t typmod,
                                         const std::string& column_path);

  /// Primary key column names in key order (empty when the table has none), by relation OID.
  Result<std::vector<std::string>> primary_key(uint32_t relation_oid);

  Result<uint32_t> relation_oid(const event::TableId& id);

  /// Column name -> its DEFAULT expression (pg_get_expr of pg_attrdef), by relation OID.
  Result<std::map<std::string, std::string>> column_defaults(uint32_t relation_oid);

  /// "schema.typname" of a type OID, for messages.
  Result<std::string> type_name(uint32_t oid);

 private:
  struct TypeInfo {
    std::string schema;
    std::string name;
    char typtype = 'b';
    char category = 'U';
    uint32_t element = 0;
    uint32_t base = 0;
    int32_t base_typmod = -1;
  };
  Result<TypeInfo> type_info(uint32_t oid);

  std::unique_ptr<PgConnection> connection_;
  config::UnsupportedColumns unsupported_ = config::UnsupportedColumns::kFail;
  std::map<std::string, std::string> message_key_columns_;
  std::map<uint32_t, TypeInfo> type_cache_;
  std::map<uint32_t, std::vector<std::string>> enum_cache_;
};

/// Builds a TableSchema from column descriptions (name, type OID, typmod, nullable), marking key
/// columns from `key_names` (in key order). Unsupported types as catalog.unsupported_columns()
/// says.
struct RawColumn {
  std::string name;
  uint32_t type_oid = 0;
  int32_t typmod = -1;
  bool optional = true;
};
Result<std::shared_ptr<const event::TableSchema>> build_table_schema(
    Catalog& catalog, const event::TableId& id, uint32_t relation_oid,
    const std::vector<RawColumn>& columns, const std::vector<std::string>& key_names);

/// Logs, once per process, pipeline, table and column, that `schema`'s omitted columns are left
/// out of the events (a warning naming the type and the key to change).
void warn_omitted_columns(const std::string& pipeline, const event::TableSchema& schema);

}  // namespace tributary::source::postgres
