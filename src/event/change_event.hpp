// The neutral value types every stage meets at: column types, table schemas, values, change events.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "event/source_position.hpp"

namespace tributary::event {

/// Source-independent column type, resolved by the source reader from its catalog.
/// The envelope maps it to Debezium's schema type and logical name.
enum class TypeKind {
  kBool,
  kInt16,
  kInt32,
  kInt64,
  kFloat32,
  kFloat64,
  kDecimal,          ///< fixed scale: numeric(p,s); precision/scale set
  kVariableDecimal,  ///< numeric without typmod -> io.debezium.data.VariableScaleDecimal
  kString,           ///< text, varchar, char, citext, inet, ... (any text the source gives as is)
  kBytes,            ///< bytea
  kDate,
  kTime,         ///< time without zone; precision = fractional digits (0-6), -1 = default (6)
  kTimestamp,    ///< timestamp without zone; precision as for kTime
  kTimestampTz,  ///< timestamp with zone -> ZonedTimestamp (UTC ISO-8601)
  kInterval,     ///< interval -> MicroDuration (int64 µs, a month counted as 365.25/12 days)
  kUuid,
  kJson,  ///< json and jsonb
  kXml,
  kEnum,      ///< enum_values holds the allowed labels in order
  kArray,     ///< element holds the element type
  kBits,      ///< MySQL BIT(n), n > 1 -> io.debezium.data.Bits (precision = n); BIT(1) is kBool
  kYear,      ///< MySQL YEAR -> io.debezium.time.Year (int32)
  kSet,       ///< MySQL SET -> io.debezium.data.EnumSet; enum_values holds the members in order
  kTimeTz,    ///< PostgreSQL timetz -> io.debezium.time.ZonedTime ("HH:MM:SS[.f]Z", in UTC)
  kLtree,     ///< PostgreSQL ltree -> io.debezium.data.Ltree (string)
  kTsvector,  ///< PostgreSQL tsvector -> io.debezium.data.Tsvector (string)
  kHstore,    ///< PostgreSQL hstore -> io.debezium.data.Json (a JSON object of its pairs)
};

/// The enumerator's name ("kInt32"), for messages.
inline std::string_view kind_name(TypeKind kind) {
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
    case TypeKind::kBits:
      return "kBits";
    case TypeKind::kYear:
      return "kYear";
    case TypeKind::kSet:
      return "kSet";
    case TypeKind::kTimeTz:
      return "kTimeTz";
    case TypeKind::kLtree:
      return "kLtree";
    case TypeKind::kTsvector:
      return "kTsvector";
    case TypeKind::kHstore:
      return "kHstore";
  }
  return "unknown";
}

struct ColumnType {
  TypeKind kind = TypeKind::kString;
  int precision = -1;  ///< numeric precision, or fractional second digits for time types; -1 unset
  int scale = -1;      ///< numeric scale; -1 unset
  std::vector<std::string> enum_values;
  std::shared_ptr<const ColumnType> element;  ///< set only for kArray
  std::string source_name;  ///< the source's own name for the type, e.g. "numeric(10,2)", "int4"
};

/// "numeric(10,2) (kDecimal)", or the kind alone without a source name: for messages.
inline std::string type_label(const ColumnType& type) {
  if (type.source_name.empty()) return std::string(kind_name(type.kind));
  return type.source_name + " (" + std::string(kind_name(type.kind)) + ")";
}

struct Value;

struct Column {
  std::string name;
  ColumnType type;
  bool optional = true;  ///< nullable in the source
  bool key = false;      ///< part of the message key (primary key, in key order see key_order)
  /// Left out of the events (key, before, after and the schema): the source cannot encode its type
  /// and tables.unsupported_columns is `skip`. Rows still hold a value at its index (ignored), so
  /// indexes stay those of the source's tuples. `type.source_name` names the source type. Never
  /// a key column.
  bool omitted = false;
  /// The column's DEFAULT as Debezium converts it (a value of `type`, written as "default" in
  /// the field schema and given to a NOT NULL column a key-only `before` lacks); null: none.
  std::shared_ptr<const Value> default_value;
};

struct TableId {
  std::string schema;  ///< PostgreSQL schema; MySQL database
  std::string table;
  std::string qualified() const { return schema + "." + table; }
  bool operator==(const TableId&) const = default;
};

