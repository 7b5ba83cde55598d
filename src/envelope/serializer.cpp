// The Debezium JSON envelope: schema fragments cached per table version, payloads per event.
#include "envelope/serializer.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <charconv>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <string_view>
#include <type_traits>
#include <unordered_set>
#include <utility>

#include "envelope/text_codec.hpp"

namespace tributary::envelope {
namespace {

using event::ColumnType;
using event::TypeKind;

/// Does not validate UTF-8 itself (its validating path is several times slower): names are
/// checked once per table version, option values once, value text per value with valid_utf8.
using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

constexpr const char* kNewKeyHeader = "__debezium.newkey";
constexpr const char* kOldKeyHeader = "__debezium.oldkey";
/// Every value source.snapshot can take (Debezium 3's SnapshotRecord, lower case).
constexpr const char* kSnapshotAllowed =
    "true,first,first_in_data_collection,last_in_data_collection,last,false,incremental";

/// How one value (a column, or an array element) becomes JSON.
enum class Conversion : uint8_t {
  kBool,
  kInt16,
  kInt32,
  kInt64,
  kFloat32,
  kFloat64,
  kDecimal,
  kVariableDecimal,
  kString,  ///< text as is: text, varchar, uuid, json, xml, enum, ...
  kBytes,
  kDate,
  kTimeMillis,
  kTimeMicros,
  kTimestampMillis,
  kTimestampMicros,
  kZonedTimestamp,
  kMicroDuration,
  kArray,
};

struct ValuePlan {
  Conversion conversion = Conversion::kString;
  int scale = 0;                             ///< kDecimal
  int fraction_digits = 6;                   ///< kZonedTimestamp
  std::shared_ptr<const ValuePlan> element;  ///< kArray
};

struct ColumnPlan {
  std::string name;
  std::string type_name;  ///< for error messages
  ValuePlan value;
  bool omitted = false;  ///< Column::omitted: no field, its row value is ignored
};

std::string_view kind_name(TypeKind kind) {
  switch (kind) {
    case TypeKind::kBool:
      return "kBool";
    case TypeKind::kInt16:
      return "kInt16";
    case TypeKind::kInt32:
      return "kInt32";
    case TypeKind::kInt64:
      return "kInt64";
    case TypeKind::kFloat32:
      return "kFloat32";
    case TypeKind::kFloat64:
      return "kFloat64";
    case TypeKind::kDecimal:
      return "kDecimal";
    case TypeKind::kVariableDecimal:
      return "kVariableDecimal";
    case TypeKind::kString:
      return "kString";
    case TypeKind::kBytes:
      return "kBytes";
    case TypeKind::kDate:
      return "kDate";
    case TypeKind::kTime:
      return "kTime";
    case TypeKind::kTimestamp:
      return "kTimestamp";
    case TypeKind::kTimestampTz:
      return "kTimestampTz";
    case TypeKind::kInterval:
      return "kInterval";
    case TypeKind::kUuid:
      return "kUuid";
    case TypeKind::kJson:
      return "kJson";
    case TypeKind::kXml:
      return "kXml";
    case TypeKind::kEnum:
      return "kEnum";
    case TypeKind::kArray:
      return "kArray";
  }
  return "unknown";
}

std::string type_name(const ColumnType& type) {
  std::string name =
      type.source_name.empty() ? std::string(kind_name(type.kind)) : type.source_name;
  if (!type.source_name.empty()) name += " (" + std::string(kind_name(type.kind)) + ")";
  return name;
}

bool millisecond_precision(const ColumnType& type) {
  return type.precision >= 0 && type.precision <= 3;
}

/// Why `type` cannot be serialized, or "" when it can.
std::string unsupported_reason(const ColumnType& type, bool is_element) {
  switch (type.kind) {
    case TypeKind::kBool:
    case TypeKind::kInt16:
    case TypeKind::kInt32:
    case TypeKind::kInt64:
    case TypeKind::kFloat32:
    case TypeKind::kFloat64:
    case TypeKind::kVariableDecimal:
    case TypeKind::kString:
    case TypeKind::kBytes:
    case TypeKind::kDate:
    case TypeKind::kInterval:
    case TypeKind::kUuid:
    case TypeKind::kJson:
    case TypeKind::kXml:
    case TypeKind::kEnum:
      return "";
    case TypeKind::kDecimal:
      if (type.precision < 1) {
        return "is a fixed-scale numeric without a precision (an unconstrained numeric is "
               "kVariableDecimal)";
      }
      if (type.scale < 0) {
        return "is a fixed-scale numeric without a non-negative scale (negative scales are not "
               "supported; an unconstrained numeric is kVariableDecimal)";
      }
      return "";
    case TypeKind::kTime:
    case TypeKind::kTimestamp:
    case TypeKind::kTimestampTz:
      if (type.precision < -1 || type.precision > 6) {
        return "has fractional second precision " + std::to_string(type.precision) +
               " (0-6, or -1 for the default)";
      }
      return "";
    case TypeKind::kArray:
      if (is_element) return "is an array of arrays (arrays are one type with dimensions)";
      if (!type.element) return "is an array without an element type";
      if (auto reason = unsupported_reason(*type.element, true); !reason.empty()) {
        return "is an array whose element type " + type_name(*type.element) + " " + reason;
      }
      return "";
  }
  return "has an unknown type kind " + std::to_string(static_cast<int>(type.kind));
}

ValuePlan make_value_plan(const ColumnType& type) {
  ValuePlan plan;
  switch (type.kind) {
    case TypeKind::kBool:
      plan.conversion = Conversion::kBool;
      break;
    case TypeKind::kInt16:
      plan.conversion = Conversion::kInt16;
      break;
    case TypeKind::kInt32:
      plan.conversion = Conversion::kInt32;
      break;
    case TypeKind::kInt64:
      plan.conversion = Conversion::kInt64;
      break;
    case TypeKind::kFloat32:
      plan.conversion = Conversion::kFloat32;
      break;
    case TypeKind::kFloat64:
      plan.conversion = Conversion::kFloat64;
      break;
    case TypeKind::kDecimal:
      plan.conversion = Conversion::kDecimal;
      plan.scale = type.scale;
      break;
    case TypeKind::kVariableDecimal:
      plan.conversion = Conversion::kVariableDecimal;
      break;
    case TypeKind::kBytes:
      plan.conversion = Conversion::kBytes;
      break;
    case TypeKind::kDate:
      plan.conversion = Conversion::kDate;
      break;
    case TypeKind::kTime:
      plan.conversion =
          millisecond_precision(type) ? Conversion::kTimeMillis : Conversion::kTimeMicros;
      break;
    case TypeKind::kTimestamp:
      plan.conversion =
          millisecond_precision(type) ? Conversion::kTimestampMillis : Conversion::kTimestampMicros;
      break;
    case TypeKind::kTimestampTz:
      plan.conversion = Conversion::kZonedTimestamp;
      plan.fraction_digits = type.precision < 0 ? 6 : type.precision;
      break;
    case TypeKind::kInterval:
      plan.conversion = Conversion::kMicroDuration;
      break;
    case TypeKind::kArray:
      plan.conversion = Conversion::kArray;
      plan.element = std::make_shared<const ValuePlan>(make_value_plan(*type.element));
      break;
    case TypeKind::kString:
    case TypeKind::kUuid:
    case TypeKind::kJson:
    case TypeKind::kXml:
    case TypeKind::kEnum:
      plan.conversion = Conversion::kString;
      break;
  }
  return plan;
}

bool is_string_shaped(Conversion conversion) {
  return conversion == Conversion::kString || conversion == Conversion::kZonedTimestamp;
}

int64_t floor_div(int64_t value, int64_t divisor) {
  int64_t quotient = value / divisor;
  return (value % divisor != 0 && value < 0) ? quotient - 1 : quotient;
}

/// µs -> ns for ts_ns, saturating: a commit time from the wire can be any int64 (fuzz finding).
int64_t micros_to_nanos(int64_t micros) {
  int64_t nanos = 0;
  if (__builtin_mul_overflow(micros, int64_t{1000}, &nanos)) {
    return micros < 0 ? INT64_MIN : INT64_MAX;
  }
  return nanos;
}

// --- schema JSON (JsonConverter key order: type, fields/items, optional, name, version, doc,
// parameters, default, field) ------------------------------------------------------------------

void key(JsonWriter& json, std::string_view name) {
  json.Key(name.data(), static_cast<rapidjson::SizeType>(name.size()));
}
void string(JsonWriter& json, std::string_view value) {
  json.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
}

/// {"type":"<type>","optional":<optional>[,"field":"<field>"]}
void primitive_field(JsonWriter& json, std::string_view type, bool optional,
                     std::string_view field) {
  json.StartObject();
  key(json, "type");
  string(json, type);
  key(json, "optional");
  json.Bool(optional);
  if (!field.empty()) {
    key(json, "field");
    string(json, field);
  }
  json.EndObject();
}

void write_type_schema(JsonWriter& json, const ColumnType& type, bool optional,
                       const std::string* field) {
  std::string_view schema_type;
  std::string_view name;
  bool has_version = true;
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
      schema_type = "bytes";
      name = "org.apache.kafka.connect.data.Decimal";
      break;
    case TypeKind::kVariableDecimal:
      schema_type = "struct";
      name = "io.debezium.data.VariableScaleDecimal";
      break;
    case TypeKind::kString:
      schema_type = "string";
      break;
    case TypeKind::kBytes:
      schema_type = "bytes";
      break;
    case TypeKind::kDate:
      schema_type = "int32";
      name = "io.debezium.time.Date";
      break;
    case TypeKind::kTime:
      schema_type = millisecond_precision(type) ? "int32" : "int64";
      name = millisecond_precision(type) ? "io.debezium.time.Time" : "io.debezium.time.MicroTime";
      break;
    case TypeKind::kTimestamp:
      schema_type = "int64";
      name = millisecond_precision(type) ? "io.debezium.time.Timestamp"
                                         : "io.debezium.time.MicroTimestamp";
      break;
    case TypeKind::kTimestampTz:
      schema_type = "string";
      name = "io.debezium.time.ZonedTimestamp";
      break;
    case TypeKind::kInterval:
      schema_type = "int64";
      name = "io.debezium.time.MicroDuration";
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
    case TypeKind::kArray:
      schema_type = "array";
      break;
  }
  if (name.empty()) has_version = false;

