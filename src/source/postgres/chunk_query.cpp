// Key-ordered snapshot chunks (iterative `ORDER BY key LIMIT n` boundaries, as Flink CDC's
// splitter does for keys that are not dense integers).
#include "source/postgres/chunk_query.hpp"

namespace tributary::source::postgres {

ChunkPlan plan_chunks(PgConnection& connection, const event::TableSchema& schema, bool overridden,
                      const std::string& row_filter) {
  ChunkPlan plan;
  plan.row_filter = row_filter;
  plan.relation = connection.quote_identifier(schema.id.schema) + "." +
                  connection.quote_identifier(schema.id.table);
  for (std::size_t i = 0; i < schema.columns.size(); ++i) {
    if (i > 0) plan.select_list += ", ";
    // An omitted column's type has no encoding: its value is never looked at, so not read.
    plan.select_list += schema.columns[i].omitted
                            ? std::string("NULL")
                            : connection.quote_identifier(schema.columns[i].name);
  }
  if (plan.select_list.empty()) plan.select_list = "NULL";
  if (schema.key_columns.empty()) {
    plan.unchunked_reason = "the table has no primary key or unique index";
    return plan;
  }
  if (overridden) {
    plan.unchunked_reason = "its key comes from message_key_columns (not known to be unique)";
    return plan;
  }
  for (std::size_t index : schema.key_columns) {
    const auto& column = schema.columns[index];
    if (column.optional || column.omitted) {
      plan.unchunked_reason = "its key column " + column.name + " can be NULL";
      return plan;
    }
  }
  plan.key = schema.key_columns;
  for (std::size_t index : plan.key) {
    if (!plan.key_list.empty()) plan.key_list += ", ";
    plan.key_list += connection.quote_identifier(schema.columns[index].name);
  }
  return plan;
}

std::string chunk_sql(PgConnection& connection, const ChunkPlan& plan,
                      const std::vector<std::string>& after, int limit) {
  std::string sql = "SELECT " + plan.select_list + " FROM ONLY " + plan.relation;
  // The publication's row filter: the snapshot holds the rows the stream would.
  const std::string filter = plan.row_filter.empty() ? "" : "(" + plan.row_filter + ")";
  if (!plan.chunked()) return filter.empty() ? sql : sql + " WHERE " + filter;
  if (!filter.empty()) sql += " WHERE " + filter;
  if (!after.empty()) {
    // Untyped literals take the key columns' types; the row comparison follows the same btree
    // order (and collation) as ORDER BY.
    std::string values;
    for (const auto& value : after) {
      values += (values.empty() ? "" : ", ") + connection.quote_literal(value);
    }
    sql += std::string(filter.empty() ? " WHERE (" : " AND (") + plan.key_list + ") > (" + values +
           ")";
  }
  sql += " ORDER BY " + plan.key_list + " LIMIT " + std::to_string(limit);
  return sql;
}

event::Row read_row(const PGresult* result, int row) {
  const int column_count = PQnfields(result);
  event::Row values;
  values.reserve(static_cast<std::size_t>(column_count));
  for (int col = 0; col < column_count; ++col) {
    if (PQgetisnull(result, row, col)) {
      values.emplace_back(event::Null{});
    } else {
      values.emplace_back(std::in_place_type<std::string>, PQgetvalue(result, row, col),
                          static_cast<std::size_t>(PQgetlength(result, row, col)));
    }
  }
  return values;
}

std::vector<std::string> key_text(const event::Row& values, const std::vector<std::size_t>& key) {
  std::vector<std::string> text;
  text.reserve(key.size());
  for (std::size_t index : key) {
    if (index >= values.size()) return {};
    const auto* value =
        std::get_if<std::string>(static_cast<const event::ValueVariant*>(&values[index]));
    if (value == nullptr) return {};
    text.push_back(*value);
  }
  return text;
}

}  // namespace tributary::source::postgres
