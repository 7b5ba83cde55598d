// The `source` block per connector (Debezium 3.x's PostgresSourceInfoStructMaker and
// BinlogSourceInfoStructMaker, the latter shared by MySqlSourceInfoStructMaker and
// MariaDbSourceInfoStructMaker).
#include "envelope/source_block.hpp"

namespace tributary::envelope::detail {
namespace {

/// Every value source.snapshot can take (Debezium 3's SnapshotRecord, lower case).
constexpr const char* kSnapshotAllowed =
    "true,first,first_in_data_collection,last_in_data_collection,last,false,incremental";

std::string_view snapshot_name(event::SnapshotMarker marker) {
  switch (marker) {
    case event::SnapshotMarker::kFalse:
      return "false";
    case event::SnapshotMarker::kFirst:
      return "first";
    case event::SnapshotMarker::kFirstInDataCollection:
      return "first_in_data_collection";
    case event::SnapshotMarker::kLastInDataCollection:
      return "last_in_data_collection";
    case event::SnapshotMarker::kTrue:
      return "true";
    case event::SnapshotMarker::kLast:
      return "last";
  }
  return "false";
}

/// AbstractSourceInfoStructMaker.commonSchemaBuilder: version, connector, name, ts_ms, snapshot,
/// db, sequence, ts_us, ts_ns.
void write_common_fields_schema(JsonWriter& json) {
  primitive_field(json, "string", false, "version");
  primitive_field(json, "string", false, "connector");
  primitive_field(json, "string", false, "name");
  primitive_field(json, "int64", false, "ts_ms");
  json.StartObject();
  key(json, "type");
  string(json, "string");
  key(json, "optional");
  json.Bool(true);
  key(json, "name");
  string(json, "io.debezium.data.Enum");
  key(json, "version");
  json.Int(1);
  key(json, "parameters");
  json.StartObject();
  key(json, "allowed");
  string(json, kSnapshotAllowed);
  json.EndObject();
  key(json, "default");
  string(json, "false");
  key(json, "field");
  string(json, "snapshot");
  json.EndObject();
  primitive_field(json, "string", false, "db");
  primitive_field(json, "string", true, "sequence");
  primitive_field(json, "int64", true, "ts_us");
  primitive_field(json, "int64", true, "ts_ns");
}

void write_optional_int(JsonWriter& json, const std::optional<int64_t>& value) {
  if (value) {
    json.Int64(*value);
  } else {
    json.Null();
  }
}

void append_quoted_lsn(const std::optional<uint64_t>& lsn, std::string& out) {
  if (!lsn) {
    out += "null";
    return;
  }
  out.push_back('"');
  out += std::to_string(*lsn);
  out.push_back('"');
}

/// A string of the source, or null (and `bad` set, once) when it is not valid UTF-8.
void write_source_text(JsonWriter& json, const char* what, std::string_view text,
                       BadSourceText& bad) {
  if (valid_utf8(text)) {
    string(json, text);
    return;
  }
  json.Null();
  if (bad.what == nullptr) bad = {what, text};
}

void write_optional_text(JsonWriter& json, const char* what,
                         const std::shared_ptr<const std::string>& text, BadSourceText& bad) {
  if (text) {
    write_source_text(json, what, *text, bad);
  } else {
    json.Null();
  }
}

void write_postgres_fields(JsonWriter& json, const event::TableSchema& table,
                           const event::SourceInfo& source, std::string& scratch,
                           BadSourceText& bad) {
  static const event::PostgresSourceInfo kNone;
  const auto* found = std::get_if<event::PostgresSourceInfo>(&source.origin);
  const event::PostgresSourceInfo& pg = found != nullptr ? *found : kNone;
  key(json, "sequence");
  // A JSON array in a string: ["<last commit lsn>","<this event's lsn>"], null when unknown.
  scratch.assign("[");
  append_quoted_lsn(pg.last_commit_lsn, scratch);
  scratch.push_back(',');
  append_quoted_lsn(pg.lsn, scratch);
  scratch.push_back(']');
  string(json, scratch);
  key(json, "ts_us");
  json.Int64(source.commit_time_us);
  key(json, "ts_ns");
  json.Int64(micros_to_nanos(source.commit_time_us));
  key(json, "schema");
  string(json, table.id.schema);
  key(json, "table");
  string(json, table.id.table);
  key(json, "txId");
  write_optional_int(json, pg.txid);
  key(json, "lsn");
  if (pg.lsn) {
    json.Uint64(*pg.lsn);
  } else {
    json.Null();
  }
  key(json, "xmin");
  json.Null();
  // Debezium 3.5+: the replication origin of the transaction, null when none was set.
  key(json, "origin");
  write_optional_text(json, "replication origin name", pg.origin, bad);
  key(json, "origin_lsn");
  if (pg.origin && pg.origin_lsn) {
    json.Int64(static_cast<int64_t>(*pg.origin_lsn));
  } else {
    json.Null();
  }
}

/// BinlogSourceInfoStructMaker.struct: sequence is not set (null); gtid, thread and query only
/// when known; the binlog file is required (an empty name when the source has none).
void write_binlog_fields(JsonWriter& json, const event::TableSchema& table,
                         const event::SourceInfo& source, BadSourceText& bad) {
  static const event::MysqlSourceInfo kNone;
  const auto* found = std::get_if<event::MysqlSourceInfo>(&source.origin);
  const event::MysqlSourceInfo& my = found != nullptr ? *found : kNone;
  key(json, "sequence");
  json.Null();
  key(json, "ts_us");
  json.Int64(source.commit_time_us);
  key(json, "ts_ns");
  json.Int64(micros_to_nanos(source.commit_time_us));
  key(json, "table");
  string(json, table.id.table);
  key(json, "server_id");
  json.Int64(my.server_id);
  key(json, "gtid");
  write_optional_text(json, "GTID", my.gtid, bad);
  key(json, "file");
  write_source_text(json, "binlog file name", my.file ? std::string_view(*my.file) : "", bad);
  key(json, "pos");
  json.Int64(my.pos);
  key(json, "row");
  json.Int(my.row);
  key(json, "thread");
  write_optional_int(json, my.thread);
  key(json, "query");
  write_optional_text(json, "query", my.query, bad);
}

}  // namespace

bool source_layout(std::string_view connector, SourceLayout& layout) {
  if (connector == "postgresql") {
    layout = SourceLayout::kPostgres;
  } else if (connector == "mysql") {
    layout = SourceLayout::kMysql;
  } else if (connector == "mariadb") {
    layout = SourceLayout::kMariaDb;
  } else {
    return false;
  }
  return true;
}

void write_source_schema(JsonWriter& json, SourceLayout layout) {
  json.StartObject();
  key(json, "type");
  string(json, "struct");
  key(json, "fields");
  json.StartArray();
  write_common_fields_schema(json);
  if (layout == SourceLayout::kPostgres) {
    // PostgresSourceInfoStructMaker
    primitive_field(json, "string", false, "schema");
    primitive_field(json, "string", false, "table");
    primitive_field(json, "int64", true, "txId");
    primitive_field(json, "int64", true, "lsn");
    primitive_field(json, "int64", true, "xmin");
    primitive_field(json, "string", true, "origin");
    primitive_field(json, "int64", true, "origin_lsn");
  } else {
    // BinlogSourceInfoStructMaker
    primitive_field(json, "string", true, "table");
    primitive_field(json, "int64", false, "server_id");
    primitive_field(json, "string", true, "gtid");
    primitive_field(json, "string", false, "file");
    primitive_field(json, "int64", false, "pos");
    primitive_field(json, "int32", false, "row");
    primitive_field(json, "int64", true, "thread");
    primitive_field(json, "string", true, "query");
  }
  json.EndArray();
  key(json, "optional");
  json.Bool(false);
  key(json, "name");
  // "io.debezium.connector.%s.Source" with the connector's name
  string(json, layout == SourceLayout::kPostgres ? "io.debezium.connector.postgresql.Source"
               : layout == SourceLayout::kMysql  ? "io.debezium.connector.mysql.Source"
                                                 : "io.debezium.connector.mariadb.Source");
  key(json, "version");
  json.Int(1);
  key(json, "field");
  string(json, "source");
  json.EndObject();
}

void write_source(JsonWriter& json, SourceLayout layout, const SourceNames& names,
                  const event::TableSchema& table, const event::SourceInfo& source,
                  std::string& scratch, BadSourceText& bad) {
  json.StartObject();
  key(json, "version");
  string(json, names.version);
  key(json, "connector");
  string(json, names.connector);
  key(json, "name");
  string(json, names.name);
  key(json, "ts_ms");
  json.Int64(floor_div(source.commit_time_us, 1000));
  key(json, "snapshot");
  string(json, snapshot_name(source.snapshot));
  key(json, "db");
  write_source_text(json, "database name", source.db, bad);
  if (layout == SourceLayout::kPostgres) {
    write_postgres_fields(json, table, source, scratch, bad);
  } else {
    write_binlog_fields(json, table, source, bad);
  }
  json.EndObject();
}

}  // namespace tributary::envelope::detail
