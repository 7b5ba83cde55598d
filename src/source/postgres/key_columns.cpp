// The message key's columns (key_columns.hpp): Debezium's rule for tables without a primary key,
// and the per-table override.
#include "source/postgres/key_columns.hpp"

#include <algorithm>
#include <regex>

#include "config/key_list.hpp"

namespace tributary::source::postgres {
namespace {

/// PostgresConnection.FUNCTION_DEFAULT_PATTERN and EXPRESSION_DEFAULT_PATTERN (Debezium 3.6.1),
/// matched against pg_get_indexdef's text of an index column, whole text (Java's matches()).
bool excluded_index_column(const std::string& text) {
  static const std::regex function(R"(^[(]?[A-Za-z0-9_.]+\((?:.+(?:, ?.+)*)?\))");
  static const std::regex expression(R"(\(+(?:.+(?:[+ - * / < > = ~ ! @ # % ^ & | ` ?] ?.+)+)+\))");
  return std::regex_match(text, function) || std::regex_match(text, expression);
}

std::string joined(const std::vector<RawColumn>& columns) {
  std::string out;
  for (const auto& column : columns) out += (out.empty() ? "" : ", ") + column.name;
  return out;
}

}  // namespace

Result<std::vector<std::string>> first_unique_index(PgConnection& connection,
                                                    uint32_t relation_oid) {
  // pgjdbc 42.7's getIndexInfo(unique = true) row order: NON_UNIQUE, TYPE (clustered 1, hash 2,
  // other 3), INDEX_NAME, ORDINAL_POSITION; COLUMN_NAME is pg_get_indexdef's text of the column,
  // '"' trimmed. Every indkey entry counts (INCLUDE columns too), as there.
  auto result = connection.exec_params(
      "SELECT ci.relname, trim(both '\"' from pg_get_indexdef(i.indexrelid, k.ord::int, false)) "
      "FROM pg_index i JOIN pg_class ci ON ci.oid = i.indexrelid "
      "JOIN pg_am am ON am.oid = ci.relam "
      "CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord) "
      "WHERE i.indrelid = $1 AND i.indisunique "
      "ORDER BY CASE WHEN i.indisclustered THEN 1 WHEN am.amname = 'hash' THEN 2 ELSE 3 END, "
      "ci.relname, k.ord",
      {std::to_string(relation_oid)});
  if (!result.ok()) return result.error();
  const PGresult* rows = result->get();
  // JdbcConnection.readTableUniqueIndices: an index with an excluded column is skipped whole; the
  // first index left is the key.
  std::string current;
  std::vector<std::string> names;
  bool excluded = false;
  for (int i = 0; i < PQntuples(rows); ++i) {
    const std::string index = PQgetvalue(rows, i, 0);
    const std::string column = PQgetvalue(rows, i, 1);
    if (index != current) {
      if (!current.empty() && !excluded && !names.empty()) return names;
      current = index;
      names.clear();
      excluded = false;
    }
    if (excluded) continue;
    if (excluded_index_column(column)) {
      excluded = true;
      names.clear();
      continue;
    }
    names.push_back(column);
  }
  if (excluded) names.clear();
  return names;
}

Result<std::vector<std::string>> key_columns(PgConnection& connection, const event::TableId& id,
                                             uint32_t relation_oid,
                                             const std::vector<RawColumn>& columns,
                                             std::vector<std::string> primary_key,
                                             const std::map<std::string, std::string>& overrides) {
  if (auto entry = overrides.find(id.qualified()); entry != overrides.end()) {
    auto names = config::split_key_columns(entry->second);
    for (const auto& name : names) {
      const bool known = std::any_of(columns.begin(), columns.end(),
                                     [&](const RawColumn& c) { return c.name == name; });
      if (!known) {
        return Error::config("message_key_columns." + entry->first + ": table " + id.qualified() +
                             " has no column '" + name + "' (its columns: " + joined(columns) +
                             "); fix the list '" + entry->second + "' or remove the entry");
      }
    }
    return names;
  }
  if (!primary_key.empty()) return primary_key;
  auto unique = first_unique_index(connection, relation_oid);
  if (!unique.ok()) return unique.error();
  // Debezium marks only names that are columns of the table (an index text such as "(a)::text"
  // that passed the patterns keys nothing).
  std::vector<std::string> names;
  for (const auto& name : *unique) {
    if (std::any_of(columns.begin(), columns.end(),
                    [&](const RawColumn& c) { return c.name == name; }))
      names.push_back(name);
  }
  return names;
}

}  // namespace tributary::source::postgres
