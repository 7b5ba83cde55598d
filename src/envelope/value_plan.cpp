// Column types -> conversion plans; which types the envelope maps.
#include "envelope/value_plan.hpp"

#include <unordered_set>

#include "envelope/json_util.hpp"
#include "envelope/serializer.hpp"

namespace tributary::envelope {
namespace detail {

using event::ColumnType;
using event::TypeKind;

bool millisecond_precision(const ColumnType& type, const Mapping& mapping) {
  if (mapping.time_precision == config::TimePrecision::kConnect) return true;
  if (type.kind == TypeKind::kTime && mapping.time_always_micros) return false;
  return type.precision >= 0 && type.precision <= 3;
}

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
    case TypeKind::kYear:
    case TypeKind::kSet:
    case TypeKind::kTimeTz:
    case TypeKind::kLtree:
    case TypeKind::kTsvector:
    case TypeKind::kHstore:
      return "";
    case TypeKind::kBits:
      if (type.precision < 1) return "is a BIT(n) without its length n (precision)";
      return "";
    case TypeKind::kDecimal:
      // 0: a decimal that declares no precision (PostgreSQL money), Decimal.builder(scale) alone.
      if (type.precision < 0) {
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
        return "is an array whose element type " + event::type_label(*type.element) + " " + reason;
      }
      return "";
  }
  return "has an unknown type kind " + std::to_string(static_cast<int>(type.kind));
}

ValuePlan make_value_plan(const ColumnType& type, const Mapping& mapping) {
  ValuePlan plan;
  switch (type.kind) {
    case TypeKind::kBool:
      plan.conversion = Conversion::kBool;
      break;
    case TypeKind::kInt16:
      plan.conversion = Conversion::kInt16;
      break;
    case TypeKind::kInt32:
    case TypeKind::kYear:  // io.debezium.time.Year: int32 (BinlogValueConverters, YEAR)
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
    case TypeKind::kVariableDecimal:
      plan.scale = type.scale;
      switch (mapping.decimal_handling) {
        case config::DecimalHandling::kPrecise:
          plan.conversion =
              type.kind == TypeKind::kDecimal ? Conversion::kDecimal : Conversion::kVariableDecimal;
          break;
        case config::DecimalHandling::kDouble:
          plan.conversion = Conversion::kDecimalDouble;
          break;
        case config::DecimalHandling::kString:
          plan.conversion = Conversion::kDecimalString;
          break;
      }
      break;
    case TypeKind::kBytes:
      switch (mapping.binary_handling) {
        case config::BinaryHandling::kBytes:
        case config::BinaryHandling::kBase64:  // the same text, under a string schema
          plan.conversion = Conversion::kBytes;
          break;
        case config::BinaryHandling::kBase64UrlSafe:
          plan.conversion = Conversion::kBytesBase64Url;
          break;
        case config::BinaryHandling::kHex:
          plan.conversion = Conversion::kBytesHex;
          break;
      }
      break;
    case TypeKind::kBits:  // io.debezium.data.Bits: bytes (JdbcValueConverters, Types.BIT), in
                           // every binary.handling.mode
      plan.conversion = Conversion::kBytes;
      break;
    case TypeKind::kDate:
      plan.conversion = Conversion::kDate;
      break;
    case TypeKind::kTime:
      plan.conversion =
          millisecond_precision(type, mapping) ? Conversion::kTimeMillis : Conversion::kTimeMicros;
      break;
    case TypeKind::kTimestamp:
      plan.conversion = millisecond_precision(type, mapping) ? Conversion::kTimestampMillis
                                                             : Conversion::kTimestampMicros;
      break;
    case TypeKind::kTimestampTz:
      plan.conversion = Conversion::kZonedTimestamp;
      plan.fraction_digits = type.precision < 0 ? 6 : type.precision;
      break;
    case TypeKind::kInterval:
      plan.conversion = mapping.interval_handling == config::IntervalHandling::kString
                            ? Conversion::kIntervalString
                            : Conversion::kMicroDuration;
      break;
    case TypeKind::kArray:
      plan.conversion = Conversion::kArray;
      if (auto element = make_value_plan(*type.element, mapping);
          element.conversion == Conversion::kTimeMicros &&
          mapping.time_precision == config::TimePrecision::kAdaptiveTimeMicroseconds) {
        element.millisecond_truncated = true;
        plan.element = std::make_shared<const ValuePlan>(std::move(element));
      } else {
        plan.element = std::make_shared<const ValuePlan>(std::move(element));
      }
      break;
    case TypeKind::kString:
    case TypeKind::kUuid:
    case TypeKind::kJson:
    case TypeKind::kXml:
    case TypeKind::kEnum:
    case TypeKind::kSet:  // io.debezium.data.EnumSet: "a,b" (BinlogValueConverters, SET)
    case TypeKind::kTimeTz:
    case TypeKind::kLtree:
    case TypeKind::kTsvector:
      plan.conversion = Conversion::kString;
      break;
    case TypeKind::kHstore:
      plan.conversion = mapping.hstore_handling == config::HstoreHandling::kMap
                            ? Conversion::kHstoreMap
                            : Conversion::kString;
      break;
  }
  return plan;
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

}  // namespace detail

Result<void> check_supported(const event::TableSchema& schema) {
  const std::string table = schema.id.qualified();
  for (const auto& column : schema.columns) {
    if (column.omitted) continue;
    if (auto reason = detail::unsupported_reason(column.type, false); !reason.empty()) {
      return Error::config("table " + table + " column " + column.name + " of type " +
                           event::type_label(column.type) + " " + reason +
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

}  // namespace tributary::envelope
