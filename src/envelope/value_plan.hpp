// Per table version: how each column's values become JSON (a ValuePlan per column), and which
// column types the envelope can map at all.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "envelope/column_masks.hpp"
#include "envelope/serializer.hpp"  // detail::Mapping
#include "event/change_event.hpp"

namespace tributary::envelope::detail {

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
  kString,  ///< text as is: text, varchar, uuid, json, xml, enum, set, ...
  kBytes,
  kDate,
  kTimeMillis,
  kTimeMicros,
  kTimestampMillis,
  kTimestampMicros,
  kZonedTimestamp,
  kMicroDuration,
  kArray,
  // pipelines[].types' other modes (the defaults are the kinds above):
  kDecimalDouble,   ///< decimal_handling double: float64
  kDecimalString,   ///< decimal_handling string: BigDecimal.toPlainString
  kBytesBase64Url,  ///< binary_handling base64-url-safe (base64 writes kBytes' text)
  kBytesHex,        ///< binary_handling hex
  kHstoreMap,       ///< hstore_handling map: the hstore's JSON object text, written as an object
  kIntervalString,  ///< interval_handling string: io.debezium.time.Interval
};

struct ValuePlan {
  Conversion conversion = Conversion::kString;
  int scale = 0;            ///< kDecimal
  int fraction_digits = 6;  ///< kZonedTimestamp
  /// kTimeMicros: whole milliseconds only (Debezium's time[] items in adaptive_time_microseconds
  /// mode, checked against 3.6.1: 01:02:03.456789 -> 3723456000).
  bool millisecond_truncated = false;
  std::shared_ptr<const ValuePlan> element;  ///< kArray
};

struct ColumnPlan {
  std::string name;
  std::string type_name;  ///< for error messages
  ValuePlan value;
  bool omitted = false;  ///< Column::omitted or columns.include/exclude: no value field (the key
                         ///< still has a key column)
  std::shared_ptr<const ColumnMask> mask;  ///< columns.truncate_to / mask_with / mask_hash; null
};

/// Why `type` cannot be serialized, or "" when it can.
std::string unsupported_reason(const event::ColumnType& type, bool is_element);

/// Time and timestamp columns of precision 0-3 are written in milliseconds (adaptive mode), all
/// of them in connect mode.
bool millisecond_precision(const event::ColumnType& type, const Mapping& mapping);

ValuePlan make_value_plan(const event::ColumnType& type, const Mapping& mapping);

/// Whether the unchanged-TOAST placeholder is written as the string itself.
inline bool is_string_shaped(Conversion conversion) {
  return conversion == Conversion::kString || conversion == Conversion::kZonedTimestamp;
}

/// Whether the column's bytes are written as bytes (base64 in JSON) rather than a string schema.
inline bool binary_as_bytes(const Mapping& mapping) {
  return mapping.binary_handling == config::BinaryHandling::kBytes;
}

/// Schema, table, column and enum label names are valid UTF-8 (they end up in cached JSON).
bool names_valid_utf8(const event::TableSchema& schema);

}  // namespace tributary::envelope::detail
