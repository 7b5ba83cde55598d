// How a pipeline encodes column values (options_types.cpp): Debezium's *.handling.mode and
// time.precision.mode settings.
#pragma once

namespace tributary::config {

/// decimal.handling.mode: numeric/DECIMAL (and PostgreSQL money) columns.
enum class DecimalHandling { kPrecise, kDouble, kString };
/// time.precision.mode. The default depends on the source (adaptive for PostgreSQL,
/// adaptive_time_microseconds for MySQL/MariaDB, whose connector has no adaptive).
enum class TimePrecision { kAdaptive, kAdaptiveTimeMicroseconds, kConnect };
/// binary.handling.mode: bytea / BINARY / BLOB columns.
enum class BinaryHandling { kBytes, kBase64, kBase64UrlSafe, kHex };
/// hstore.handling.mode (PostgreSQL).
enum class HstoreHandling { kJson, kMap };
/// interval.handling.mode (PostgreSQL).
enum class IntervalHandling { kNumeric, kString };

struct TypesConfig {
  DecimalHandling decimal_handling = DecimalHandling::kPrecise;
  TimePrecision time_precision = TimePrecision::kAdaptive;
  BinaryHandling binary_handling = BinaryHandling::kBytes;
  HstoreHandling hstore_handling = HstoreHandling::kJson;
  IntervalHandling interval_handling = IntervalHandling::kNumeric;
};

}  // namespace tributary::config
