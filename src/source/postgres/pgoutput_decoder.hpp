// Decoder for pgoutput logical replication messages (protocol version 1); no I/O.
//
// Version 2 (PostgreSQL 14+) is read too when the slot was started without `streaming`: its
// messages are then byte-identical to version 1. Streamed in-progress transactions (stream
// start/stop/commit/abort, and the xid that v2 inserts into messages inside them) and the v3
// two-phase messages are not supported and decode as errors.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "base/result.hpp"

namespace tributary::source::postgres::pgoutput {

/// One column of a TupleData. `data` holds the value for kText (the type's output function
/// form) and kBinary (its send function form); it is empty for kNull and kUnchanged.
struct TupleColumn {
  enum class Kind : char { kNull = 'n', kUnchanged = 'u', kText = 't', kBinary = 'b' };
  Kind kind = Kind::kNull;
  std::string data;
};
/// Every column of the relation in order, dropped and generated columns excluded.
using Tuple = std::vector<TupleColumn>;

struct Begin {
  uint64_t final_lsn = 0;      ///< LSN of the commit record; equals the Commit's commit_lsn
  int64_t commit_time_us = 0;  ///< µs since the Unix epoch
  uint32_t xid = 0;
};

struct Commit {
  uint8_t flags = 0;  ///< currently unused, 0
  uint64_t commit_lsn = 0;
  uint64_t end_lsn = 0;  ///< end of the commit record: where streaming resumes after this txn
  int64_t commit_time_us = 0;
};

/// Sent after Begin when the transaction was replayed from another node with an origin set.
struct Origin {
  uint64_t commit_lsn = 0;  ///< the commit LSN on the origin server
  std::string name;
};

struct RelationColumn {
  bool key = false;  ///< part of the replica identity (every column under REPLICA IDENTITY FULL)
  std::string name;
  uint32_t type_oid = 0;
  int32_t type_modifier = -1;  ///< atttypmod, e.g. numeric(p,s) -> ((p << 16) | s) + 4
};

/// A table's shape; sent before the first change to it in a session and after it changes. Later
/// Insert/Update/Delete refer to it by oid.
struct Relation {
  uint32_t oid = 0;
  std::string schema;  ///< "pg_catalog" when the wire says "" (as PostgreSQL's reader does)
  std::string name;
  char replica_identity = 'd';  ///< 'd' default, 'n' nothing, 'f' full, 'i' index
  std::vector<RelationColumn> columns;
};

/// A non-built-in type (enum, domain, composite, ...) used by a Relation that follows.
struct Type {
  uint32_t oid = 0;
  std::string schema;  ///< "pg_catalog" when the wire says ""
  std::string name;
};

struct Insert {
  uint32_t relation_oid = 0;
  Tuple new_tuple;
};

struct Update {
  uint32_t relation_oid = 0;
  /// 'K': old_tuple holds the replica identity key columns (others kNull), sent when the key
  /// changed; 'O': the whole old row (REPLICA IDENTITY FULL); 0: no old tuple.
  char old_kind = 0;
  Tuple old_tuple;
  Tuple new_tuple;
};

struct Delete {
  uint32_t relation_oid = 0;
  char old_kind = 0;  ///< 'K' (key columns, others kNull) or 'O' (whole row)
  Tuple old_tuple;
};

struct Truncate {
  static constexpr uint8_t kCascade = 1;
  static constexpr uint8_t kRestartIdentity = 2;
  uint8_t options = 0;  ///< bit0 CASCADE, bit1 RESTART IDENTITY
  std::vector<uint32_t> relation_oids;
};

/// pg_logical_emit_message(); sent only when the slot was started with messages 'true'.
struct LogicalMessage {
  bool transactional = false;  ///< false: sent at once, outside any Begin/Commit
  uint64_t lsn = 0;
  std::string prefix;
  std::string content;  ///< arbitrary bytes
};

using Message = std::variant<Begin, Commit, Origin, Relation, Type, Insert, Update, Delete,
                             Truncate, LogicalMessage>;

/// Decodes one pgoutput message (an XLogData payload). The bytes are untrusted: any overrun,
/// negative length, unknown tag or kind, or trailing byte gives ErrorKind::kCorrupt
/// "pgoutput <msg>: <what> at offset N"; nothing throws but allocation failure.
Result<Message> decode(std::string_view bytes);

}  // namespace tributary::source::postgres::pgoutput