  json.StartObject();
  key(json, "type");
  string(json, schema_type);
  if (type.kind == TypeKind::kVariableDecimal) {
    key(json, "fields");
    json.StartArray();
    primitive_field(json, "int32", false, "scale");
    primitive_field(json, "bytes", false, "value");
    json.EndArray();
  } else if (type.kind == TypeKind::kArray) {
    key(json, "items");
    write_type_schema(json, *type.element, true, nullptr);
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
  if (type.kind == TypeKind::kVariableDecimal) {
    key(json, "doc");
    string(json, "Variable scaled decimal");
  }
  if (type.kind == TypeKind::kDecimal) {
    key(json, "parameters");
    json.StartObject();
    key(json, "scale");
    string(json, std::to_string(type.scale));
    key(json, "connect.decimal.precision");
    string(json, std::to_string(type.precision));
    json.EndObject();
  } else if (type.kind == TypeKind::kEnum) {
    std::string allowed;
    for (const auto& label : type.enum_values) {
      if (!allowed.empty()) allowed.push_back(',');
      allowed += label;
    }
    key(json, "parameters");
    json.StartObject();
    key(json, "allowed");
    string(json, allowed);
    json.EndObject();
  }
  if (field != nullptr) {
    key(json, "field");
    string(json, *field);
  }
  json.EndObject();
}

/// The before/after struct: every column, optional, named <topic>.Value.
void write_row_schema(JsonWriter& json, const event::TableSchema& table, const std::string& topic,
                      std::string_view field) {
  json.StartObject();
  key(json, "type");
  string(json, "struct");
  key(json, "fields");
  json.StartArray();
  for (const auto& column : table.columns) {
    if (column.omitted) continue;
    write_type_schema(json, column.type, column.optional, &column.name);
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

/// io.debezium.connector.postgresql.Source (PostgresSourceInfoStructMaker).
void write_postgres_source_schema(JsonWriter& json) {
  json.StartObject();
  key(json, "type");
  string(json, "struct");
  key(json, "fields");
  json.StartArray();
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
  primitive_field(json, "string", false, "schema");
  primitive_field(json, "string", false, "table");
  primitive_field(json, "int64", true, "txId");
  primitive_field(json, "int64", true, "lsn");
  primitive_field(json, "int64", true, "xmin");
  json.EndArray();
  key(json, "optional");
  json.Bool(false);
  key(json, "name");
  string(json, "io.debezium.connector.postgresql.Source");
  key(json, "version");
  json.Int(1);
  key(json, "field");
  string(json, "source");
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

std::string_view snapshot_name(event::SnapshotMarker marker) {
  switch (marker) {
    case event::SnapshotMarker::kFalse:
      return "false";
    case event::SnapshotMarker::kFirst:
      return "first";
    case event::SnapshotMarker::kTrue:
      return "true";
    case event::SnapshotMarker::kLast:
      return "last";
  }
  return "false";
}

/// Value text for error messages: quoted, cut to a readable length.
std::string quote_for_error(std::string_view text) {
  constexpr std::size_t kMax = 80;
  std::string quoted = "'";
  quoted += text.substr(0, kMax);
  if (text.size() > kMax) quoted += "...";
  quoted += "'";
  if (text.size() > kMax) quoted += " (" + std::to_string(text.size()) + " bytes)";
  return quoted;
}

std::string describe(const event::Value& value) {
  switch (value.index()) {
    case 0:
      return "NULL";
    case 1:
      return "an unchanged TOAST value";
    case 2:
      return "value " + quote_for_error(std::get<std::string>(value));
    case 3:
      return std::string("boolean ") + (std::get<bool>(value) ? "true" : "false");
    case 4:
      return "integer " + std::to_string(std::get<int64_t>(value));
    case 5:
      return "double " + std::to_string(std::get<double>(value));
  }
  return "value";
}

/// UTF-8 well-formedness (no overlongs, surrogates or code points past U+10FFFF), with an ASCII
/// fast path: most values are ASCII and this runs on every string value.
bool valid_utf8(std::string_view text) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const auto* end = p + text.size();
  while (p < end) {
    if (end - p >= 8) {
      uint64_t chunk;
      std::memcpy(&chunk, p, sizeof(chunk));
      if ((chunk & 0x8080808080808080ULL) == 0) {
        p += 8;
        continue;
      }
    }
    const unsigned char lead = *p;
    if (lead < 0x80) {
      ++p;
      continue;
    }
    int continuation = 0;
    uint32_t code_point = 0;
    if (lead >= 0xC2 && lead <= 0xDF) {
      continuation = 1;
      code_point = lead & 0x1F;
    } else if ((lead & 0xF0) == 0xE0) {
      continuation = 2;
      code_point = lead & 0x0F;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
      continuation = 3;
      code_point = lead & 0x07;
    } else {
      return false;
    }
    if (end - p <= continuation) return false;
    for (int i = 1; i <= continuation; ++i) {
      if ((p[i] & 0xC0) != 0x80) return false;
      code_point = (code_point << 6) | (p[i] & 0x3F);
    }
    if (continuation == 2 &&
        (code_point < 0x800 || (code_point >= 0xD800 && code_point <= 0xDFFF))) {
      return false;
    }
    if (continuation == 3 && (code_point < 0x10000 || code_point > 0x10FFFF)) return false;
    p += continuation + 1;
  }
  return true;
}

bool type_names_valid_utf8(const ColumnType& type) {
  for (const auto& label : type.enum_values) {
    if (!valid_utf8(label)) return false;
  }
  return !type.element || type_names_valid_utf8(*type.element);
}

/// Names end up in schema JSON, which is built once and not checked per event.
bool names_valid_utf8(const event::TableSchema& schema) {
  if (!valid_utf8(schema.id.schema) || !valid_utf8(schema.id.table)) return false;
  for (const auto& column : schema.columns) {
    if (column.omitted) continue;
    if (!valid_utf8(column.name) || !type_names_valid_utf8(column.type)) return false;
  }
  return true;
}

}  // namespace

std::string sanitize_topic_name(std::string_view name) {
  std::string topic(name);
  for (char& c : topic) {
    bool valid = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '.' || c == '_' || c == '-';
    if (!valid) c = '_';
  }
  return topic;
}

Result<void> check_supported(const event::TableSchema& schema) {
  const std::string table = schema.id.qualified();
  for (const auto& column : schema.columns) {
    if (column.omitted) continue;
    if (auto reason = unsupported_reason(column.type, false); !reason.empty()) {
      return Error::config("table " + table + " column " + column.name + " of type " +
                           type_name(column.type) + " " + reason +
                           ": it has no Debezium mapping; exclude the table (tables.exclude: "
                           "[\"" +
                           schema.id.schema + "\\\\." + schema.id.table +
                           "\"]) or change the column's type");
    }
  }
  std::unordered_set<std::size_t> seen;
  for (std::size_t index : schema.key_columns) {
    if (index >= schema.columns.size()) {
      return Error::config("table " + table + " has key column index " + std::to_string(index) +
                           " but only " + std::to_string(schema.columns.size()) + " columns");
    }
    if (!seen.insert(index).second) {
      return Error::config("table " + table + " lists key column " + schema.columns[index].name +
                           " twice");
    }
    if (schema.columns[index].omitted) {
      return Error::config("table " + table + " key column " + schema.columns[index].name +
                           " of type " + schema.columns[index].type.source_name +
                           " cannot be left out of the events: exclude the table or change the "
                           "column's type");
    }
  }
  return {};
}

struct Serializer::TablePlan {
  std::shared_ptr<const event::TableSchema> schema;
  std::string qualified;  ///< schema.table, for messages
  std::string topic;      ///< sanitized <prefix>.<schema>.<table>
  /// {"schema":<key struct schema>,"payload": -- the key record up to its payload (schemas: true)
  std::string key_prefix;
  /// {"schema":<envelope schema>,"payload": -- the value record up to its payload (schemas: true)
  std::string value_prefix;
  std::vector<ColumnPlan> columns;
};

/// The JSON writer with its reused buffers; one document at a time.
class Serializer::Writer {
 public:
  explicit Writer(const Options& options) : options_(options), json_(buffer_) {
    codec::append_base64(options.unavailable_value_placeholder, placeholder_base64_);
  }

  void reset() {
    buffer_.Clear();
    json_.Reset(buffer_);
  }
  std::string take() const { return std::string(buffer_.GetString(), buffer_.GetSize()); }
  /// The JsonConverter envelope around the payload just written: prefix + payload + "}".
  std::string take_wrapped(const std::string& prefix) const {
    std::string out;
    out.reserve(prefix.size() + buffer_.GetSize() + 1);
    out.append(prefix);
    out.append(buffer_.GetString(), buffer_.GetSize());
    out.push_back('}');
    return out;
  }
  JsonWriter& json() { return json_; }

  /// {"schema":<key schema>,"payload":{...}} or {...}.
  Result<std::string> key_json(const TablePlan& plan, const event::Row& row,
                               const event::Row* fallback, bool with_schema) {
    reset();
    json_.StartObject();
    for (std::size_t index : plan.schema->key_columns) {
      const ColumnPlan& column = plan.columns[index];
      const event::Value* value = &row[index];
      if (std::holds_alternative<event::Unchanged>(*value) && fallback != nullptr) {
        value = &(*fallback)[index];
      }
      if (std::holds_alternative<event::Unchanged>(*value)) {
        return Error::corrupt("table " + plan.qualified + " key column " + column.name +
                              " has an unchanged TOAST value and no old value to take the key "
                              "from");
      }
      write_key(column.name);
      if (auto result = write_value(plan, column, column.value, *value); !result.ok()) {
        return result.error();
      }
    }
    json_.EndObject();
    return with_schema ? take_wrapped(plan.key_prefix) : take();
  }

  /// The value envelope of one record.
  Result<std::string> value_json(const TablePlan& plan, const event::ChangeEvent& event, char op,
                                 const event::Row* before, const event::Row* after,
                                 int64_t now_us) {
    reset();
    json_.StartObject();
    key(json_, "before");
    if (auto result = write_row(plan, before); !result.ok()) return result.error();
    key(json_, "after");
    if (auto result = write_row(plan, after); !result.ok()) return result.error();
    key(json_, "source");
    if (!write_source(plan, event.source)) {
      return Error::corrupt("table " + plan.qualified + ": the database name " +
                            quote_for_error(event.source.db) + " is not valid UTF-8");
    }
    key(json_, "transaction");
    json_.Null();
    key(json_, "op");
    json_.String(&op, 1);
    key(json_, "ts_ms");
    json_.Int64(floor_div(now_us, 1000));
    key(json_, "ts_us");
    json_.Int64(now_us);
    key(json_, "ts_ns");
    json_.Int64(micros_to_nanos(now_us));
    json_.EndObject();
    return options_.schemas ? take_wrapped(plan.value_prefix) : take();
  }

 private:
  void write_key(std::string_view name) {
    json_.Key(name.data(), static_cast<rapidjson::SizeType>(name.size()));
  }
  /// Text known to be valid UTF-8 (ASCII we produced, checked names and options).
  void write_string(std::string_view text) {
    json_.String(text.data(), static_cast<rapidjson::SizeType>(text.size()));
  }
  /// Text from the source; if it is not valid UTF-8, writes null (keeping the document well
  /// formed) and returns false.
  bool write_checked_string(std::string_view text) {
    if (!valid_utf8(text)) {
      json_.Null();
      return false;
    }
    write_string(text);
    return true;
  }

  Result<void> write_row(const TablePlan& plan, const event::Row* row) {
    if (row == nullptr) {
      json_.Null();
      return {};
    }
    json_.StartObject();
    for (std::size_t i = 0; i < plan.columns.size(); ++i) {
      const ColumnPlan& column = plan.columns[i];
      if (column.omitted) continue;
      write_key(column.name);
      if (auto result = write_value(plan, column, column.value, (*row)[i]); !result.ok()) {
        return result;
      }
    }
    json_.EndObject();
    return {};
  }

  bool write_source(const TablePlan& plan, const event::SourceInfo& source) {
    static const event::PostgresSourceInfo kNone;
    const auto* found = std::get_if<event::PostgresSourceInfo>(&source.origin);
    const event::PostgresSourceInfo& pg = found != nullptr ? *found : kNone;
    bool ok = true;
    json_.StartObject();
    key(json_, "version");
    write_string(options_.version);
    key(json_, "connector");
    write_string(options_.connector);
    key(json_, "name");
    write_string(options_.topic_prefix);
    key(json_, "ts_ms");
    json_.Int64(floor_div(source.commit_time_us, 1000));
    key(json_, "snapshot");
    write_string(snapshot_name(source.snapshot));
    key(json_, "db");
    ok &= write_checked_string(source.db);
    key(json_, "sequence");
    // A JSON array in a string: ["<last commit lsn>","<this event's lsn>"], null when unknown.
    text_.assign("[");
    append_quoted_lsn(pg.last_commit_lsn);
    text_.push_back(',');
    append_quoted_lsn(pg.lsn);
    text_.push_back(']');
    write_string(text_);
    key(json_, "ts_us");
    json_.Int64(source.commit_time_us);
    key(json_, "ts_ns");
    json_.Int64(micros_to_nanos(source.commit_time_us));
    key(json_, "schema");
    write_string(plan.schema->id.schema);
    key(json_, "table");
    write_string(plan.schema->id.table);
    key(json_, "txId");
    if (pg.txid) {
      json_.Int64(*pg.txid);
    } else {
      json_.Null();
    }
    key(json_, "lsn");
    if (pg.lsn) {
      json_.Uint64(*pg.lsn);
    } else {
      json_.Null();
    }
    key(json_, "xmin");
    json_.Null();
    json_.EndObject();
    return ok;
  }

  void append_quoted_lsn(const std::optional<uint64_t>& lsn) {
    if (!lsn) {
      text_ += "null";
      return;
    }
    text_.push_back('"');
    text_ += std::to_string(*lsn);
    text_.push_back('"');
  }

  Error conversion_error(const TablePlan& plan, const ColumnPlan& column, const event::Value& value,
                         std::string_view reason) const {
    return Error::corrupt("cannot convert " + describe(value) + " of " + plan.qualified + "." +
                          column.name + " (" + column.type_name + "): " + std::string(reason));
  }

  Result<void> write_value(const TablePlan& plan, const ColumnPlan& column, const ValuePlan& how,
                           const event::Value& value) {
    switch (value.index()) {
      case 0:
        json_.Null();
        return {};
      case 1:
        return write_unchanged(plan, column, how, value);
      case 2: {
        const auto& text = std::get<std::string>(value);
        auto result = write_text(how, text);
        if (!result.ok()) return conversion_error(plan, column, value, result.error().message);
        return {};
      }
      case 3:
        if (how.conversion != Conversion::kBool) break;
        json_.Bool(std::get<bool>(value));
        return {};
      case 4:
        if (auto result = write_integer(how, std::get<int64_t>(value)); !result.ok()) {
          return conversion_error(plan, column, value, result.error().message);
        }
        return {};
      case 5:
        if (how.conversion == Conversion::kFloat32) {
          write_float(static_cast<float>(std::get<double>(value)));
          return {};
        }
        if (how.conversion == Conversion::kFloat64) {
          write_float(std::get<double>(value));
          return {};
        }
        break;
    }
    return conversion_error(plan, column, value, "that kind of value does not fit the column type");
  }

  /// The unchanged-TOAST placeholder in the column's Debezium type, where Debezium has one.
  Result<void> write_unchanged(const TablePlan& plan, const ColumnPlan& column,
                               const ValuePlan& how, const event::Value& value) {
    const std::string& placeholder = options_.unavailable_value_placeholder;
    if (is_string_shaped(how.conversion)) {
      write_string(placeholder);  // checked in the constructor
      return {};
    }
    if (how.conversion == Conversion::kBytes) {
      write_string(placeholder_base64_);
      return {};
    }
    if (how.conversion == Conversion::kArray) {
      const Conversion element = how.element->conversion;
      if (is_string_shaped(element)) {
        json_.StartArray();
        write_string(placeholder);
        json_.EndArray();
        return {};
      }
      if (element == Conversion::kInt16 || element == Conversion::kInt32 ||
          element == Conversion::kInt64 || element == Conversion::kDate) {
        // Debezium: the placeholder's bytes, as signed bytes, one number each.
        json_.StartArray();
        for (char c : placeholder) json_.Int(static_cast<signed char>(c));
        json_.EndArray();
        return {};
      }
    }
    return conversion_error(plan, column, value,
                            "Debezium has no placeholder for an unchanged TOAST value of this "
                            "type; set REPLICA IDENTITY FULL on the table so PostgreSQL sends "
                            "the old value");
  }

  template <class Float>
  void write_float(Float value) {
    if (std::isnan(value)) {
      json_.String("NaN");
      return;
    }
    if (std::isinf(value)) {
      json_.String(value > 0 ? "Infinity" : "-Infinity");
      return;
    }
    char digits[64];
    auto [end, ec] = std::to_chars(digits, digits + sizeof(digits) - 2, value);
    (void)ec;  // 62 characters always hold the shortest form of a float or double
    std::string_view text(digits, static_cast<std::size_t>(end - digits));
    if (text.find_first_of(".e") == std::string_view::npos) {
      *end++ = '.';  // keep it reading as a floating-point number, as Java prints it
      *end++ = '0';
    }
    json_.RawValue(digits, static_cast<std::size_t>(end - digits), rapidjson::kNumberType);
  }

  template <class Float>
  Result<void> write_float_text(std::string_view text) {
    if (text == "NaN" || text == "Infinity" || text == "-Infinity") {
      write_string(text);
      return {};
    }
    Float value{};
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size()) {
      return Error::corrupt(ec == std::errc::result_out_of_range
                                ? "out of range for a " +
                                      std::string(sizeof(Float) == 4 ? "real" : "double")
                                : "not a number");
    }
    write_float(value);
    return {};
  }

  Result<void> write_int_text(std::string_view text, int64_t min, int64_t max) {
    int64_t value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec == std::errc::result_out_of_range) return Error::corrupt("out of range");
    if (ec != std::errc() || end != text.data() + text.size()) {
      return Error::corrupt("not an integer");
    }
    if (value < min || value > max) return Error::corrupt("out of range");
    json_.Int64(value);
    return {};
  }

