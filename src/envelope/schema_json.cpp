// The JsonConverter "schema" part of the key and value records.
#include "envelope/schema_json.hpp"

#include "envelope/value_writer.hpp"

namespace tributary::envelope::detail {
namespace {

using event::ColumnType;
using event::TypeKind;

/// The before/after struct: every column, optional, named <topic>.Value.
void write_row_schema(JsonWriter& json, const event::TableSchema& table, const std::string& topic,
                      std::string_view field, const Mapping& mapping,
                      const std::vector<ColumnPlan>* plans) {
  json.StartObject();
  key(json, "type");
  string(json, "struct");
  key(json, "fields");
  json.StartArray();
  for (std::size_t i = 0; i < table.columns.size(); ++i) {
    const auto& column = table.columns[i];
    const ColumnPlan* plan = plans != nullptr && i < plans->size() ? &(*plans)[i] : nullptr;
    if (plan != nullptr ? plan->omitted : column.omitted) continue;
    write_type_schema(json, column.type, column.optional, &column.name, mapping,
                      column.default_value.get(), plan != nullptr ? plan->mask.get() : nullptr);
  }
  json.EndArray();
  key(json, "optional");
  json.Bool(true);
  key(json, "name");
  string(json, topic + ".Value");
  key(json, "field");
  string(json, field);
  json.EndObject();
}

/// The transaction block (event.block), null unless transaction metadata is on.
void write_transaction_schema(JsonWriter& json) {
  json.StartObject();
  key(json, "type");
  string(json, "struct");
  key(json, "fields");
  json.StartArray();
  primitive_field(json, "string", false, "id");
  primitive_field(json, "int64", false, "total_order");
  primitive_field(json, "int64", false, "data_collection_order");
  json.EndArray();
  key(json, "optional");
  json.Bool(true);
  key(json, "name");
  string(json, "event.block");
  key(json, "version");
  json.Int(1);
  key(json, "field");
  string(json, "transaction");
  json.EndObject();
}

}  // namespace

void write_transaction_block_schema(JsonWriter& json) {
  write_transaction_schema(json);
}

void write_type_schema(JsonWriter& json, const ColumnType& type, bool optional,
                       const std::string* field, const Mapping& mapping,
                       const event::Value* default_value, const ColumnMask* mask) {
  std::string_view schema_type;
  std::string_view name;
  bool has_version = true;
  const config::DecimalHandling decimal_mode = mapping.decimal_handling;
  const bool precise = decimal_mode == config::DecimalHandling::kPrecise;
  const bool connect = mapping.time_precision == config::TimePrecision::kConnect;
  const bool hstore_map =
      type.kind == TypeKind::kHstore && mapping.hstore_handling == config::HstoreHandling::kMap;
  switch (type.kind) {
    case TypeKind::kBool:
      schema_type = "boolean";
      break;
    case TypeKind::kInt16:
      schema_type = "int16";
      break;
    case TypeKind::kInt32:
      schema_type = "int32";
      break;
    case TypeKind::kYear:  // BinlogValueConverters.schemaBuilder: Year.builder()
      schema_type = "int32";
      name = "io.debezium.time.Year";
      break;
    case TypeKind::kInt64:
      schema_type = "int64";
      break;
    case TypeKind::kFloat32:
      schema_type = "float";
      break;
    case TypeKind::kFloat64:
      schema_type = "double";
      break;
    case TypeKind::kDecimal:
    case TypeKind::kVariableDecimal:
      if (decimal_mode == config::DecimalHandling::kDouble) {
        schema_type = "double";
      } else if (decimal_mode == config::DecimalHandling::kString) {
        schema_type = "string";
      } else if (type.kind == TypeKind::kDecimal) {
        schema_type = "bytes";
        name = "org.apache.kafka.connect.data.Decimal";
      } else {
        schema_type = "struct";
        name = "io.debezium.data.VariableScaleDecimal";
      }
      break;
    case TypeKind::kString:
      schema_type = "string";
      break;
    case TypeKind::kBytes:  // binary.handling.mode base64, base64-url-safe, hex: a string
      schema_type = binary_as_bytes(mapping) ? "bytes" : "string";
      break;
    case TypeKind::kBits:  // JdbcValueConverters.schemaBuilder, Types.BIT length > 1:
                           // Bits.builder(n)
      schema_type = "bytes";
      name = "io.debezium.data.Bits";
      break;
    case TypeKind::kDate:
      schema_type = "int32";
      name = connect ? "org.apache.kafka.connect.data.Date" : "io.debezium.time.Date";
      break;
    case TypeKind::kTime:
      schema_type = millisecond_precision(type, mapping) ? "int32" : "int64";
      name = connect                                ? "org.apache.kafka.connect.data.Time"
             : millisecond_precision(type, mapping) ? "io.debezium.time.Time"
                                                    : "io.debezium.time.MicroTime";
      break;
    case TypeKind::kTimestamp:
      schema_type = "int64";
      name = connect                                ? "org.apache.kafka.connect.data.Timestamp"
             : millisecond_precision(type, mapping) ? "io.debezium.time.Timestamp"
                                                    : "io.debezium.time.MicroTimestamp";
      break;
    case TypeKind::kTimestampTz:
      schema_type = "string";
      name = "io.debezium.time.ZonedTimestamp";
      break;
    case TypeKind::kInterval:
      if (mapping.interval_handling == config::IntervalHandling::kString) {
        schema_type = "string";
        name = "io.debezium.time.Interval";
      } else {
        schema_type = "int64";
        name = "io.debezium.time.MicroDuration";
      }
      break;
    case TypeKind::kUuid:
      schema_type = "string";
      name = "io.debezium.data.Uuid";
      break;
    case TypeKind::kJson:
      schema_type = "string";
      name = "io.debezium.data.Json";
      break;
    case TypeKind::kXml:
      schema_type = "string";
      name = "io.debezium.data.Xml";
      break;
    case TypeKind::kEnum:
      schema_type = "string";
      name = "io.debezium.data.Enum";
      break;
    case TypeKind::kSet:  // BinlogValueConverters.schemaBuilder: EnumSet.builder(options)
      schema_type = "string";
      name = "io.debezium.data.EnumSet";
      break;
    case TypeKind::kTimeTz:
      schema_type = "string";
      name = "io.debezium.time.ZonedTime";
      break;
    case TypeKind::kLtree:
      schema_type = "string";
      name = "io.debezium.data.Ltree";
      break;
    case TypeKind::kTsvector:
      schema_type = "string";
      name = "io.debezium.data.Tsvector";
      break;
    case TypeKind::kHstore:  // hstore.handling.mode json (Debezium's default) or map
      if (hstore_map) {
        schema_type = "map";
      } else {
        schema_type = "string";
        name = "io.debezium.data.Json";
      }
      break;
    case TypeKind::kArray:
      schema_type = "array";
      break;
  }
  if (name.empty()) has_version = false;

  json.StartObject();
  key(json, "type");
  string(json, schema_type);
  if (hstore_map) {  // SchemaBuilder.map(STRING_SCHEMA, OPTIONAL_STRING_SCHEMA)
    key(json, "keys");
    json.StartObject();
    key(json, "type");
    string(json, "string");
    key(json, "optional");
    json.Bool(false);
    json.EndObject();
    key(json, "values");
    json.StartObject();
    key(json, "type");
    string(json, "string");
    key(json, "optional");
    json.Bool(true);
    json.EndObject();
  } else if (type.kind == TypeKind::kVariableDecimal && precise) {
    key(json, "fields");
    json.StartArray();
    primitive_field(json, "int32", false, "scale");
    primitive_field(json, "bytes", false, "value");
    json.EndArray();
  } else if (type.kind == TypeKind::kArray) {
    key(json, "items");
    // PostgresValueConverter: the items of enum, tsvector and isbn arrays are built without
    // optional() (checked against Debezium 3.6.1), every other array's items are optional.
    const bool required_items = type.element->kind == TypeKind::kEnum ||
                                type.element->kind == TypeKind::kTsvector ||
                                type.element->source_name == "isbn";
    write_type_schema(json, *type.element, !required_items, nullptr, mapping);
  }
  key(json, "optional");
  json.Bool(optional);
  if (!name.empty()) {
    key(json, "name");
    string(json, name);
  }
  if (has_version) {
    key(json, "version");
    json.Int(1);
  }
  if (type.kind == TypeKind::kVariableDecimal && precise) {
    key(json, "doc");
    string(json, "Variable scaled decimal");
  }
  // A column mapper's parameter (columns.truncate_to / mask_with / mask_hash) follows the
  // type's own, as Debezium's alterFieldSchema adds it after the converter's.
  const bool mask_parameter = mask != nullptr && !mask->parameter.empty();
  const auto end_parameters = [&] {
    if (mask_parameter) {
      key(json, mask->parameter);
      string(json, mask->parameter_value);
    }
    json.EndObject();
  };
  if (type.kind == TypeKind::kDecimal && precise) {
    key(json, "parameters");
    json.StartObject();
    key(json, "scale");
    string(json, std::to_string(type.scale));
    if (type.precision > 0) {  // PostgreSQL money: Decimal.builder(2) names no precision
      key(json, "connect.decimal.precision");
      string(json, std::to_string(type.precision));
    }
    end_parameters();
  } else if (type.kind == TypeKind::kBits) {
    key(json, "parameters");
    json.StartObject();
    key(json, "length");
    string(json, std::to_string(type.precision));
    end_parameters();
  } else if (type.kind == TypeKind::kEnum || type.kind == TypeKind::kSet) {
    std::string allowed;
    for (const auto& label : type.enum_values) {
      if (!allowed.empty()) allowed.push_back(',');
      allowed += label;
    }
    key(json, "parameters");
    json.StartObject();
    key(json, "allowed");
    string(json, allowed);
    end_parameters();
  } else if (mask_parameter) {
    key(json, "parameters");
    json.StartObject();
    end_parameters();
  }
  if (default_value != nullptr) {
    // JsonConverter.asJsonSchema: "default", encoded as a value of the field's schema.
    key(json, "default");
    static const std::string kNoPlaceholder;
    ValueWriter writer(json, kNoPlaceholder);
    ColumnPlan plan{field != nullptr ? *field : std::string(), event::type_label(type),
                    make_value_plan(type, mapping), false};
    if (!writer.write("default", plan, *default_value).ok()) json.Null();
  }
  if (field != nullptr) {
    key(json, "field");
    string(json, *field);
  }
  json.EndObject();
}

RecordPrefixes record_prefixes(const event::TableSchema& table, const std::string& topic,
                               SourceLayout layout, const Mapping& mapping,
                               const std::vector<ColumnPlan>* columns, bool routed_key) {
  RecordPrefixes prefixes;
  rapidjson::StringBuffer buffer;
  JsonWriter json(buffer);
  json.StartObject();
  key(json, "type");
  string(json, "struct");
  key(json, "fields");
  json.StartArray();
  for (std::size_t index : table.key_columns) {
    const auto& column = table.columns[index];
    write_type_schema(json, column.type, column.optional, &column.name, mapping,
                      column.default_value.get());
  }
  if (routed_key) primitive_field(json, "string", false, "__dbz__physicalTableIdentifier");
  json.EndArray();
  key(json, "optional");
  json.Bool(false);
  key(json, "name");
  string(json, topic + ".Key");
  json.EndObject();
  prefixes.key =
      "{\"schema\":" + std::string(buffer.GetString(), buffer.GetSize()) + ",\"payload\":";

  buffer.Clear();
  json.Reset(buffer);
  json.StartObject();
  key(json, "type");
  string(json, "struct");
  key(json, "fields");
  json.StartArray();
  write_row_schema(json, table, topic, "before", mapping, columns);
  write_row_schema(json, table, topic, "after", mapping, columns);
  write_source_schema(json, layout);
  write_transaction_schema(json);
  primitive_field(json, "string", false, "op");
  primitive_field(json, "int64", true, "ts_ms");
  primitive_field(json, "int64", true, "ts_us");
  primitive_field(json, "int64", true, "ts_ns");
  json.EndArray();
  key(json, "optional");
  json.Bool(false);
  key(json, "name");
  string(json, topic + ".Envelope");
  key(json, "version");
  json.Int(2);
  json.EndObject();
  prefixes.value =
      "{\"schema\":" + std::string(buffer.GetString(), buffer.GetSize()) + ",\"payload\":";
  return prefixes;
}

}  // namespace tributary::envelope::detail
