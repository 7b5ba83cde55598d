// Debezium's MySQL/MariaDB schema change records (topic <prefix>): the key
// io.debezium.connector.<connector>.SchemaChangeKey {databaseName} and the value
// io.debezium.connector.<connector>.SchemaChangeValue {source, ts_ms, databaseName, schemaName,
// ddl, tableChanges}, field order and optionality as Debezium's SchemaFactory declares them
// (schemaHistoryConnectorKeySchema / ValueSchema, schemaHistoryChangeSchema, ...TableSchema,
// ...ColumnSchema); JsonConverter writes every field of a struct, null where unset.
#include <string>

#include "envelope/json_util.hpp"
#include "envelope/serializer.hpp"
#include "envelope/source_block.hpp"

namespace tributary::envelope {
namespace {

using detail::JsonWriter;
using detail::key;
using detail::primitive_field;
using detail::string;
using detail::struct_tail;

/// {"type":"array","items":{"type":"string","optional":false},"optional":true,"field":...}
void string_array_field(JsonWriter& json, std::string_view field) {
  json.StartObject();
  key(json, "type");
  string(json, "array");
  key(json, "items");
  primitive_field(json, "string", false, "");
  key(json, "optional");
  json.Bool(true);
  key(json, "field");
  string(json, field);
  json.EndObject();
}

void write_column_schema(JsonWriter& json) {
  json.StartObject();
  key(json, "type");
  string(json, "struct");
  key(json, "fields");
  json.StartArray();
  primitive_field(json, "string", false, "name");
  primitive_field(json, "int32", false, "jdbcType");
  primitive_field(json, "int32", true, "nativeType");
  primitive_field(json, "string", false, "typeName");
  primitive_field(json, "string", true, "typeExpression");
  primitive_field(json, "string", true, "charsetName");
  primitive_field(json, "int32", true, "length");
  primitive_field(json, "int32", true, "scale");
  primitive_field(json, "int32", false, "position");
  primitive_field(json, "boolean", true, "optional");
  primitive_field(json, "boolean", true, "autoIncremented");
  primitive_field(json, "boolean", true, "generated");
  primitive_field(json, "string", true, "comment");
  primitive_field(json, "string", true, "defaultValueExpression");
  string_array_field(json, "enumValues");
  json.EndArray();
  struct_tail(json, false, "io.debezium.connector.schema.Column", "");
}

void write_change_schema(JsonWriter& json) {
  json.StartObject();
  key(json, "type");
  string(json, "struct");
  key(json, "fields");
  json.StartArray();
  primitive_field(json, "string", false, "type");
  primitive_field(json, "string", false, "id");
  json.StartObject();
  key(json, "type");
  string(json, "struct");
  key(json, "fields");
  json.StartArray();
  primitive_field(json, "string", true, "defaultCharsetName");
  string_array_field(json, "primaryKeyColumnNames");
  json.StartObject();
  key(json, "type");
  string(json, "array");
  key(json, "items");
  write_column_schema(json);
  key(json, "optional");
  json.Bool(false);
  key(json, "field");
  string(json, "columns");
  json.EndObject();
  primitive_field(json, "string", true, "comment");
  json.EndArray();
  struct_tail(json, true, "io.debezium.connector.schema.Table", "table");
  json.EndArray();
  struct_tail(json, false, "io.debezium.connector.schema.Change", "");
}

void write_value_schema(JsonWriter& json, detail::SourceLayout layout,
                        const std::string& connector) {
  json.StartObject();
  key(json, "type");
  string(json, "struct");
  key(json, "fields");
  json.StartArray();
  detail::write_source_schema(json, layout);
  primitive_field(json, "int64", false, "ts_ms");
  primitive_field(json, "string", true, "databaseName");
  primitive_field(json, "string", true, "schemaName");
  primitive_field(json, "string", true, "ddl");
  json.StartObject();
  key(json, "type");
  string(json, "array");
  key(json, "items");
  write_change_schema(json);
  key(json, "optional");
  json.Bool(false);
  key(json, "field");
  string(json, "tableChanges");
  json.EndObject();
  json.EndArray();
  struct_tail(json, false, "io.debezium.connector." + connector + ".SchemaChangeValue", "");
}

void optional_string(JsonWriter& json, const std::optional<std::string>& text) {
  if (text) {
    string(json, *text);
  } else {
    json.Null();
  }
}

void optional_int(JsonWriter& json, const std::optional<int32_t>& number) {
  if (number) {
    json.Int(*number);
  } else {
    json.Null();
  }
}

void string_array(JsonWriter& json, const std::vector<std::string>& items) {
  json.StartArray();
  for (const auto& item : items) string(json, item);
  json.EndArray();
}

void write_column(JsonWriter& json, const event::DdlColumn& column) {
  json.StartObject();
  key(json, "name");
  string(json, column.name);
  key(json, "jdbcType");
  json.Int(column.jdbc_type);
  key(json, "nativeType");
  json.Null();  // Debezium's MySQL parser leaves it unset
  key(json, "typeName");
  string(json, column.type_name);
  key(json, "typeExpression");
  string(json, column.type_expression);
  key(json, "charsetName");
  optional_string(json, column.charset);
  key(json, "length");
  optional_int(json, column.length);
  key(json, "scale");
  optional_int(json, column.scale);
  key(json, "position");
  json.Int(column.position);
  key(json, "optional");
  json.Bool(column.optional);
  key(json, "autoIncremented");
  json.Bool(column.auto_incremented);
  key(json, "generated");
  json.Bool(column.generated);
  key(json, "comment");
  optional_string(json, column.comment);
  key(json, "defaultValueExpression");
  optional_string(json, column.default_expression);
  key(json, "enumValues");
  if (column.enum_values.empty()) {
    json.Null();
  } else {
    string_array(json, column.enum_values);
  }
  json.EndObject();
}

const char* type_name(event::TableChangeType type) {
  switch (type) {
    case event::TableChangeType::kCreate:
      return "CREATE";
    case event::TableChangeType::kAlter:
      return "ALTER";
    case event::TableChangeType::kDrop:
      return "DROP";
  }
  return "ALTER";
}

void write_table_change(JsonWriter& json, const event::TableChange& change) {
  json.StartObject();
  key(json, "type");
  string(json, type_name(change.type));
  key(json, "id");
  // TableId.toDoubleQuotedString: "db"."table" (MySQL has no schema part)
  string(json, "\"" + change.id.schema + "\".\"" + change.id.table + "\"");
  key(json, "table");
  if (change.type == event::TableChangeType::kDrop) {  // Debezium's DROP carries no table
    json.Null();
    json.EndObject();
    return;
  }
  json.StartObject();
  key(json, "defaultCharsetName");
  optional_string(json, change.default_charset);
  key(json, "primaryKeyColumnNames");
  string_array(json, change.primary_key);
  key(json, "columns");
  json.StartArray();
  for (const auto& column : change.columns) write_column(json, column);
  json.EndArray();
  key(json, "comment");
  optional_string(json, change.comment);
  json.EndObject();
  json.EndObject();
}

/// Every text of the change that goes into the record, for the UTF-8 check.
bool texts_valid(const event::SchemaChange& change) {
  if (!detail::valid_utf8(change.ddl) || !detail::valid_utf8(change.database) ||
      !detail::valid_utf8(change.source_table))
    return false;
  for (const auto& table : change.tables) {
    if (!detail::valid_utf8(table.id.schema) || !detail::valid_utf8(table.id.table)) return false;
    for (const auto& name : table.primary_key) {
      if (!detail::valid_utf8(name)) return false;
    }
    for (const auto& column : table.columns) {
      for (const std::string* text : {&column.name, &column.type_name, &column.type_expression}) {
        if (!detail::valid_utf8(*text)) return false;
      }
      for (const auto* text : {&column.comment, &column.default_expression, &column.charset}) {
        if (*text && !detail::valid_utf8(**text)) return false;
      }
      for (const auto& label : column.enum_values) {
        if (!detail::valid_utf8(label)) return false;
      }
    }
  }
  return true;
}

}  // namespace

Result<void> Serializer::serialize_schema_change(const event::SchemaChange& change, int64_t now_us,
                                                 std::vector<sink::Message>& out) {
  if (layout_ == detail::SourceLayout::kPostgres) {
    return Error::config("schema change records are written for mysql and mariadb sources only");
  }
  if (!texts_valid(change)) {
    return Error::corrupt(
        "the schema change of database " + detail::quote_for_error(change.database) + " (DDL " +
        detail::quote_for_error(change.ddl) + ") holds a name or text that is not valid UTF-8");
  }
  sink::Message message;
  message.topic = sanitize_topic_name(options_.topic_prefix);
  message.partition = 0;

  rapidjson::StringBuffer key_buffer;
  JsonWriter key_json(key_buffer);
  key_json.StartObject();
  if (options_.schemas) {
    key(key_json, "schema");
    key_json.StartObject();
    key(key_json, "type");
    string(key_json, "struct");
    key(key_json, "fields");
    key_json.StartArray();
    primitive_field(key_json, "string", false, "databaseName");
    key_json.EndArray();
    struct_tail(key_json, false, "io.debezium.connector." + options_.connector + ".SchemaChangeKey",
                "");
    key(key_json, "payload");
    key_json.StartObject();
  }
  key(key_json, "databaseName");
  string(key_json, change.database);
  if (options_.schemas) key_json.EndObject();
  key_json.EndObject();
  message.key = std::string(key_buffer.GetString(), key_buffer.GetSize());

  rapidjson::StringBuffer buffer;
  JsonWriter json(buffer);
  json.StartObject();
  if (options_.schemas) {
    key(json, "schema");
    write_value_schema(json, layout_, options_.connector);
    key(json, "payload");
    json.StartObject();
  }
  key(json, "source");
  event::TableSchema named;  // source.table: the tables the statement touched
  named.id = {change.database, change.source_table};
  std::string scratch;
  detail::BadSourceText bad;
  const detail::SourceNames names{options_.version, options_.connector, options_.topic_prefix};
  detail::write_source(json, layout_, names, named, change.source, scratch, bad);
  if (bad.what != nullptr) {
    return Error::corrupt(std::string("the schema change's ") + bad.what + " " +
                          detail::quote_for_error(bad.text) + " is not valid UTF-8");
  }
  key(json, "ts_ms");
  json.Int64(detail::floor_div(now_us, 1000));
  key(json, "databaseName");
  string(json, change.database);
  key(json, "schemaName");
  json.Null();
  key(json, "ddl");
  string(json, change.ddl);
  key(json, "tableChanges");
  json.StartArray();
  for (const auto& table : change.tables) write_table_change(json, table);
  json.EndArray();
  if (options_.schemas) json.EndObject();
  json.EndObject();
  message.value = std::string(buffer.GetString(), buffer.GetSize());
  out.push_back(std::move(message));
  return {};
}

}  // namespace tributary::envelope
