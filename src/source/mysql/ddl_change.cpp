// DDL statement recognition and information_schema table descriptions for schema change records.
#include "source/mysql/ddl_change.hpp"

#include <algorithm>
#include <cctype>

#include "source/mysql/schema_query.hpp"

namespace tributary::source::mysql {
namespace {

/// Skips white space and /* */ and -- comments.
void skip_space(std::string_view& sql) {
  while (!sql.empty()) {
    if (std::isspace(static_cast<unsigned char>(sql.front()))) {
      sql.remove_prefix(1);
    } else if (sql.substr(0, 2) == "/*") {
      const std::size_t end = sql.find("*/", 2);
      sql.remove_prefix(end == std::string_view::npos ? sql.size() : end + 2);
    } else if (sql.substr(0, 3) == "-- " || sql.front() == '#') {
      const std::size_t end = sql.find('\n');
      sql.remove_prefix(end == std::string_view::npos ? sql.size() : end + 1);
    } else {
      return;
    }
  }
}

std::string word(std::string_view& sql) {
  skip_space(sql);
  std::string text;
  while (!sql.empty() &&
         (std::isalnum(static_cast<unsigned char>(sql.front())) || sql.front() == '_')) {
    text += static_cast<char>(std::toupper(static_cast<unsigned char>(sql.front())));
    sql.remove_prefix(1);
  }
  return text;
}

/// Consumes the words if they come next; leaves `sql` alone otherwise.
bool accept(std::string_view& sql, std::initializer_list<const char*> words) {
  std::string_view rest = sql;
  for (const char* expected : words) {
    if (word(rest) != expected) return false;
  }
  sql = rest;
  return true;
}

/// An identifier, `quoted` or bare; "" if none.
std::string identifier(std::string_view& sql) {
  skip_space(sql);
  std::string name;
  if (!sql.empty() && sql.front() == '`') {
    sql.remove_prefix(1);
    while (!sql.empty()) {
      const char c = sql.front();
      sql.remove_prefix(1);
      if (c == '`') {
        if (!sql.empty() && sql.front() == '`') {
          name += '`';
          sql.remove_prefix(1);
          continue;
        }
        return name;
      }
      name += c;
    }
    return "";
  }
  while (!sql.empty() && (std::isalnum(static_cast<unsigned char>(sql.front())) ||
                          sql.front() == '_' || sql.front() == '$')) {
    name += sql.front();
    sql.remove_prefix(1);
  }
  return name;
}

std::optional<event::TableId> table_name(std::string_view& sql, const std::string& default_db) {
  std::string first = identifier(sql);
  if (first.empty()) return std::nullopt;
  skip_space(sql);
  if (!sql.empty() && sql.front() == '.') {
    sql.remove_prefix(1);
    std::string second = identifier(sql);
    if (second.empty()) return std::nullopt;
    return event::TableId{std::move(first), std::move(second)};
  }
  if (default_db.empty()) return std::nullopt;
  return event::TableId{default_db, std::move(first)};
}

bool comma(std::string_view& sql) {
  skip_space(sql);
  if (sql.empty() || sql.front() != ',') return false;
  sql.remove_prefix(1);
  return true;
}

std::string upper(std::string text) {
  for (char& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return text;
}

/// "varchar(255)" -> {255}, "decimal(10,2) unsigned" -> {10, 2}; enum/set labels are not sizes.
std::vector<int32_t> sizes_of(const std::string& column_type) {
  std::vector<int32_t> sizes;
  const std::size_t open = column_type.find('(');
  if (open == std::string::npos) return sizes;
  std::size_t at = open + 1;
  while (at < column_type.size() && std::isdigit(static_cast<unsigned char>(column_type[at]))) {
    int64_t number = 0;
    while (at < column_type.size() && std::isdigit(static_cast<unsigned char>(column_type[at]))) {
      number = std::min<int64_t>(number * 10 + (column_type[at] - '0'), INT32_MAX);
      ++at;
    }
    sizes.push_back(static_cast<int32_t>(number));
    if (at < column_type.size() && column_type[at] == ',') ++at;
  }
  return sizes;
}

/// MariaDB writes COLUMN_DEFAULT as an SQL expression: NULL, 'text' (quoted), 0,
/// current_timestamp().
std::optional<std::string> default_expression(const std::optional<std::string>& text) {
  if (!text || *text == "NULL") return std::nullopt;
  const std::string& value = *text;
  if (value.size() >= 2 && value.front() == '\'' && value.back() == '\'') {
    std::string unquoted;
    for (std::size_t i = 1; i + 1 < value.size(); ++i) {
      if (value[i] == '\'' && i + 2 < value.size() && value[i + 1] == '\'') ++i;
      unquoted.push_back(value[i]);
    }
    return unquoted;
  }
  return value;
}

}  // namespace

std::string leading_keyword(std::string_view sql) {
  return word(sql);
}

std::optional<event::TableId> truncated_table(std::string_view sql, const std::string& default_db) {
  if (word(sql) != "TRUNCATE") return std::nullopt;
  accept(sql, {"TABLE"});
  auto id = table_name(sql, default_db);
  if (!id) return std::nullopt;
  skip_space(sql);
  while (!sql.empty() && sql.front() == ';') {
    sql.remove_prefix(1);
    skip_space(sql);
  }
  if (!sql.empty()) return std::nullopt;
  return id;
}

std::optional<DdlStatement> parse_ddl(std::string_view sql, const std::string& default_db) {
  DdlStatement statement;
  statement.database = default_db;
  const std::string verb = word(sql);
  if (verb == "CREATE" || verb == "DROP") {
    accept(sql, {"OR", "REPLACE"});
    std::string_view rest = sql;
    const std::string what = word(rest);
    if (what == "DATABASE" || what == "SCHEMA") {
      sql = rest;
      if (verb == "CREATE") {
        accept(sql, {"IF", "NOT", "EXISTS"});
      } else {
        accept(sql, {"IF", "EXISTS"});
      }
      statement.database = identifier(sql);
      if (statement.database.empty()) return std::nullopt;
      statement.kind = verb == "CREATE" ? DdlKind::kCreateDatabase : DdlKind::kDropDatabase;
      return statement;
    }
    if (what != "TABLE") return std::nullopt;  // TEMPORARY, VIEW, INDEX, ...
    sql = rest;
    if (verb == "CREATE") {
      accept(sql, {"IF", "NOT", "EXISTS"});
      auto id = table_name(sql, default_db);
      if (!id) return std::nullopt;
      statement.kind = DdlKind::kCreateTable;
      statement.tables.push_back(std::move(*id));
      return statement;
    }
    accept(sql, {"IF", "EXISTS"});
    statement.kind = DdlKind::kDropTable;
    do {
      auto id = table_name(sql, default_db);
      if (!id) return std::nullopt;
      statement.tables.push_back(std::move(*id));
    } while (comma(sql));
    return statement;
  }
  if (verb == "ALTER") {
    accept(sql, {"ONLINE"});
    accept(sql, {"IGNORE"});
    if (word(sql) != "TABLE") return std::nullopt;
    accept(sql, {"IF", "EXISTS"});
    auto id = table_name(sql, default_db);
    if (!id) return std::nullopt;
    statement.kind = DdlKind::kAlterTable;
    statement.tables.push_back(std::move(*id));
    return statement;
  }
  if (verb == "RENAME") {
    if (word(sql) != "TABLE") return std::nullopt;
    statement.kind = DdlKind::kRenameTable;
    do {
      auto from = table_name(sql, default_db);
      if (!from || word(sql) != "TO") return std::nullopt;
      auto to = table_name(sql, default_db);
      if (!to) return std::nullopt;
      statement.tables.push_back(std::move(*from));
      statement.tables.push_back(std::move(*to));
    } while (comma(sql));
    return statement;
  }
  if (verb == "TRUNCATE") {
    accept(sql, {"TABLE"});
    auto id = table_name(sql, default_db);
    if (!id) return std::nullopt;
    statement.kind = DdlKind::kTruncateTable;
    statement.tables.push_back(std::move(*id));
    return statement;
  }
  return std::nullopt;
}

int32_t jdbc_type_of(std::string_view data_type) {
  const std::string type = upper(std::string(data_type));
  struct Entry {
    const char* name;
    int32_t jdbc;
  };
  // java.sql.Types: BIT -7, TINYINT -6, SMALLINT 5, INTEGER 4, BIGINT -5, FLOAT 6, DOUBLE 8,
  // DECIMAL 3, CHAR 1, VARCHAR 12, BINARY -2, VARBINARY -3, BLOB 2004, DATE 91, TIME 92,
  // TIMESTAMP 93, TIMESTAMP_WITH_TIMEZONE 2014, OTHER 1111.
  static constexpr Entry kTypes[] = {
      {"BIT", -7},         {"TINYINT", -6},    {"BOOLEAN", 16},  {"SMALLINT", 5},
      {"MEDIUMINT", 4},    {"INT", 4},         {"INTEGER", 4},   {"BIGINT", -5},
      {"FLOAT", 6},        {"DOUBLE", 8},      {"REAL", 8},      {"DECIMAL", 3},
      {"NUMERIC", 2},      {"CHAR", 1},        {"VARCHAR", 12},  {"TINYTEXT", 12},
      {"TEXT", 12},        {"MEDIUMTEXT", 12}, {"LONGTEXT", 12}, {"BINARY", -2},
      {"VARBINARY", -3},   {"TINYBLOB", 2004}, {"BLOB", 2004},   {"MEDIUMBLOB", 2004},
      {"LONGBLOB", 2004},  {"DATE", 91},       {"TIME", 92},     {"DATETIME", 93},
      {"TIMESTAMP", 2014}, {"YEAR", 4},        {"ENUM", 1},      {"SET", 1},
      {"JSON", 1111},
  };
  for (const auto& entry : kTypes) {
    if (type == entry.name) return entry.jdbc;
  }
  return 1111;
}

namespace {

/// 'label' with a quote doubled, as the label stands in the DDL.
std::string sql_literal(const std::string& label) {
  std::string out = "'";
  for (char c : label) {
    if (c == '\'') out += '\'';
    out += c;
  }
  return out + "'";
}

}  // namespace

Result<std::optional<event::TableChange>> describe_table(Connection& connection,
                                                         const event::TableId& id) {
  const std::string where = " WHERE TABLE_SCHEMA = " + connection.quote_literal(id.schema) +
                            " AND TABLE_NAME = " + connection.quote_literal(id.table);
  auto tables = connection.query(
      "SELECT CCSA.CHARACTER_SET_NAME, T.TABLE_COMMENT FROM information_schema.TABLES T LEFT JOIN "
      "information_schema.COLLATION_CHARACTER_SET_APPLICABILITY CCSA ON CCSA.COLLATION_NAME = "
      "T.TABLE_COLLATION WHERE T.TABLE_SCHEMA = " +
      connection.quote_literal(id.schema) +
      " AND T.TABLE_NAME = " + connection.quote_literal(id.table) + " LIMIT 1");
  if (!tables) return tables.error();
  if (tables->empty()) return std::optional<event::TableChange>();
  event::TableChange change;
  change.id = id;
  const auto& table_row = tables->front();
  if (table_row.size() >= 2) {
    change.default_charset = table_row[0];  // TABLE_COMMENT: not written, as COLUMN_COMMENT
  }
  auto rows = connection.query(
      "SELECT COLUMN_NAME, DATA_TYPE, COLUMN_TYPE, CHARACTER_SET_NAME, ORDINAL_POSITION, "
      "IS_NULLABLE, EXTRA, COLUMN_COMMENT, COLUMN_DEFAULT FROM information_schema.COLUMNS" +
      where + " ORDER BY ORDINAL_POSITION");
  if (!rows) return rows.error();
  for (const auto& row : *rows) {
    if (row.size() < 9 || !row[0] || !row[1] || !row[2] || !row[4]) {
      return Error::corrupt("information_schema.COLUMNS row of " + id.qualified());
    }
    event::DdlColumn column;
    column.name = *row[0];
    const std::string column_type = *row[2];
    column.type_name = upper(*row[1]);
    if (column_type.find("unsigned") != std::string::npos) column.type_name += " UNSIGNED";
    column.type_expression = column.type_name;
    column.jdbc_type = jdbc_type_of(*row[1]);
    column.charset = row[3];
    const std::string base = upper(*row[1]);
    if (base == "ENUM" || base == "SET") {
      // As Debezium's DDL parser keeps them: each label as its SQL string literal, and the length
      // 1 for an ENUM, for a SET its labels and the commas between them.
      const auto labels = labels_of(column_type);
      for (const auto& label : labels) column.enum_values.push_back(sql_literal(label));
      const auto count = static_cast<int32_t>(labels.size());
      column.length = base == "ENUM" ? 1 : std::max(0, 2 * count - 1);
    } else {
      const auto sizes = sizes_of(column_type);
      if (!sizes.empty()) column.length = sizes[0];
      if (sizes.size() > 1) column.scale = sizes[1];
    }
    column.position = static_cast<int32_t>(std::stol(*row[4]));
    column.optional = row[5].value_or("YES") == "YES";
    const std::string extra = row[6].value_or("");
    column.auto_incremented = extra.find("auto_increment") != std::string::npos;
    // Debezium's MySQL parser marks AUTO_INCREMENT columns generated too.
    column.generated = column.auto_incremented || extra.find("GENERATED") != std::string::npos ||
                       extra.find("VIRTUAL") != std::string::npos ||
                       extra.find("PERSISTENT") != std::string::npos ||
                       extra.find("STORED") != std::string::npos;
    // COLUMN_COMMENT (row[7]) is not written: Debezium's include.schema.comments is false by
    // default, its records then carry a null comment.
    column.default_expression = default_expression(row[8]);
    change.columns.push_back(std::move(column));
  }
  // Dropped between the two reads (a later DDL the stream has not reached yet): as if gone.
  if (change.columns.empty()) return std::optional<event::TableChange>();
  auto key = connection.query("SELECT COLUMN_NAME FROM information_schema.STATISTICS" + where +
                              " AND INDEX_NAME = 'PRIMARY' ORDER BY SEQ_IN_INDEX");
  if (!key) return key.error();
  for (const auto& row : *key) {
    if (!row.empty() && row[0]) change.primary_key.push_back(*row[0]);
  }
  return std::optional<event::TableChange>(std::move(change));
}

event::TableChange describe_from_schema(const event::TableSchema& schema) {
  event::TableChange change;
  change.id = schema.id;
  for (std::size_t i : schema.key_columns) {
    if (i < schema.columns.size()) change.primary_key.push_back(schema.columns[i].name);
  }
  int32_t position = 0;
  for (const auto& source : schema.columns) {
    event::DdlColumn column;
    column.name = source.name;
    std::string name = source.type.source_name;
    const std::size_t open = name.find('(');
    const std::string base = upper(name.substr(0, open));
    const std::size_t space = base.find(' ');
    column.jdbc_type = jdbc_type_of(base.substr(0, space));
    column.type_name = base;
    column.type_expression = base;
    for (const auto& label : source.type.enum_values) {
      column.enum_values.push_back(sql_literal(label));
    }
    if (!source.type.enum_values.empty()) {
      const auto count = static_cast<int32_t>(source.type.enum_values.size());
      column.length = base.rfind("SET", 0) == 0 ? std::max(0, 2 * count - 1) : 1;
    } else {
      const auto sizes = sizes_of(name);
      if (!sizes.empty()) column.length = sizes[0];
      if (sizes.size() > 1) column.scale = sizes[1];
    }
    column.position = ++position;
    column.optional = source.optional;
    change.columns.push_back(std::move(column));
  }
  return change;
}

}  // namespace tributary::source::mysql
