// The Debezium JSON envelope: turns ChangeEvents into Kafka records (key, value, topic, headers)
// exactly as Debezium's PostgreSQL, MySQL and MariaDB connectors with Kafka Connect's
// JsonConverter write them. It reads typed values only (event::Value lists what each TypeKind
// takes): a source's text forms are parsed by the source (source::ValueDecoder), never here.
//
// Files: serializer.cpp (records, headers, plan cache), record_writer.* (key and value
// documents), value_writer.* (one value), value_plan.* (type -> conversion, check_supported),
// schema_json.* (JsonConverter schema nodes), schema_change_writer.cpp (DDL records),
// source_block.* (the `source` block per connector),
// text_codec.* (base64, ISO-8601), json_util.* (shared helpers).
//
// Choices where Debezium offers several or the event types leave a gap:
// - decimal handling is "precise": numeric(p,s) -> Decimal bytes, numeric -> VariableScaleDecimal;
//   NaN/Infinity numerics are an error, as in Debezium's precise mode.
// - time precision mode is each connector's default: PostgreSQL "adaptive", time/timestamp(0-3)
//   in ms, (4-6 or unset) in µs; MySQL/MariaDB "adaptive_time_microseconds", the same except that
//   TIME is always io.debezium.time.MicroTime.
// - MySQL/MariaDB kinds: BIT(n) -> io.debezium.data.Bits (bytes, {"length":"n"}), YEAR ->
//   io.debezium.time.Year (int32), SET -> io.debezium.data.EnumSet ({"allowed":"a,b"}); unsigned
//   integers arrive as the kind DEBEZIUM_FORMAT.md gives them (the source picks it).
// - ZonedTimestamp strings carry exactly the column's fractional digits (6 when unset, none for
//   precision 0), as Debezium 2.2+ does for PostgreSQL.
// - float and double NaN/Infinity are written as the strings "NaN", "Infinity", "-Infinity"
//   (what Jackson, under JsonConverter, writes).
// - Unchanged TOAST values (event::Unchanged): the placeholder for string-shaped columns, its bytes
//   for bytea, ["<placeholder>"] for arrays of strings and the placeholder's bytes as numbers for
//   int2/int4/int8/date arrays (Debezium's UnchangedToastedPlaceholder). Other types cannot be
//   TOASTed out of line (fixed width) or have no Debezium placeholder (numeric, other arrays): an
//   error that suggests REPLICA IDENTITY FULL.
// - The __debezium.newkey / __debezium.oldkey header values are the key as schemaless JSON
//   ({"id":1}), what Kafka Connect's default SimpleHeaderConverter writes for a key Struct.
//   The tombstone after a key-change delete carries the delete's headers, as Debezium's does.
// - Every data record (tombstones too) ends its headers with Debezium 3.2+'s context headers
//   (extended.headers.enabled, on by default), as plain UTF-8 text (SimpleHeaderConverter of a
//   string): __debezium.context.connectorLogicalName (the topic prefix), .taskId ("0"),
//   .connectorName (`connector`) and .runId (`run_id`). Schema change records carry none.
// - No tombstone follows a delete from a table without key columns (the key would be null).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/result.hpp"
#include "config/routes_config.hpp"
#include "config/types_config.hpp"
#include "event/change_event.hpp"
#include "event/schema_change.hpp"
#include "sink/kafka/message.hpp"

