// Short builders for the TableSchemas and ChangeEvents the envelope tests feed the serializer.
// Rows are built as PostgreSQL sends them (text); serialize_text() decodes them with the
// PostgreSQL value decoder first, as the committer does, so the envelope sees typed values.
#pragma once

#include <initializer_list>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "envelope/serializer.hpp"
#include "event/change_event.hpp"
#include "source/postgres/values/postgres_value_decoder.hpp"

namespace tributary::envelope::testing {

using event::TypeKind;

inline event::ColumnType type(TypeKind kind, std::string source_name, int precision = -1,
                              int scale = -1) {
  event::ColumnType t;
  t.kind = kind;
  t.precision = precision;
  t.scale = scale;
  t.source_name = std::move(source_name);
  return t;
}

inline event::ColumnType enum_type(std::vector<std::string> labels, std::string source_name) {
  event::ColumnType t = type(TypeKind::kEnum, std::move(source_name));
  t.enum_values = std::move(labels);
  return t;
}

inline event::ColumnType array_of(event::ColumnType element, std::string source_name) {
  event::ColumnType t = type(TypeKind::kArray, std::move(source_name));
  t.element = std::make_shared<const event::ColumnType>(std::move(element));
  return t;
}

/// A nullable, non-key column.
inline event::Column column(std::string name, event::ColumnType t, bool optional = true) {
  return {std::move(name), std::move(t), optional, false};
}

/// `key` lists column indexes in key order; those columns get Column::key.
inline std::shared_ptr<const event::TableSchema> table(std::string schema, std::string name,
                                                       std::vector<event::Column> columns,
                                                       std::vector<std::size_t> key,
                                                       uint32_t version = 1) {
  auto t = std::make_shared<event::TableSchema>();
  t->id = {std::move(schema), std::move(name)};
  for (std::size_t index : key) columns[index].key = true;
  t->columns = std::move(columns);
  t->key_columns = std::move(key);
  t->version = version;
  return t;
}

inline event::Value text(std::string s) {
  return event::Value(std::move(s));
}
inline const event::Value kNull = event::Null{};
inline const event::Value kUnchanged = event::Unchanged{};

inline event::Row row(std::initializer_list<event::Value> values) {
  return event::Row(values);
}

/// A streamed change as in DEBEZIUM_FORMAT.md's example (commit 2025-12-28T12:30:59.52875Z).
inline event::SourceInfo streaming_source(uint64_t lsn = 34389336) {
  event::SourceInfo source;
  source.db = "postgres";
  source.commit_time_us = 1766925059528750;
  source.postgres().txid = 779;
  source.postgres().lsn = lsn;
  source.postgres().last_commit_lsn = 34389280;
  source.snapshot = event::SnapshotMarker::kFalse;
  return source;
}

inline event::ChangeEvent change(event::Op op, std::shared_ptr<const event::TableSchema> schema,
                                 std::optional<event::Row> before, std::optional<event::Row> after,
                                 event::SourceInfo source = streaming_source()) {
  event::ChangeEvent e;
  e.op = op;
  e.schema = std::move(schema);
  e.before = std::move(before);
  e.after = std::move(after);
  e.source = std::move(source);
  return e;
}

/// Decodes the event's text values (PostgresValueDecoder), then serializes it.
inline Result<void> serialize_text(Serializer& serializer, event::ChangeEvent e, int64_t now_us,
                                   std::vector<sink::Message>& out) {
  source::PostgresValueDecoder decoder;
  if (auto decoded = decoder.decode(e); !decoded.ok()) return decoded;
  return serializer.serialize(e, now_us, out);
}

/// The processing time the golden files were made with.
inline constexpr int64_t kNowUs = 1766925059873428;

}  // namespace tributary::envelope::testing