/// One version of a table's shape. A new version is made on every schema change (pgoutput
/// Relation message, MySQL DDL); events hold the version they were read with.
struct TableSchema {
  TableId id;
  std::vector<Column> columns;
  std::vector<std::size_t> key_columns;  ///< indexes into columns, in key order; empty: null key
  uint32_t version = 0;
  uint32_t source_oid = 0;  ///< PostgreSQL relation OID (0 for other sources)
};

struct Null {
  bool operator==(const Null&) const = default;
};
/// PostgreSQL unchanged TOAST value: the source did not send it. Never invent one.
struct Unchanged {
  bool operator==(const Unchanged&) const = default;
};

struct Value;

/// Typed values: what a source hands the envelope, in the units Debezium writes. The envelope
/// knows no database's text formats; a source that reads text (PostgreSQL) converts it into these
/// (on the sink side of the queue, see source::ValueDecoder) before the envelope sees the event.
/// Raw bytes: bytea, BINARY/VARBINARY/BLOB, BIT(n) (Bits: little-endian as Debezium's Bits).
struct Bytes {
  std::string data;
  bool operator==(const Bytes&) const = default;
};
/// unscaled * 10^-scale. `unscaled` is the minimal two's-complement big-endian form (Java
/// BigInteger.toByteArray, what Kafka Connect's Decimal stores), so any precision fits.
struct Decimal {
  std::string unscaled;
  int32_t scale = 0;
  bool operator==(const Decimal&) const = default;
};
/// Days since 1970-01-01 (proleptic Gregorian). PostgreSQL ±infinity: the days Debezium writes
/// (-2147472692 / -2147472691, see source/postgres/values/text_parsers.hpp).
struct Date {
  int32_t days = 0;
  bool operator==(const Date&) const = default;
};
/// Microseconds past midnight; may be negative or past 24 h (MySQL TIME, PostgreSQL 24:00:00).
struct Time {
  int64_t micros = 0;
  bool operator==(const Time&) const = default;
};
/// A wall-clock date and time without zone, as microseconds since the epoch taken as UTC.
struct Timestamp {
  int64_t micros = 0;
  bool operator==(const Timestamp&) const = default;
};
/// An instant (timestamptz, MySQL TIMESTAMP): microseconds since the epoch, UTC. `infinity`: +1 or
/// -1 for PostgreSQL's ±infinity (written as Debezium writes them), 0 otherwise.
struct ZonedTimestamp {
  int64_t micros = 0;
  int8_t infinity = 0;
  /// Written without fractional digits whatever the column's precision: Debezium's fallback
  /// "1970-01-01T00:00:00Z" (a NOT NULL column a key-only `before` lacks).
  bool no_fraction = false;
  bool operator==(const ZonedTimestamp&) const = default;
};
/// A duration in microseconds (io.debezium.time.MicroDuration).
struct Interval {
  int64_t micros = 0;
  /// The interval's own fields as the source wrote them (PostgreSQL's text: years and months as
  /// total months, days, the time part in µs), for io.debezium.time.Interval (ISO 8601 text).
  int32_t months = 0;
  int32_t days = 0;
  int64_t time_micros = 0;
  bool operator==(const Interval&) const = default;
};
/// A one-dimensional array; elements are Values of the column's element type (or Null).
struct Array {
  std::vector<Value> elements;
  bool operator==(const Array& other) const;
};

using ValueVariant = std::variant<Null, Unchanged, std::string, bool, int64_t, double, Bytes,
                                  Decimal, Date, Time, Timestamp, ZonedTimestamp, Interval, Array>;

/// A column value. What the envelope accepts per TypeKind (anything else is a kCorrupt error, a
/// source bug; Null everywhere; Unchanged where DEBEZIUM_FORMAT.md has a placeholder):
///   kBool: bool.  kInt16, kInt32, kInt64, kYear: int64_t (range-checked against the kind).
///   kFloat32, kFloat64: double (or int64_t).  kDecimal: Decimal at exactly the column's scale.
///   kVariableDecimal: Decimal, any scale >= 0, written as given (a source strips trailing zeros).
///   kString, kUuid, kJson, kXml, kEnum, kTimeTz, kLtree, kTsvector, kHstore: std::string, final
///   UTF-8 text (kTimeTz "08:34:56.789Z", kHstore a JSON object).  kSet: std::string, the
///   members joined by ',' ("a,c").  kBytes, kBits: Bytes.  kDate: Date.  kTime: Time.
///   kTimestamp: Timestamp.  kTimestampTz: ZonedTimestamp.  kInterval: Interval.
///   kArray: Array of the element kind's values.
/// Before a source's ValueDecoder ran, a PostgreSQL row holds the server's text output as
/// std::string for every column (decoded once, sink side, into the alternatives above).
struct Value : ValueVariant {
  using ValueVariant::ValueVariant;
  using ValueVariant::operator=;
  Value() = default;
};
inline bool Array::operator==(const Array& other) const {
  return elements == other.elements;
}

