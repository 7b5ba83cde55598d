// The option table's rows for pipelines[].types (how column values are encoded): Debezium's
// decimal.handling.mode, time.precision.mode, binary.handling.mode, hstore.handling.mode and
// interval.handling.mode, each defaulting to what Debezium does by default.
#include "config/option_rows.hpp"

namespace tributary::config::detail {

std::vector<Option> type_options() {
  return {
      {.path = "pipelines[].types",
       .type = Type::kSection,
       .description = "How column values are encoded: Debezium's value handling modes. Each "
                      "default is Debezium's, so records equal Debezium's default output; another "
                      "value equals Debezium's output with the same setting."},
      {.path = "pipelines[].types.decimal_handling",
       .type = Type::kEnum,
       .description =
           "Debezium's `decimal.handling.mode`, for `numeric` / `DECIMAL` columns and PostgreSQL "
           "`money` (also in arrays). `precise`: `org.apache.kafka.connect.data.Decimal` bytes "
           "(an unconstrained PostgreSQL `numeric`: `io.debezium.data.VariableScaleDecimal`). "
           "`double`: a float64 (digits beyond its precision are lost; PostgreSQL `NaN` "
           "becomes `NaN`). `string`: the exact number as plain text, e.g. `\"123.45\"`.",
       .default_value = "precise",
       .allowed = {"precise", "double", "string"},
       .bind = ENUM_FIELD(pipeline->types.decimal_handling, DecimalHandling)},
      {.path = "pipelines[].types.time_precision",
       .type = Type::kEnum,
       .description =
           "Debezium's `time.precision.mode`, for date, time and timestamp-without-zone columns "
           "(also in arrays; zoned types are always ISO strings). `adaptive`: each column's own "
           "precision, `io.debezium.time.Time` / `Timestamp` (ms) up to 3 fraction digits, "
           "`MicroTime` / `MicroTimestamp` (µs) above. `adaptive_time_microseconds`: the same "
           "but time is always `io.debezium.time.MicroTime`. `connect`: Kafka Connect's "
           "`org.apache.kafka.connect.data.Date` / `Time` / `Timestamp`, in milliseconds "
           "(finer digits are dropped). The default is each Debezium connector's: `adaptive` "
           "for postgres, `adaptive_time_microseconds` for mysql, which does not accept "
           "`adaptive` (as Debezium's MySQL connector).",
       .default_doc = "`adaptive` (postgres), `adaptive_time_microseconds` (mysql)",
       .allowed = {"adaptive", "adaptive_time_microseconds", "connect"},
       .bind = ENUM_FIELD(pipeline->types.time_precision, TimePrecision),
       .derive =
           +[](Target t) {
             t.pipeline->types.time_precision = t.pipeline->source.type == SourceType::kMysql
                                                    ? TimePrecision::kAdaptiveTimeMicroseconds
                                                    : TimePrecision::kAdaptive;
           },
       .derived_from = "pipelines[].source.type"},
      {.path = "pipelines[].types.binary_handling",
       .type = Type::kEnum,
       .description = "Debezium's `binary.handling.mode`, for PostgreSQL `bytea` and MySQL "
                      "`BINARY` / `VARBINARY` / `BLOB` columns. `bytes`: Connect bytes (base64 "
                      "text in JSON). `base64`, `base64-url-safe` (RFC 4648 URL alphabet, padded) "
                      "and `hex` (lower case): a string schema with that text.",
       .default_value = "bytes",
       .allowed = {"bytes", "base64", "base64-url-safe", "hex"},
       .bind = ENUM_FIELD(pipeline->types.binary_handling, BinaryHandling)},
      {.path = "pipelines[].types.hstore_handling",
       .type = Type::kEnum,
       .description = "PostgreSQL only: Debezium's `hstore.handling.mode`. `json`: an "
                      "`io.debezium.data.Json` string of the pairs. `map`: a Connect map of "
                      "string to optional string (a JSON object in the payload).",
       .default_value = "json",
       .allowed = {"json", "map"},
       .bind = ENUM_FIELD(pipeline->types.hstore_handling, HstoreHandling)},
      {.path = "pipelines[].types.interval_handling",
       .type = Type::kEnum,
       .description = "PostgreSQL only: Debezium's `interval.handling.mode`. `numeric`: "
                      "`io.debezium.time.MicroDuration`, int64 microseconds (a month counted as "
                      "30.4375 days). `string`: `io.debezium.time.Interval`, ISO 8601 text such "
                      "as `P1Y2M3DT4H5M6.78S`.",
       .default_value = "numeric",
       .allowed = {"numeric", "string"},
       .bind = ENUM_FIELD(pipeline->types.interval_handling, IntervalHandling)},
  };
}

}  // namespace tributary::config::detail
