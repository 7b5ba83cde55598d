// libFuzzer target: the Debezium envelope (envelope::Serializer) on random typed values.
//
// FuzzedDataProvider turns the input into a table (columns of every supported TypeKind, some
// left out as tables.unsupported_columns skip does, key columns) and 1-4 change events of it
// whose values are nulls, unchanged TOAST values, typed values (every event::Value alternative,
// mostly the one the column's kind takes, as a binlog decoder builds them) or text, the text
// either built in the type's PostgreSQL output form from fuzzed numbers (so valid values reach
// every conversion) or raw fuzzed bytes; text goes through the PostgreSQL value decoder first, as
// in the daemon. The connector (postgresql, mysql, mariadb) and the source block's origin are
// fuzzed too. Each event is serialized with schemas on and off. Properties: a decoder error is
// kCorrupt; an envelope error (kCorrupt: a value; kConfig: a name) appends nothing; both
// serializers agree on success and on topics; every key and value is one well-formed JSON object
// in valid UTF-8 (parsed back with RapidJSON); with schemas on it is {"schema":...,"payload":P} and
// P is exactly the schemas-off document; every value has an "op".
#include <fuzzer/FuzzedDataProvider.h>
#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include <cinttypes>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "envelope/serializer.hpp"
#include "event/change_event.hpp"
#include "fuzz_check.hpp"
#include "source/postgres/values/postgres_value_decoder.hpp"

