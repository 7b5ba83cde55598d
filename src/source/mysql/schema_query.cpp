// information_schema -> TableSchema, mapped as binlog/table_schema.cpp maps TABLE_MAP (see there).
#include "source/mysql/schema_query.hpp"

#include <algorithm>
#include <cctype>

#include "config/key_list.hpp"
#include "source/mysql/binlog/table_schema.hpp"
#include "source/mysql/text_values.hpp"

namespace tributary::source::mysql {
namespace {

using binlog::quoted_list;
using binlog::with_fsp;
using event::TypeKind;

std::string lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

int to_int(const std::optional<std::string>& text) {
  if (!text || text->empty()) return -1;
  try {
    return std::stoi(*text);
  } catch (...) {
    return -1;
  }
}

enum class TextCharset { kConverted, kBinary, kOther };

TextCharset charset_class(const std::string& charset) {
  const std::string name = lower(charset);
  if (name.empty() || name == "binary") return TextCharset::kBinary;
  if (name == "utf8mb4" || name == "utf8mb3" || name == "utf8" || name == "latin1" ||
      name == "ascii")
    return TextCharset::kConverted;
  return TextCharset::kOther;
}

}  // namespace

std::vector<std::string> labels_of(const std::string& column_type) {
  std::vector<std::string> labels;
  const std::size_t open = column_type.find('(');
  if (open == std::string::npos) return labels;
  std::size_t at = open + 1;
  while (at < column_type.size() && column_type[at] == '\'') {
    std::string label;
    ++at;
    while (at < column_type.size()) {
      if (column_type[at] == '\'') {
        if (at + 1 < column_type.size() && column_type[at + 1] == '\'') {
          label.push_back('\'');
          at += 2;
          continue;
        }
        break;
      }
      if (column_type[at] == '\\' && at + 1 < column_type.size()) ++at;
      label.push_back(column_type[at++]);
    }
    labels.push_back(std::move(label));
    ++at;  // closing quote
    if (at < column_type.size() && column_type[at] == ',') ++at;
  }
  return labels;
}

TableFilter::TableFilter(const std::vector<std::string>& include,
                         const std::vector<std::string>& exclude) {
  for (const auto& p : include) include_.emplace_back(p, std::regex::ECMAScript);
  for (const auto& p : exclude) exclude_.emplace_back(p, std::regex::ECMAScript);
}

bool TableFilter::matches(const event::TableId& id) const {
  const std::string name = id.qualified();
  bool included = false;
  for (const auto& r : include_) included = included || std::regex_match(name, r);
  if (!included) return false;
  for (const auto& r : exclude_) {
    if (std::regex_match(name, r)) return false;
  }
  return true;
}

Result<std::vector<event::TableId>> list_tables(Connection& connection, const TableFilter& filter) {
  auto rows = connection.query(
      "SELECT TABLE_SCHEMA, TABLE_NAME FROM information_schema.TABLES WHERE TABLE_TYPE = 'BASE "
      "TABLE' AND TABLE_SCHEMA NOT IN ('mysql', 'information_schema', 'performance_schema', "
      "'sys') ORDER BY TABLE_SCHEMA, TABLE_NAME");
  if (!rows) return rows.error();
  std::vector<event::TableId> tables;
  for (const auto& row : *rows) {
    if (row.size() < 2 || !row[0] || !row[1]) continue;
    event::TableId id{*row[0], *row[1]};
    if (filter.matches(id)) tables.push_back(std::move(id));
  }
  return tables;
}

bool column_type(const ColumnFacts& facts, event::ColumnType& type) {
  const std::string data_type = lower(facts.data_type);
  const std::string full = lower(facts.column_type);
  const bool is_unsigned = full.find("unsigned") != std::string::npos;
  const std::string sign = is_unsigned ? " unsigned" : "";
  auto set = [&](TypeKind kind, std::string name) {
    type.kind = kind;
    type.source_name = std::move(name);
    return true;
  };
  if (data_type == "tinyint") return set(TypeKind::kInt16, "tinyint" + sign);
  if (data_type == "smallint")
    return set(is_unsigned ? TypeKind::kInt32 : TypeKind::kInt16, "smallint" + sign);
  if (data_type == "mediumint") return set(TypeKind::kInt32, "mediumint" + sign);
  if (data_type == "int" || data_type == "integer")
    return set(is_unsigned ? TypeKind::kInt64 : TypeKind::kInt32, "int" + sign);
  if (data_type == "bigint") return set(TypeKind::kInt64, "bigint" + sign);
  // FLOAT(M,D): a float64 in Debezium's MySQL connector (its FLOAT with a scale), plain FLOAT a
  // float32. The TABLE_MAP of either is a 4-byte FLOAT: the tracker takes this from here.
  if (data_type == "float") {
    return set(full.find(',') != std::string::npos ? TypeKind::kFloat64 : TypeKind::kFloat32,
               "float" + sign);
  }
  if (data_type == "double" || data_type == "real" || data_type == "double precision")
    return set(TypeKind::kFloat64, "double" + sign);
  if (data_type == "decimal" || data_type == "numeric") {
    type.precision = facts.precision;
    type.scale = facts.scale < 0 ? 0 : facts.scale;
    return set(TypeKind::kDecimal, "decimal(" + std::to_string(facts.precision) + "," +
                                       std::to_string(type.scale) + ")" + sign);
  }
  if (data_type == "bit") {
    const int bits = facts.precision > 0 ? facts.precision : 1;
    if (bits == 1) return set(TypeKind::kBool, "bit(1)");
    type.precision = bits;
    return set(TypeKind::kBits, "bit(" + std::to_string(bits) + ")");
  }
  if (data_type == "year") return set(TypeKind::kYear, "year");
  if (data_type == "date") return set(TypeKind::kDate, "date");
  const int fsp = facts.fsp < 0 ? 0 : facts.fsp;
  if (data_type == "time") {
    type.precision = fsp;
    return set(TypeKind::kTime, with_fsp("time", fsp));
  }
  if (data_type == "datetime") {
    type.precision = fsp;
    return set(TypeKind::kTimestamp, with_fsp("datetime", fsp));
  }
  if (data_type == "timestamp") {
    type.precision = fsp;
    return set(TypeKind::kTimestampTz, with_fsp("timestamp", fsp));
  }
  if (data_type == "enum") {
    type.enum_values = labels_of(facts.column_type);
    return set(TypeKind::kEnum, "enum(" + quoted_list(type.enum_values) + ")");
  }
  if (data_type == "set") {
    type.enum_values = labels_of(facts.column_type);
    return set(TypeKind::kSet, "set(" + quoted_list(type.enum_values) + ")");
  }
  if (data_type == "json" || (data_type == "longtext" && facts.json_check))
    return set(TypeKind::kJson, "json");
  static const std::vector<std::string> kText = {"char", "varchar",    "tinytext",
                                                 "text", "mediumtext", "longtext"};
  static const std::vector<std::string> kBinary = {"binary", "varbinary",  "tinyblob",
                                                   "blob",   "mediumblob", "longblob"};
  const bool text = std::find(kText.begin(), kText.end(), data_type) != kText.end();
  const bool binary = std::find(kBinary.begin(), kBinary.end(), data_type) != kBinary.end();
  if (text || binary) {
    const TextCharset charset = binary ? TextCharset::kBinary : charset_class(facts.charset);
    // A text type with the binary character set ("char(4) character set binary") is binary.
    const bool bytes = charset == TextCharset::kBinary;
    std::string name;
    const std::size_t index = static_cast<std::size_t>(
        text ? std::find(kText.begin(), kText.end(), data_type) - kText.begin()
             : std::find(kBinary.begin(), kBinary.end(), data_type) - kBinary.begin());
    if (index < 2) {
      name = (bytes ? kBinary : kText)[index] + "(" + std::to_string(facts.char_length) + ")";
    } else {
      name = (bytes ? kBinary : kText)[index];
    }
    if (charset == TextCharset::kOther) {
      type.source_name = name + " " + lower(facts.charset);
      return false;
    }
    return set(bytes ? TypeKind::kBytes : TypeKind::kString, std::move(name));
  }
  type.source_name = data_type;  // geometry types, MariaDB's inet4/inet6/uuid, ...
  return false;
}

namespace {

/// Debezium's "default" of a column's field schema, from information_schema.COLUMNS.COLUMN_DEFAULT
/// (MariaDB 10.2+ writes a string literal quoted, a number bare, no default as NULL), as
/// Debezium 2.6's MySqlDefaultValueConverter gives it: a literal converted as a value of the
/// column is, its quotes stripped but a doubled quote kept doubled (Debezium reads the DDL text);
/// CURRENT_TIMESTAMP on a NOT NULL TIMESTAMP / DATETIME the epoch, on a nullable one none. NULL,
/// another expression, or a literal that does not convert gives none.
std::shared_ptr<const event::Value> default_value(const event::Column& column,
                                                  const std::optional<std::string>& text,
                                                  const std::string& table) {
  if (!text || *text == "NULL") return nullptr;
  std::string literal;
  const std::string& value = *text;
  const bool temporal = column.type.kind == event::TypeKind::kTimestamp ||
                        column.type.kind == event::TypeKind::kTimestampTz;
  if (value.size() >= 2 && value.front() == '\'' && value.back() == '\'') {
    literal = value.substr(1, value.size() - 2);
  } else if (!value.empty() && (std::isdigit(static_cast<unsigned char>(value.front())) ||
                                value.front() == '-' || value.front() == '.')) {
    literal = value;
  } else if (temporal && lower(value).rfind("current_timestamp", 0) == 0) {
    if (column.optional) return nullptr;
    literal = "1970-01-01 00:00:00";
  } else {
    return nullptr;
  }
  auto converted = text_value(column, literal, table);
  if (!converted || std::holds_alternative<event::Null>(*converted)) return nullptr;
  return std::make_shared<const event::Value>(std::move(*converted));
}

/// The columns that key the table's messages: the table's message_key_columns entry; else, as
/// Debezium's MySQL DDL parser picks them, the primary key; without one, the first unique index (in
/// the server's index order, as SHOW CREATE TABLE lists them) whose parts are all NOT NULL columns
/// (an index on an expression or on a nullable column is skipped); without either, none.
Result<std::vector<std::size_t>> key_columns(Connection& connection, const event::TableId& id,
                                             const event::TableSchema& schema,
                                             const std::map<std::string, std::string>& overrides) {
  if (auto entry = overrides.find(id.qualified()); entry != overrides.end()) {
    std::vector<std::size_t> columns;
    for (const auto& name : config::split_key_columns(entry->second)) {
      auto found = std::find_if(schema.columns.begin(), schema.columns.end(),
                                [&](const event::Column& c) { return c.name == name; });
      if (found == schema.columns.end()) {
        std::string names;
        for (const auto& c : schema.columns) names += (names.empty() ? "" : ", ") + c.name;
        return Error::config("message_key_columns." + entry->first + ": table " + id.qualified() +
                             " has no column '" + name + "' (its columns: " + names +
                             "); fix the list '" + entry->second + "' or remove the entry");
      }
      columns.push_back(static_cast<std::size_t>(found - schema.columns.begin()));
    }
    return columns;
  }
  auto rows = connection.query("SHOW INDEX FROM " + Connection::quote_identifier(id.schema) + "." +
                               Connection::quote_identifier(id.table));
  if (!rows) return rows.error();
  // SHOW INDEX: Table, Non_unique, Key_name, Seq_in_index, Column_name, ...
  struct Index {
    std::string name;
    std::vector<std::size_t> columns;
    bool usable = true;
  };
  std::vector<Index> unique;
  for (const auto& row : *rows) {
    if (row.size() < 5 || !row[1] || !row[2]) continue;
    if (*row[1] != "0") continue;
    if (unique.empty() || unique.back().name != *row[2]) unique.push_back(Index{*row[2], {}, true});
    Index& index = unique.back();
    auto found = row[4] ? std::find_if(schema.columns.begin(), schema.columns.end(),
                                       [&](const event::Column& c) { return c.name == *row[4]; })
                        : schema.columns.end();
    if (found == schema.columns.end()) {
      index.usable = false;  // an expression
      continue;
    }
    if (index.name != "PRIMARY" && found->optional) index.usable = false;
    index.columns.push_back(static_cast<std::size_t>(found - schema.columns.begin()));
  }
  for (const auto& index : unique) {
    if (index.name == "PRIMARY") return index.columns;
  }
  for (const auto& index : unique) {
    if (index.usable && !index.columns.empty()) return index.columns;
  }
  return std::vector<std::size_t>{};
}

}  // namespace

Result<std::shared_ptr<const event::TableSchema>> load_table_schema(
    Connection& connection, const event::TableId& id, config::UnsupportedColumns unsupported,
    const std::map<std::string, std::string>& key_overrides) {
  const std::string where = " WHERE TABLE_SCHEMA = " + connection.quote_literal(id.schema) +
                            " AND TABLE_NAME = " + connection.quote_literal(id.table);
  auto rows = connection.query(
      "SELECT COLUMN_NAME, DATA_TYPE, COLUMN_TYPE, CHARACTER_SET_NAME, CHARACTER_MAXIMUM_LENGTH, "
      "NUMERIC_PRECISION, NUMERIC_SCALE, DATETIME_PRECISION, IS_NULLABLE, COLUMN_DEFAULT FROM "
      "information_schema.COLUMNS" +
      where + " ORDER BY ORDINAL_POSITION");
  if (!rows) return rows.error();
  if (rows->empty()) {
    return Error::config("table " + id.qualified() +
                         " not found in information_schema.COLUMNS (dropped, or the user lacks "
                         "SELECT on it: GRANT SELECT ON " +
                         Connection::quote_identifier(id.schema) + ".* TO the source user)");
  }
  // MariaDB's JSON is a LONGTEXT with CHECK (json_valid(`col`)); MySQL has a json type and no
  // TABLE_NAME in CHECK_CONSTRAINTS (the query fails there and is ignored).
  std::vector<std::string> json_checked;
  auto checks = connection.query(
      "SELECT CHECK_CLAUSE FROM information_schema.CHECK_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = " +
      connection.quote_literal(id.schema) +
      " AND TABLE_NAME = " + connection.quote_literal(id.table));
  if (checks) {
    for (const auto& row : *checks) {
      if (row.empty() || !row[0]) continue;
      const std::string clause = lower(*row[0]);
      const std::string prefix = "json_valid(`";
      if (clause.rfind(prefix, 0) == 0 && clause.size() > prefix.size() + 2 &&
          clause.compare(clause.size() - 2, 2, "`)") == 0) {
        json_checked.push_back(clause.substr(prefix.size(), clause.size() - prefix.size() - 2));
      }
    }
  }
  auto schema = std::make_shared<event::TableSchema>();
  schema->id = id;
  std::vector<std::string> unsupported_names;
  for (const auto& row : *rows) {
    if (row.size() < 10 || !row[0] || !row[1])
      return Error::corrupt("information_schema.COLUMNS row");
    ColumnFacts facts;
    facts.name = *row[0];
    facts.data_type = *row[1];
    facts.column_type = row[2].value_or("");
    facts.charset = row[3].value_or("");
    facts.char_length = row[4] ? std::stoll(*row[4]) : -1;
    facts.precision = to_int(row[5]);
    facts.scale = to_int(row[6]);
    facts.fsp = to_int(row[7]);
    facts.nullable = row[8].value_or("YES") == "YES";
    facts.json_check = std::find(json_checked.begin(), json_checked.end(), lower(facts.name)) !=
                       json_checked.end();
    event::Column column;
    column.name = facts.name;
    column.optional = facts.nullable;
    column.omitted = !column_type(facts, column.type);
    if (!column.omitted) column.default_value = default_value(column, row[9], id.qualified());
    if (column.omitted)
      unsupported_names.push_back(column.name + " (" + column.type.source_name + ")");
    schema->columns.push_back(std::move(column));
  }
  auto key = key_columns(connection, id, *schema, key_overrides);
  if (!key) return key.error();
  for (const std::size_t index : *key) {
    auto& column = schema->columns[index];
    if (column.omitted) {
      return Error::config("table " + id.qualified() + ": key column " + column.name +
                           " has type " + column.type.source_name +
                           ", which tributary cannot encode");
    }
    column.key = true;
    schema->key_columns.push_back(index);
  }
  if (!unsupported_names.empty() && unsupported == config::UnsupportedColumns::kFail) {
    std::string names;
    for (const auto& name : unsupported_names) names += (names.empty() ? "" : ", ") + name;
    return Error::config("table " + id.qualified() +
                         " has columns of types tributary cannot encode: " + names +
                         " (fix: tables.unsupported_columns: skip leaves them out, or "
                         "exclude the table)");
  }
  return std::shared_ptr<const event::TableSchema>(std::move(schema));
}

}  // namespace tributary::source::mysql
