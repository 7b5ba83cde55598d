// The neutral value types every stage meets at: column types, table schemas, values, change events.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
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
  kEnum,   ///< enum_values holds the allowed labels in order
  kArray,  ///< element holds the element type
};

struct ColumnType {
  TypeKind kind = TypeKind::kString;
  int precision = -1;  ///< numeric precision, or fractional second digits for time types; -1 unset
  int scale = -1;      ///< numeric scale; -1 unset
  std::vector<std::string> enum_values;
  std::shared_ptr<const ColumnType> element;  ///< set only for kArray
  std::string source_name;  ///< the source's own name for the type, e.g. "numeric(10,2)", "int4"
};

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

/// A column value. `std::string` holds the source's canonical *text* form (PostgreSQL output
/// function format, e.g. "123.45", "2020-01-02", "\\x0102", "{1,2}", "t"); the envelope parses it
/// according to ColumnType. Typed alternatives are for sources that decode binary values (MySQL).
using Value = std::variant<Null, Unchanged, std::string, bool, int64_t, double>;
using Row = std::vector<Value>;

enum class Op : char {
  kRead = 'r',
  kCreate = 'c',
  kUpdate = 'u',
  kDelete = 'd',
  kTruncate = 't',
};

enum class SnapshotMarker { kFalse, kFirst, kTrue, kLast };

/// Where an event came from, for the envelope's `source` block.
struct SourceInfo {
  std::string db;              ///< database name
  int64_t commit_time_us = 0;  ///< source commit timestamp (snapshot: read time), µs since epoch
  std::optional<int64_t> txid;
  std::optional<uint64_t> lsn;              ///< PostgreSQL: LSN of this change
  std::optional<uint64_t> last_commit_lsn;  ///< PostgreSQL: commit LSN of the previous txn
  SnapshotMarker snapshot = SnapshotMarker::kFalse;
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
};

}  // namespace tributary::event