namespace {

namespace event = tributary::event;
namespace envelope = tributary::envelope;
using event::TypeKind;
using tributary::fuzz::printable;

constexpr TypeKind kKinds[] = {
    TypeKind::kBool,      TypeKind::kInt16,       TypeKind::kInt32,    TypeKind::kInt64,
    TypeKind::kFloat32,   TypeKind::kFloat64,     TypeKind::kDecimal,  TypeKind::kVariableDecimal,
    TypeKind::kString,    TypeKind::kBytes,       TypeKind::kDate,     TypeKind::kTime,
    TypeKind::kTimestamp, TypeKind::kTimestampTz, TypeKind::kInterval, TypeKind::kUuid,
    TypeKind::kJson,      TypeKind::kXml,         TypeKind::kEnum,     TypeKind::kArray,
    TypeKind::kBits,      TypeKind::kYear,        TypeKind::kSet};

std::string format(const char* pattern, auto... values) {
  char buffer[128];
  const int n = std::snprintf(buffer, sizeof buffer, pattern, values...);
  return std::string(buffer, n < 0 ? 0 : std::min<std::size_t>(n, sizeof buffer - 1));
}

event::ColumnType column_type(FuzzedDataProvider& in, bool element) {
  event::ColumnType type;
  type.kind = in.PickValueInArray(kKinds);
  if (element && type.kind == TypeKind::kArray) type.kind = TypeKind::kString;
  switch (type.kind) {
    case TypeKind::kDecimal:
      type.precision = in.ConsumeIntegralInRange(0, 1000);
      type.scale = in.ConsumeIntegralInRange(-1, type.precision);
      break;
    case TypeKind::kTime:
    case TypeKind::kTimestamp:
    case TypeKind::kTimestampTz:
      type.precision = in.ConsumeIntegralInRange(-1, 7);
      break;
    case TypeKind::kBits:
      type.precision = in.ConsumeIntegralInRange(0, 64);
      break;
    case TypeKind::kEnum:
    case TypeKind::kSet:
      for (int i = in.ConsumeIntegralInRange(0, 3); i > 0; --i) {
        type.enum_values.push_back(in.ConsumeRandomLengthString(12));
      }
      break;
    case TypeKind::kArray:
      type.element = std::make_shared<event::ColumnType>(column_type(in, true));
      break;
    default:
      break;
  }
  type.source_name = "t" + std::to_string(static_cast<int>(type.kind));
  return type;
}

std::string digits(FuzzedDataProvider& in, std::size_t max) {
  std::string out;
  for (std::size_t n = in.ConsumeIntegralInRange<std::size_t>(1, max); n > 0; --n) {
    out.push_back(static_cast<char>('0' + in.ConsumeIntegralInRange(0, 9)));
  }
  return out;
}

std::string date_text(FuzzedDataProvider& in) {
  std::string out = format("%04d-%02d-%02d", in.ConsumeIntegralInRange(0, 300000),
                           in.ConsumeIntegralInRange(0, 13), in.ConsumeIntegralInRange(0, 32));
  if (in.ConsumeBool()) out += " BC";
  return out;
}

std::string time_text(FuzzedDataProvider& in) {
  std::string out = format("%02d:%02d:%02d", in.ConsumeIntegralInRange(0, 25),
                           in.ConsumeIntegralInRange(0, 60), in.ConsumeIntegralInRange(0, 61));
  if (in.ConsumeBool()) out += "." + digits(in, 7);
  return out;
}

/// Text in the type's PostgreSQL output form (mostly valid, with edge values).
std::string typed_text(FuzzedDataProvider& in, const event::ColumnType& type) {
  switch (type.kind) {
    case TypeKind::kBool:
      return in.ConsumeBool() ? "t" : "f";
    case TypeKind::kInt16:
    case TypeKind::kInt32:
    case TypeKind::kInt64:
      return std::to_string(in.ConsumeIntegral<int64_t>());
    case TypeKind::kFloat32:
    case TypeKind::kFloat64: {
      static const char* kSpecial[] = {"NaN", "Infinity", "-Infinity", "-0", "1e-45", "3.5e38"};
      if (in.ConsumeBool()) return in.PickValueInArray(kSpecial);
      return format("%.17g", in.ConsumeFloatingPoint<double>());
    }
    case TypeKind::kDecimal:
    case TypeKind::kVariableDecimal: {
      if (in.ConsumeIntegralInRange(0, 15) == 0) return "NaN";
      std::string out = in.ConsumeBool() ? "-" : "";
      out += digits(in, 40);
      if (in.ConsumeBool()) out += "." + digits(in, 40);
      return out;
    }
    case TypeKind::kBytes: {
      const std::string bytes = in.ConsumeRandomLengthString(64);
      if (in.ConsumeBool()) return bytes;  // escape form, or anything
      std::string out = "\\x";
      for (unsigned char c : bytes) out += format("%02x", c);
      return out;
    }
    case TypeKind::kDate:
      return in.ConsumeIntegralInRange(0, 10) == 0 ? "infinity" : date_text(in);
    case TypeKind::kTime:
      return time_text(in);
    case TypeKind::kTimestamp:
      return date_text(in) + " " + time_text(in);
    case TypeKind::kTimestampTz: {
      std::string out = date_text(in);
      const bool bc = out.size() > 3 && out.compare(out.size() - 3, 3, " BC") == 0;
      if (bc) out.resize(out.size() - 3);
      out += " " + time_text(in) +
             format("%c%02d", in.ConsumeBool() ? '+' : '-', in.ConsumeIntegralInRange(0, 16));
      if (in.ConsumeBool()) out += format(":%02d", in.ConsumeIntegralInRange(0, 60));
      if (bc) out += " BC";
      return out;
    }
    case TypeKind::kInterval: {
      std::string out;
      static const char* kUnits[] = {" years ", " mons ", " days "};
      for (const char* unit : kUnits) {
        if (in.ConsumeBool()) out += std::to_string(in.ConsumeIntegral<int32_t>()) + unit;
      }
      if (in.ConsumeBool()) out += (in.ConsumeBool() ? "-" : "") + time_text(in);
      if (!out.empty() && out.back() == ' ') out.pop_back();
      return out;
    }
    case TypeKind::kEnum:
      if (!type.enum_values.empty() && in.ConsumeBool()) {
        return type
            .enum_values[in.ConsumeIntegralInRange<std::size_t>(0, type.enum_values.size() - 1)];
      }
      return in.ConsumeRandomLengthString(16);
    case TypeKind::kArray: {
      std::string out = in.ConsumeBool() ? "" : "[1:2]=";
      out += "{";
      for (int i = in.ConsumeIntegralInRange(0, 4); i > 0; --i) {
        if (in.ConsumeIntegralInRange(0, 5) == 0) {
          out += "NULL";
        } else {
          out += '"';
          for (char c : typed_text(in, *type.element)) {
            if (c == '"' || c == '\\') out += '\\';
            out += c;
          }
          out += '"';
        }
        if (i > 1) out += ',';
      }
      return out + "}";
    }
    default:  // string, uuid, json, xml: any text
      return in.ConsumeRandomLengthString(64);
  }
}

/// A typed value of any alternative (numbers fuzzed), for the envelope without a decoder.
event::Value any_typed(FuzzedDataProvider& in, int selector, int scale) {
  switch (selector) {
    case 0:
      return event::Bytes{in.ConsumeRandomLengthString(24)};
    case 1:
      return event::Decimal{in.ConsumeRandomLengthString(20), scale};
    case 2:
      return event::Date{in.ConsumeIntegral<int32_t>()};
    case 3:
      return event::Time{in.ConsumeIntegral<int64_t>()};
    case 4:
      return event::Timestamp{in.ConsumeIntegral<int64_t>()};
    case 5:
      return event::ZonedTimestamp{in.ConsumeIntegral<int64_t>(),
                                   static_cast<int8_t>(in.ConsumeIntegralInRange(-1, 1))};
    case 6:
      return event::Interval{in.ConsumeIntegral<int64_t>()};
    default:
      return event::Array{};
  }
}

event::Value value(FuzzedDataProvider& in, const event::ColumnType& type);

/// The alternative the column's kind takes (see event::Value), with fuzzed contents.
event::Value typed_value(FuzzedDataProvider& in, const event::ColumnType& type) {
  const int scale =
      in.ConsumeIntegralInRange(0, 7) == 0 ? in.ConsumeIntegralInRange(-2, 40) : type.scale;
  switch (type.kind) {
    case TypeKind::kBool:
      return in.ConsumeBool();
    case TypeKind::kInt16:
    case TypeKind::kInt32:
    case TypeKind::kInt64:
    case TypeKind::kYear:
      return in.ConsumeIntegral<int64_t>();
    case TypeKind::kFloat32:
    case TypeKind::kFloat64:
      return in.ConsumeFloatingPoint<double>();
    case TypeKind::kDecimal:
    case TypeKind::kVariableDecimal:
      return any_typed(in, 1, scale);
    case TypeKind::kBytes:
    case TypeKind::kBits:
      return any_typed(in, 0, scale);
    case TypeKind::kDate:
      return any_typed(in, 2, scale);
    case TypeKind::kTime:
      return any_typed(in, 3, scale);
    case TypeKind::kTimestamp:
      return any_typed(in, 4, scale);
    case TypeKind::kTimestampTz:
      return any_typed(in, 5, scale);
    case TypeKind::kInterval:
      return any_typed(in, 6, scale);
    case TypeKind::kArray: {
      event::Array array;
      for (int i = in.ConsumeIntegralInRange(0, 4); i > 0; --i) {
        array.elements.push_back(value(in, *type.element));
      }
      return array;
    }
    default:
      return in.ConsumeRandomLengthString(32);
  }
}

event::Value value(FuzzedDataProvider& in, const event::ColumnType& type) {
  switch (in.ConsumeIntegralInRange(0, 13)) {
    case 0:
      return event::Null{};
    case 1:
      return event::Unchanged{};
    case 2:
      return in.ConsumeBool();
    case 3:
      return in.ConsumeIntegral<int64_t>();
    case 4:
      return in.ConsumeFloatingPoint<double>();
    case 5:
      return in.ConsumeRandomLengthString(64);
    case 6:
      return any_typed(in, in.ConsumeIntegralInRange(0, 7), in.ConsumeIntegralInRange(-1, 40));
    case 7:
    case 8:
    case 9:
      return typed_value(in, type);
    default:
      return typed_text(in, type);
  }
}

event::Row row(FuzzedDataProvider& in, const event::TableSchema& schema) {
  event::Row out;
  for (const event::Column& column : schema.columns) out.push_back(value(in, column.type));
  return out;
}

std::string name(FuzzedDataProvider& in, const char* usual) {
  return in.ConsumeIntegralInRange(0, 7) == 0 ? in.ConsumeRandomLengthString(16) : usual;
}

std::shared_ptr<const event::TableSchema> table(FuzzedDataProvider& in) {
  auto schema = std::make_shared<event::TableSchema>();
  schema->id = {name(in, "public"), name(in, "orders")};
  schema->source_oid = in.ConsumeIntegral<uint32_t>();
  schema->version = in.ConsumeIntegral<uint32_t>();
  const int columns = in.ConsumeIntegralInRange(1, 8);
  std::set<std::string> names;  // PostgreSQL column names are unique (JSON keys then are too)
  for (int i = 0; i < columns; ++i) {
    event::Column column;
    column.name = in.ConsumeIntegralInRange(0, 7) == 0 ? in.ConsumeRandomLengthString(12)
                                                       : "c" + std::to_string(i);
    if (!names.insert(column.name).second) {
      column.name = "c" + std::to_string(i);
      if (!names.insert(column.name).second) return nullptr;
    }
    column.type = column_type(in, false);
    column.optional = in.ConsumeBool();
    // tables.unsupported_columns skip: left out of key, before, after and schema.
    column.omitted = in.ConsumeIntegralInRange(0, 7) == 0;
    schema->columns.push_back(std::move(column));
  }
  for (int i = in.ConsumeIntegralInRange(0, 2); i > 0; --i) {
    const auto index = in.ConsumeIntegralInRange<std::size_t>(0, schema->columns.size() - 1);
    if (!schema->columns[index].key) {
      schema->columns[index].key = true;
      schema->key_columns.push_back(index);
    }
  }
  return schema;
}

event::ChangeEvent change(FuzzedDataProvider& in,
                          const std::shared_ptr<const event::TableSchema>& schema) {
  static constexpr event::Op kOps[] = {event::Op::kRead, event::Op::kCreate, event::Op::kUpdate,
                                       event::Op::kDelete, event::Op::kTruncate};
  static constexpr event::SnapshotMarker kMarkers[] = {
      event::SnapshotMarker::kFalse, event::SnapshotMarker::kFirst, event::SnapshotMarker::kTrue,
      event::SnapshotMarker::kLast};
  event::ChangeEvent out;
  out.op = in.PickValueInArray(kOps);
  out.schema = schema;
  const bool has_before =
      out.op == event::Op::kDelete || (out.op == event::Op::kUpdate && in.ConsumeBool());
  if (has_before) {
    out.before = row(in, *schema);
    out.before_is_key_only = in.ConsumeBool();
  }
  if (out.op == event::Op::kCreate || out.op == event::Op::kRead || out.op == event::Op::kUpdate) {
    out.after = row(in, *schema);
  }
  out.source.db = name(in, "shop");
  out.source.commit_time_us = in.ConsumeIntegral<int64_t>();
  if (in.ConsumeBool()) {
    if (in.ConsumeBool()) out.source.postgres().txid = in.ConsumeIntegral<int64_t>();
    if (in.ConsumeBool()) out.source.postgres().lsn = in.ConsumeIntegral<uint64_t>();
    if (in.ConsumeBool()) out.source.postgres().last_commit_lsn = in.ConsumeIntegral<uint64_t>();
  } else {
    auto& my = out.source.mysql();
    my.server_id = in.ConsumeIntegral<int64_t>();
    my.pos = in.ConsumeIntegral<int64_t>();
    my.row = in.ConsumeIntegral<int32_t>();
    if (in.ConsumeBool()) my.gtid = std::make_shared<const std::string>(name(in, "0-1-2"));
    if (in.ConsumeBool()) my.file = std::make_shared<const std::string>(name(in, "bin.000001"));
    if (in.ConsumeBool()) my.thread = in.ConsumeIntegral<int64_t>();
    if (in.ConsumeBool()) my.query = std::make_shared<const std::string>(name(in, "INSERT"));
  }
  out.source.snapshot = in.PickValueInArray(kMarkers);
  return out;
}

rapidjson::Document parse_object(const std::string& json, const char* what) {
  rapidjson::Document document;
  document.Parse<rapidjson::kParseValidateEncodingFlag | rapidjson::kParseFullPrecisionFlag>(
      json.data(), json.size());
  FUZZ_CHECK(!document.HasParseError(), std::string(what) + " is not valid JSON (" +
                                            rapidjson::GetParseError_En(document.GetParseError()) +
                                            " at " + std::to_string(document.GetErrorOffset()) +
                                            "): " + printable(json));
  FUZZ_CHECK(document.IsObject(), std::string(what) + " is not an object: " + printable(json));
  return document;
}

/// The schemas-on record: {"schema":{...},"payload":P}, P equal to the schemas-off document.
void check_pair(const std::optional<std::string>& with_schema,
                const std::optional<std::string>& without_schema, const char* what) {
  FUZZ_CHECK(with_schema.has_value() == without_schema.has_value(), what);
  if (!with_schema) return;
  rapidjson::Document wrapped = parse_object(*with_schema, what);
  rapidjson::Document bare = parse_object(*without_schema, what);
  FUZZ_CHECK(wrapped.MemberCount() == 2 && wrapped.HasMember("schema") &&
                 wrapped["schema"].IsObject() && wrapped.HasMember("payload"),
             std::string(what) + ": " + printable(*with_schema));
  FUZZ_CHECK(wrapped["payload"] == bare, std::string(what) + " payloads differ:\n" +
                                             printable(*with_schema) + "\n" +
                                             printable(*without_schema));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  const auto schema = table(in);
  if (!schema || !envelope::check_supported(*schema).ok()) return 0;  // the source refuses it

  static constexpr const char* kConnectors[] = {"postgresql", "mysql", "mariadb"};
  envelope::Options options;
  options.connector = in.PickValueInArray(kConnectors);
  options.topic_prefix = name(in, "shop");
  options.tombstones_on_delete = in.ConsumeBool();
  envelope::Options bare_options = options;
  options.schemas = true;
  bare_options.schemas = false;
  std::unique_ptr<envelope::Serializer> with_schema, without_schema;
  try {
    with_schema = std::make_unique<envelope::Serializer>(options);
    without_schema = std::make_unique<envelope::Serializer>(bare_options);
  } catch (const std::invalid_argument&) {
    return 0;  // a topic prefix that is not UTF-8: refused at start-up
  }

  tributary::source::PostgresValueDecoder decoder;
  for (int i = in.ConsumeIntegralInRange(1, 4); i > 0; --i) {
    event::ChangeEvent change_event = change(in, schema);
    if (auto decoded = decoder.decode(change_event); !decoded.ok()) {
      FUZZ_CHECK(decoded.error().kind == tributary::ErrorKind::kCorrupt,
                 printable(decoded.error().message));
      continue;
    }
    const int64_t now_us = in.ConsumeIntegral<int64_t>();
    std::vector<tributary::sink::Message> records(1), bare_records(1);  // one earlier record
    auto result = with_schema->serialize(change_event, now_us, records);
    auto bare_result = without_schema->serialize(change_event, now_us, bare_records);
    FUZZ_CHECK(result.ok() == bare_result.ok(),
               printable(result.ok() ? bare_result.error().message : result.error().message));
    if (!result.ok()) {
      // kCorrupt: a value that does not parse; kConfig: a table the envelope cannot name.
      const auto kind = result.error().kind;
      FUZZ_CHECK(kind == tributary::ErrorKind::kCorrupt || kind == tributary::ErrorKind::kConfig,
                 printable(result.error().message));
      FUZZ_CHECK(records.size() == 1 && bare_records.size() == 1,
                 printable(result.error().message));
      continue;
    }
    FUZZ_CHECK(records.size() == bare_records.size() && records.size() > 1,
               std::to_string(records.size()) + " vs " + std::to_string(bare_records.size()));
    for (std::size_t r = 1; r < records.size(); ++r) {
      FUZZ_CHECK(records[r].topic == bare_records[r].topic && !records[r].topic.empty(),
                 records[r].topic);
      check_pair(records[r].key, bare_records[r].key, "key");
      check_pair(records[r].value, bare_records[r].value, "value");
      if (bare_records[r].value) {
        rapidjson::Document value = parse_object(*bare_records[r].value, "value");
        FUZZ_CHECK(value.HasMember("op") && value["op"].IsString(), *bare_records[r].value);
      }
      for (const auto& [header, header_value] : bare_records[r].headers) {
        parse_object(header_value, "header");
      }
    }
  }
  return 0;
}