namespace tributary::envelope {
class ColumnRules;  // column_masks.hpp
namespace detail {
struct TablePlan;
class RecordWriter;
enum class SourceLayout;
/// Connector-specific mapping choices (Debezium's defaults differ per connector).
struct Mapping {
  /// MySQL/MariaDB: time.precision.mode adaptive_time_microseconds (the MySQL connector's
  /// default): TIME is always io.debezium.time.MicroTime, whatever its precision
  /// (JdbcValueConverters.timeBuilder / BinlogValueConverters.converter, Types.TIME).
  /// PostgreSQL: adaptive, time(0-3) in ms as io.debezium.time.Time.
  bool time_always_micros = false;
  /// pipelines[].types, resolved (Options): Debezium's value handling modes.
  config::TimePrecision time_precision = config::TimePrecision::kAdaptive;
  config::DecimalHandling decimal_handling = config::DecimalHandling::kPrecise;
  config::BinaryHandling binary_handling = config::BinaryHandling::kBytes;
  config::HstoreHandling hstore_handling = config::HstoreHandling::kJson;
  config::IntervalHandling interval_handling = config::IntervalHandling::kNumeric;
};

}  // namespace detail

struct Options {
  std::string topic_prefix;  ///< topic = <prefix>.<schema>.<table> (MySQL: schema = database)
  bool schemas = true;       ///< with/without the JsonConverter "schema" part
  bool tombstones_on_delete = true;
  /// source.connector and the source block's layout: "postgresql", "mysql" or "mariadb".
  std::string connector = "postgresql";
  std::string unavailable_value_placeholder = "__debezium_unavailable_value";
  /// pipelines[].topic_naming.delimiter: between the parts of a data topic name.
  std::string topic_delimiter = ".";
  /// pipelines[].routes (ByLogicalTableRouter): data topics renamed, keys get the table's topic.
  std::vector<config::RouteConfig> routes;
  /// The __debezium.context.runId header; empty: daemon_run_id().
  std::string run_id;
  /// pipelines[].columns: value columns left out, and masks (column_masks.hpp); null: none.
  std::shared_ptr<const ColumnRules> columns;
  /// pipelines[].types (Debezium's *.handling.mode). time_precision unset: the connector's
  /// default (adaptive; adaptive_time_microseconds for mysql/mariadb, which refuse adaptive).
  config::DecimalHandling decimal_handling = config::DecimalHandling::kPrecise;
  std::optional<config::TimePrecision> time_precision;
  config::BinaryHandling binary_handling = config::BinaryHandling::kBytes;
  config::HstoreHandling hstore_handling = config::HstoreHandling::kJson;
  config::IntervalHandling interval_handling = config::IntervalHandling::kNumeric;
#ifdef TRIBUTARY_VERSION
  std::string version = "tributary-" TRIBUTARY_VERSION;  ///< source.version
#else
  std::string version = "tributary";  ///< source.version
#endif
};

/// A random UUID (version 4, lower case), made once per process: the daemon run's id.
const std::string& daemon_run_id();

/// Debezium's topic naming: every character outside [A-Za-z0-9._-] becomes '_'.
std::string sanitize_topic_name(std::string_view name);

/// Startup check of one table version: every column maps to a Debezium type and carries what that
/// mapping needs (numeric precision and scale, array element, time precision 0-6), and the key
/// column indexes are valid. The error (kind kConfig) names schema.table.column and its type and
/// suggests excluding the table.
///
/// PostgreSQL types the source maps to each TypeKind (anything else has no mapping here and the
/// source should refuse it, naming the column, before the envelope sees the table):
///   bool -> kBool; int2 -> kInt16; int4 -> kInt32; int8, oid -> kInt64;
///   float4 -> kFloat32; float8 -> kFloat64;
///   numeric(p,s) -> kDecimal, precision p, scale s >= 0 (from typmod: p = (typmod-4) >> 16,
///     s = (typmod-4) & 0x7ff; PostgreSQL 15's negative scales are refused);
///   numeric without typmod -> kVariableDecimal;
///   text, varchar, bpchar (char(n), padded as sent), name, citext, inet, cidr, macaddr, macaddr8,
///     int4range, int8range, numrange, tsrange, tstzrange, daterange -> kString;
///   bytea -> kBytes; date -> kDate;
///   time(p) -> kTime, timestamp(p) -> kTimestamp, timestamptz(p) -> kTimestampTz, with
///     precision = typmod (0-6) or -1 when the typmod is -1;
///   interval -> kInterval (text in IntervalStyle postgres);
///   uuid -> kUuid; json, jsonb -> kJson; xml -> kXml;
///   enum types (typtype 'e') -> kEnum, enum_values = labels in enumsortorder;
///   arrays (typelem != 0, typcategory 'A') of any of these -> kArray, element = the element's
///     ColumnType, with the column's typmod applied to it (numeric(5,2)[] -> element kDecimal 5,2);
///   money -> kDecimal, scale 2, precision 0 (Decimal without connect.decimal.precision);
///   bit(1), varbit(1) -> kBool; bit(n), varbit(n), n > 1 -> kBits, precision n;
///   a domain -> its base type.
/// Not mapped (no TypeKind yet): timetz (ZonedTime), varbit without a length, arrays of money,
/// bit and varbit, geometric types, hstore, tsvector, pgvector types.
/// MySQL/MariaDB adds kBits (precision = n >= 1), kYear and kSet (enum_values = the members).
Result<void> check_supported(const event::TableSchema& schema);

/// Serializes change events; keeps a cache of each table version's schema JSON and conversion
/// plan, so that per-event work is the payload only.
/// Not thread-safe: use one Serializer per pipeline (it runs on that pipeline's strand).
class TopicRouter;

class Serializer {
 public:
  /// Throws std::invalid_argument if `options.connector` is none of "postgresql", "mysql",
  /// "mariadb", or an option is not valid UTF-8 (start-up error).
  explicit Serializer(Options options);
  ~Serializer();
  Serializer(const Serializer&) = delete;
  Serializer& operator=(const Serializer&) = delete;