  Result<void> write_decimal(const ValuePlan& how, std::string_view text) {
    if (how.conversion == Conversion::kDecimal) {
      auto result = codec::decimal_unscaled_bytes(text, how.scale, bytes_);
      if (!result.ok()) return result;
      text_.clear();
      codec::append_base64(bytes_, text_);
      write_string(text_);
      return {};
    }
    auto scale = codec::variable_decimal_bytes(text, bytes_);
    if (!scale.ok()) return scale.error();
    text_.clear();
    codec::append_base64(bytes_, text_);
    json_.StartObject();
    key(json_, "scale");
    json_.Int(*scale);
    key(json_, "value");
    write_string(text_);
    json_.EndObject();
    return {};
  }

  /// A value given in the source's text form.
  Result<void> write_text(const ValuePlan& how, std::string_view text) {
    switch (how.conversion) {
      case Conversion::kBool:
        if (text == "t" || text == "true") {
          json_.Bool(true);
        } else if (text == "f" || text == "false") {
          json_.Bool(false);
        } else {
          return Error::corrupt("not a boolean (t or f)");
        }
        return {};
      case Conversion::kInt16:
        return write_int_text(text, INT16_MIN, INT16_MAX);
      case Conversion::kInt32:
        return write_int_text(text, INT32_MIN, INT32_MAX);
      case Conversion::kInt64:
        return write_int_text(text, INT64_MIN, INT64_MAX);
      case Conversion::kFloat32:
        return write_float_text<float>(text);
      case Conversion::kFloat64:
        return write_float_text<double>(text);
      case Conversion::kDecimal:
      case Conversion::kVariableDecimal:
        return write_decimal(how, text);
      case Conversion::kString:
        if (!write_checked_string(text)) return Error::corrupt("not valid UTF-8");
        return {};
      case Conversion::kBytes: {
        auto result = codec::bytea_from_text(text, bytes_);
        if (!result.ok()) return result;
        text_.clear();
        codec::append_base64(bytes_, text_);
        write_string(text_);
        return {};
      }
      case Conversion::kDate: {
        auto days = codec::date_from_text(text);
        if (!days.ok()) return days.error();
        json_.Int(*days);
        return {};
      }
      case Conversion::kTimeMillis:
      case Conversion::kTimeMicros: {
        auto micros = codec::time_from_text(text);
        if (!micros.ok()) return micros.error();
        if (how.conversion == Conversion::kTimeMillis) {
          json_.Int(static_cast<int>(*micros / 1000));
        } else {
          json_.Int64(*micros);
        }
        return {};
      }
      case Conversion::kTimestampMillis:
      case Conversion::kTimestampMicros: {
        auto micros = codec::timestamp_from_text(text);
        if (!micros.ok()) return micros.error();
        json_.Int64(how.conversion == Conversion::kTimestampMillis ? floor_div(*micros, 1000)
                                                                   : *micros);
        return {};
      }
      case Conversion::kZonedTimestamp: {
        text_.clear();
        auto result = codec::timestamptz_to_iso(text, how.fraction_digits, text_);
        if (!result.ok()) return result;
        write_string(text_);
        return {};
      }
      case Conversion::kMicroDuration: {
        auto micros = codec::interval_micros_from_text(text);
        if (!micros.ok()) return micros.error();
        json_.Int64(*micros);
        return {};
      }
      case Conversion::kArray: {
        auto parsed = codec::parse_array(text, array_);
        if (!parsed.ok()) return parsed;
        json_.StartArray();
        for (std::size_t i = 0; i < array_.size(); ++i) {
          if (array_.is_null(i)) {
            json_.Null();
            continue;
          }
          auto result = write_text(*how.element, array_.text(i));
          if (!result.ok()) {
            return Error::corrupt("element " + std::to_string(i + 1) + " " +
                                  quote_for_error(array_.text(i)) + ": " + result.error().message);
          }
        }
        json_.EndArray();
        return {};
      }
    }
    return Error::corrupt("unknown conversion");
  }