using Row = std::vector<Value>;

enum class Op : char {
  kRead = 'r',
  kCreate = 'c',
  kUpdate = 'u',
  kDelete = 'd',
  kTruncate = 't',
};

/// source.snapshot (Debezium's SnapshotRecord). Of a snapshot: kFirst on its first record, kLast on
/// its last, otherwise per table kFirstInDataCollection on a table's first row,
/// kLastInDataCollection on its last (a one-row table's row too), kTrue between.
enum class SnapshotMarker {
  kFalse,
  kFirst,
  kFirstInDataCollection,
  kTrue,
  kLastInDataCollection,
  kLast
};

/// PostgreSQL's fields of the `source` block.
struct PostgresSourceInfo {
  std::optional<int64_t> txid;
  std::optional<uint64_t> lsn;  ///< LSN of this change
  /// End LSN of the previous transaction's commit (Debezium's lastCommitLsn, sequence[0]).
  std::optional<uint64_t> last_commit_lsn;
  /// The replication origin the transaction came through (pgoutput Origin message), shared by
  /// the transaction's events; null when none was set.
  std::shared_ptr<const std::string> origin;
  std::optional<uint64_t> origin_lsn;  ///< the commit LSN on the origin, with `origin`
  bool operator==(const PostgresSourceInfo&) const = default;
};

/// MySQL's and MariaDB's fields of the `source` block (Debezium's MySQL SourceInfo). Strings that
/// many events share (binlog file, GTID, query) are shared, not copied per event.
struct MysqlSourceInfo {
  int64_t server_id = 0;                     ///< server_id of the event's origin; 0 in snapshots
  std::shared_ptr<const std::string> gtid;   ///< the transaction's GTID; null: none
  std::shared_ptr<const std::string> file;   ///< binlog file of the event
  int64_t pos = 0;                           ///< position of the transaction's first event
  int32_t row = 0;                           ///< row index within its rows event
  std::optional<int64_t> thread;             ///< thread id of the statement, when known
  std::shared_ptr<const std::string> query;  ///< the statement (binlog_rows_query_log_events)
  bool operator==(const MysqlSourceInfo&) const = default;
};

/// Where an event came from, for the envelope's `source` block.
struct SourceInfo {
  std::string db;              ///< database name
  int64_t commit_time_us = 0;  ///< source commit timestamp (snapshot: read time), µs since epoch
  SnapshotMarker snapshot = SnapshotMarker::kFalse;
  std::variant<PostgresSourceInfo, MysqlSourceInfo> origin;

  PostgresSourceInfo& postgres() { return std::get<PostgresSourceInfo>(origin); }
  MysqlSourceInfo& mysql() {
    if (!std::holds_alternative<MysqlSourceInfo>(origin)) origin = MysqlSourceInfo{};
    return std::get<MysqlSourceInfo>(origin);
  }
};

/// The event's place in its source transaction (pipelines[].transactions.topic), Debezium's
/// `transaction` block; set by the committer. total_order 0: none (the block is null).
struct TransactionOrder {
  /// The transaction's id (MySQL/MariaDB: its GTID); null on PostgreSQL, whose block id is
  /// Debezium's `<txId>:<LSN of the event>`, made from the source block.
  std::shared_ptr<const std::string> id;
  int64_t total_order = 0;                ///< 1-based among the transaction's events
  int64_t data_collection_order = 0;      ///< 1-based among the transaction's events of the table
};

struct ChangeEvent {
  Op op = Op::kCreate;
  std::shared_ptr<const TableSchema> schema;
  /// before image: old row for updates/deletes when the source has it (PostgreSQL: REPLICA
  /// IDENTITY FULL gives all columns; DEFAULT gives key columns only on deletes, Null elsewhere).
  std::optional<Row> before;
  std::optional<Row> after;
  /// true when `before` holds only the key columns (pgoutput 'K' tuple): other columns are Null.
  bool before_is_key_only = false;
  SourceInfo source;
  SourcePosition position;  ///< position reached once this event is durably emitted
  TransactionOrder transaction;
  /// Already in Kafka (the resumed prefix of a partly emitted transaction): passed on only so
  /// that transaction metadata counts it, never written, its position not recorded.
  bool replayed = false;
};

}  // namespace tributary::event