  /// Appends the Kafka records of one event to `out`: the data record (key, value, topic), a
  /// tombstone after a delete (unless disabled), and for an update that changes the primary key:
  /// delete under the old key (header `__debezium.newkey`), tombstone, create under the new key
  /// (header `__debezium.oldkey`). `now_us` = processing time (ts_ms/ts_us/ts_ns); injectable for
  /// golden tests. On error nothing is appended; the error (kCorrupt for a value that does not
  /// fit its column, naming table, column and value; kConfig for a table the envelope cannot
  /// map) means the event cannot be represented.
  Result<void> serialize(const event::ChangeEvent& event, int64_t now_us,
                         std::vector<sink::Message>& out);

  /// MySQL/MariaDB: the schema change record of one DDL statement (schema_change_writer.cpp):
  /// topic <topic_prefix>, partition 0, key {"databaseName"}, value {source, ts_ms (`now_us`),
  /// databaseName, schemaName (null), ddl, tableChanges}. kConfig for a postgresql serializer,
  /// kCorrupt for text that is not valid UTF-8; nothing is appended on error.
  Result<void> serialize_schema_change(const event::SchemaChange& change, int64_t now_us,
                                       std::vector<sink::Message>& out);

  const Options& options() const { return options_; }

 private:
  Result<void> serialize_records(const event::ChangeEvent& event, int64_t now_us,
                                 std::vector<sink::Message>& out);
  Result<const detail::TablePlan*> plan_for(
      const std::shared_ptr<const event::TableSchema>& schema);

  Options options_;
  detail::SourceLayout layout_{};
  detail::Mapping mapping_;
  std::unique_ptr<detail::RecordWriter> writer_;
  /// Data topic names (topic_router.hpp).
  std::unique_ptr<TopicRouter> router_;
  std::shared_ptr<const sink::Headers> context_headers_;  ///< on every data record
  const detail::TablePlan* last_plan_ = nullptr;  ///< fast path: consecutive events of one table
  /// Plans by table version; kept alive with their TableSchema so the key cannot be reused.
  std::unordered_map<const event::TableSchema*, std::unique_ptr<detail::TablePlan>> plans_;
  /// "schema.table" -> its newest cached version, so an old version is evicted on schema change.
  std::unordered_map<std::string, const event::TableSchema*> newest_;
};

}  // namespace tributary::envelope