  /// A value a source decoded to an integer (binary protocols).
  Result<void> write_integer(const ValuePlan& how, int64_t value) {
    switch (how.conversion) {
      case Conversion::kInt16:
      case Conversion::kInt32:
      case Conversion::kInt64: {
        const int64_t min = how.conversion == Conversion::kInt16   ? INT16_MIN
                            : how.conversion == Conversion::kInt32 ? INT32_MIN
                                                                   : INT64_MIN;
        const int64_t max = how.conversion == Conversion::kInt16   ? INT16_MAX
                            : how.conversion == Conversion::kInt32 ? INT32_MAX
                                                                   : INT64_MAX;
        if (value < min || value > max) return Error::corrupt("out of range");
        json_.Int64(value);
        return {};
      }
      case Conversion::kFloat32:
        write_float(static_cast<float>(value));
        return {};
      case Conversion::kFloat64:
        write_float(static_cast<double>(value));
        return {};
      case Conversion::kDecimal:
      case Conversion::kVariableDecimal: {
        char digits[24];
        auto [end, ec] = std::to_chars(digits, digits + sizeof(digits), value);
        (void)ec;
        return write_decimal(how, std::string_view(digits, static_cast<std::size_t>(end - digits)));
      }
      default:
        return Error::corrupt("that kind of value does not fit the column type");
    }
  }

