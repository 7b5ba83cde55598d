// DDL QUERY events -> event::SchemaChange (pipelines[].schema_changes): which statement it is and
// which tables it touches (from its first words), and the tables' structure from
// information_schema, as Debezium's MySQL schema change events carry it.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "event/schema_change.hpp"
#include "source/mysql/connection.hpp"

namespace tributary::source::mysql {

/// A statement's first keyword, upper-cased, after white space and comments ("BEGIN", "COMMIT").
std::string leading_keyword(std::string_view sql);

/// The table a "TRUNCATE [TABLE] name" statement names (`default_db` when unqualified);
/// nullopt for any other statement.
std::optional<event::TableId> truncated_table(std::string_view sql, const std::string& default_db);

enum class DdlKind {
  kCreateTable,
  kAlterTable,
  kDropTable,
  kRenameTable,  ///< tables: old, new, old, new, ...
  kTruncateTable,
  kCreateDatabase,
  kDropDatabase,
};

struct DdlStatement {
  DdlKind kind = DdlKind::kAlterTable;
  std::vector<event::TableId> tables;  ///< unqualified names take the statement's database
  std::string database;                ///< database DDL: the one named; else the default one
};

/// The statement a QUERY event holds, when it is one of the DDL above (TEMPORARY tables are not
/// replicated in row format and give nullopt, as does any other statement). Comments (/* */) and
/// IF [NOT] EXISTS, OR REPLACE, ONLINE, IGNORE are skipped.
std::optional<DdlStatement> parse_ddl(std::string_view sql, const std::string& default_db);

/// java.sql.Types of an information_schema DATA_TYPE, as Debezium's MySQL parser resolves it.
int32_t jdbc_type_of(std::string_view data_type);

/// The table as information_schema describes it now; nullopt when it has no such table (dropped
/// or renamed by a later statement already). @locality the stream's worker thread (blocks).
Result<std::optional<event::TableChange>> describe_table(Connection& connection,
                                                         const event::TableId& id);

/// A table's last known columns (from its TableSchema) when information_schema no longer has it
/// (DROP, or a later DDL already ran): names, types, nullability and key only.
event::TableChange describe_from_schema(const event::TableSchema& schema);

}  // namespace tributary::source::mysql
