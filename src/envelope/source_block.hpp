// The envelope's `source` block, per connector: its schema (once per table version) and its
// payload (per record). Field order and types are Debezium 3.x's source struct makers.
#pragma once

#include <string>

#include "envelope/json_util.hpp"
#include "event/change_event.hpp"

namespace tributary::envelope::detail {

enum class SourceLayout { kPostgres, kMysql, kMariaDb };

/// "postgresql", "mysql", "mariadb" -> the layout; false for anything else.
bool source_layout(std::string_view connector, SourceLayout& layout);

/// The schema of the `source` field (JsonConverter node, "field":"source").
void write_source_schema(JsonWriter& json, SourceLayout layout);

struct SourceNames {
  const std::string& version;
  const std::string& connector;
  const std::string& name;  ///< the topic prefix
};

/// A string of the source that is not valid UTF-8: which one, and its text.
struct BadSourceText {
  /// "database name", "binlog file name", "GTID", "query", "replication origin name"
  const char* what = nullptr;
  std::string_view text;
};

/// The `source` payload. `scratch` is reused for the text it builds (PostgreSQL's sequence).
/// A string from the source (db, binlog file, gtid, query) that is not valid UTF-8 is written as
/// null (the document stays well formed) and reported in `bad` (the first one); the caller fails.
void write_source(JsonWriter& json, SourceLayout layout, const SourceNames& names,
                  const event::TableSchema& table, const event::SourceInfo& source,
                  std::string& scratch, BadSourceText& bad);

}  // namespace tributary::envelope::detail