  const Options& options_;
  rapidjson::StringBuffer buffer_;
  JsonWriter json_;
  std::string bytes_;  ///< scratch: decoded bytes
  std::string text_;   ///< scratch: base64, ISO timestamps, sequence
  codec::ArrayElements array_;
  std::string placeholder_base64_;
};

Serializer::Serializer(Options options) : options_(std::move(options)) {
  if (options_.connector != "postgresql") {
    throw std::invalid_argument("envelope: connector \"" + options_.connector +
                                "\" is not supported; only \"postgresql\" has a source block "
                                "layout here");
  }
  for (const std::string* text :
       {&options_.topic_prefix, &options_.version, &options_.unavailable_value_placeholder}) {
    if (!valid_utf8(*text)) {
      throw std::invalid_argument("envelope: option value " + quote_for_error(*text) +
                                  " is not valid UTF-8");
    }
  }
  writer_ = std::make_unique<Writer>(options_);
}

Serializer::~Serializer() = default;

Result<const Serializer::TablePlan*> Serializer::plan_for(
    const std::shared_ptr<const event::TableSchema>& schema) {
  if (last_plan_ != nullptr && last_plan_->schema.get() == schema.get()) return last_plan_;
  if (auto found = plans_.find(schema.get()); found != plans_.end()) {
    last_plan_ = found->second.get();
    return last_plan_;
  }
  if (auto supported = check_supported(*schema); !supported.ok()) return supported.error();
  if (!names_valid_utf8(*schema)) {
    return Error::config("table " + schema->id.qualified() +
                         ": a schema, table, column or enum label name is not valid UTF-8");
  }

  auto plan = std::make_unique<TablePlan>();
  plan->schema = schema;
  plan->qualified = schema->id.qualified();
  plan->topic = sanitize_topic_name(options_.topic_prefix + "." + plan->qualified);
  for (const auto& column : schema->columns) {
    plan->columns.push_back(
        {column.name, type_name(column.type), make_value_plan(column.type), column.omitted});
  }
  if (options_.schemas) {
    rapidjson::StringBuffer buffer;
    JsonWriter json(buffer);
    json.StartObject();
    key(json, "type");
    string(json, "struct");
    key(json, "fields");
    json.StartArray();
    for (std::size_t index : schema->key_columns) {
      const auto& column = schema->columns[index];
      write_type_schema(json, column.type, column.optional, &column.name);
    }
    json.EndArray();
    key(json, "optional");
    json.Bool(false);
    key(json, "name");
    string(json, plan->topic + ".Key");
    json.EndObject();
    plan->key_prefix =
        "{\"schema\":" + std::string(buffer.GetString(), buffer.GetSize()) + ",\"payload\":";

    buffer.Clear();
    json.Reset(buffer);
    json.StartObject();
    key(json, "type");
    string(json, "struct");
    key(json, "fields");
    json.StartArray();
    write_row_schema(json, *schema, plan->topic, "before");
    write_row_schema(json, *schema, plan->topic, "after");
    write_postgres_source_schema(json);
    write_transaction_schema(json);
    primitive_field(json, "string", false, "op");
    primitive_field(json, "int64", true, "ts_ms");
    primitive_field(json, "int64", true, "ts_us");
    primitive_field(json, "int64", true, "ts_ns");
    json.EndArray();
    key(json, "optional");
    json.Bool(false);
    key(json, "name");
    string(json, plan->topic + ".Envelope");
    key(json, "version");
    json.Int(2);
    json.EndObject();
    plan->value_prefix =
        "{\"schema\":" + std::string(buffer.GetString(), buffer.GetSize()) + ",\"payload\":";
  }

  // One cached version per table: a new version evicts the previous one.
  auto& newest = newest_[plan->qualified];
  if (newest != nullptr && newest != schema.get()) {
    if (last_plan_ != nullptr && last_plan_->schema.get() == newest) last_plan_ = nullptr;
    plans_.erase(newest);
  }
  newest = schema.get();
  last_plan_ = plan.get();
  plans_.emplace(schema.get(), std::move(plan));
  return last_plan_;
}

Result<void> Serializer::serialize(const event::ChangeEvent& event, int64_t now_us,
                                   std::vector<sink::Message>& out) {
  if (!event.schema) return Error::corrupt("change event without a table schema");
  auto planned = plan_for(event.schema);
  if (!planned.ok()) return planned.error();
  const TablePlan& plan = **planned;

  for (const auto* row :
       {event.before ? &*event.before : nullptr, event.after ? &*event.after : nullptr}) {
    if (row != nullptr && row->size() != plan.columns.size()) {
      return Error::corrupt("table " + plan.qualified + ": a row has " +
                            std::to_string(row->size()) + " values but the table has " +
                            std::to_string(plan.columns.size()) + " columns");
    }
  }
  const bool keyed = !plan.schema->key_columns.empty();
  const event::Row* before = event.before ? &*event.before : nullptr;
  const event::Row* after = event.after ? &*event.after : nullptr;
  Writer& writer = *writer_;
  const std::size_t mark = out.size();
  auto fail = [&](const Error& error) -> Result<void> {
    out.resize(mark);
    return error;
  };
  auto missing = [&](const char* what) {
    return Error::corrupt("table " + plan.qualified + ": " + what);
  };

  switch (event.op) {
    case event::Op::kRead:
    case event::Op::kCreate: {
      if (after == nullptr) return missing("insert or snapshot event without a row");
      std::optional<std::string> key;
      if (keyed) {
        auto built = writer.key_json(plan, *after, nullptr, options_.schemas);
        if (!built.ok()) return fail(built.error());
        key = std::move(*built);
      }
      auto value =
          writer.value_json(plan, event, static_cast<char>(event.op), nullptr, after, now_us);
      if (!value.ok()) return fail(value.error());
      out.push_back({plan.topic, std::move(key), std::move(*value), {}});
      return {};
    }
    case event::Op::kUpdate: {
      if (after == nullptr) return missing("update event without a new row");
      if (keyed && before != nullptr) {
        auto old_key = writer.key_json(plan, *before, nullptr, false);
        if (!old_key.ok()) return fail(old_key.error());
        auto new_key = writer.key_json(plan, *after, before, false);
        if (!new_key.ok()) return fail(new_key.error());
        if (*old_key != *new_key) {
          // Primary-key change: delete under the old key, create under the new one.
          std::string old_record_key = *old_key;
          std::string new_record_key = *new_key;
          if (options_.schemas) {
            auto with_schema = writer.key_json(plan, *before, nullptr, true);
            if (!with_schema.ok()) return fail(with_schema.error());
            old_record_key = std::move(*with_schema);
            with_schema = writer.key_json(plan, *after, before, true);
            if (!with_schema.ok()) return fail(with_schema.error());
            new_record_key = std::move(*with_schema);
          }
          auto deleted = writer.value_json(plan, event, 'd', before, nullptr, now_us);
          if (!deleted.ok()) return fail(deleted.error());
          auto created = writer.value_json(plan, event, 'c', nullptr, after, now_us);
          if (!created.ok()) return fail(created.error());
          std::vector<std::pair<std::string, std::string>> delete_headers{
              {kNewKeyHeader, std::move(*new_key)}};
          out.push_back({plan.topic, old_record_key, std::move(*deleted), delete_headers});
          if (options_.tombstones_on_delete) {
            out.push_back(
                {plan.topic, std::move(old_record_key), std::nullopt, std::move(delete_headers)});
          }
          out.push_back({plan.topic,
                         std::move(new_record_key),
                         std::move(*created),
                         {{kOldKeyHeader, std::move(*old_key)}}});
          return {};
        }
      }
      std::optional<std::string> key;
      if (keyed) {
        auto built = writer.key_json(plan, *after, before, options_.schemas);
        if (!built.ok()) return fail(built.error());
        key = std::move(*built);
      }
      const event::Row* old_row = event.before_is_key_only ? nullptr : before;
      auto value = writer.value_json(plan, event, 'u', old_row, after, now_us);
      if (!value.ok()) return fail(value.error());
      out.push_back({plan.topic, std::move(key), std::move(*value), {}});
      return {};
    }
    case event::Op::kDelete: {
      std::optional<std::string> key;
      if (keyed) {
        if (before == nullptr) return missing("delete event without the old key");
        auto built = writer.key_json(plan, *before, nullptr, options_.schemas);
        if (!built.ok()) return fail(built.error());
        key = std::move(*built);
      }
      auto value = writer.value_json(plan, event, 'd', before, nullptr, now_us);
      if (!value.ok()) return fail(value.error());
      const bool tombstone = options_.tombstones_on_delete && key.has_value();
      out.push_back({plan.topic, tombstone ? key : std::move(key), std::move(*value), {}});
      if (tombstone) out.push_back({plan.topic, std::move(key), std::nullopt, {}});
      return {};
    }
    case event::Op::kTruncate: {
      auto value = writer.value_json(plan, event, 't', nullptr, nullptr, now_us);
      if (!value.ok()) return fail(value.error());
      out.push_back({plan.topic, std::nullopt, std::move(*value), {}});
      return {};
    }
  }
  return Error::corrupt("table " + plan.qualified + ": unknown operation " +
                        std::to_string(static_cast<int>(event.op)));
}

}  // namespace tributary::envelope
