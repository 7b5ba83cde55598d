// Decoder for pgoutput logical replication messages (protocol version 1); no I/O.
//
// Layouts follow PostgreSQL's "Logical Replication Message Formats" and src/backend/replication/
// logical/proto.c. Integers are big-endian; "String" is NUL-terminated.
#include "source/postgres/pgoutput_decoder.hpp"

#include <algorithm>
#include <utility>

#include "source/postgres/replication_protocol.hpp"

namespace tributary::source::postgres::pgoutput {
namespace {

using wire::Reader;

constexpr std::string_view kProtocol = "pgoutput";

std::string hex_byte(uint8_t byte) {
  static constexpr char kDigits[] = "0123456789abcdef";
  return {'0', 'x', kDigits[byte >> 4], kDigits[byte & 0xf]};
}

/// proto.c writes "" for pg_catalog to save bytes; its reader maps it back.
std::string namespace_name(std::string_view wire_name) {
  return wire_name.empty() ? std::string("pg_catalog") : std::string(wire_name);
}

/// Reads an Int32 length that must be >= 0 and fit in what is left.
std::size_t read_length(Reader& reader, const char* what) {
  const std::size_t at = reader.offset();
  const int32_t length = reader.i32(what);
  if (reader.failed()) return 0;
  if (length < 0) {
    reader.fail(at, std::string("negative ") + what + " " + std::to_string(length));
    return 0;
  }
  return static_cast<std::size_t>(length);
}

// TupleData
//   Int16 number of columns
//   then per column:
//     Byte1 'n' (null) | 'u' (unchanged TOAST value, not sent) | 't' (text) | 'b' (binary)
//     't', 'b': Int32 length, Byte[length] value
bool read_tuple(Reader& reader, Tuple& out) {
  const uint16_t count = reader.u16("tuple column count");
  if (reader.failed()) return false;
  // Each column takes at least one byte: a forged count cannot make the reserve large.
  out.reserve(std::min<std::size_t>(count, reader.remaining()));
  for (uint16_t i = 0; i < count; ++i) {
    const std::size_t kind_at = reader.offset();
    const uint8_t kind = reader.u8("tuple column kind");
    if (reader.failed()) return false;
    switch (kind) {
      case 'n':
        out.push_back(TupleColumn{TupleColumn::Kind::kNull, {}});
        break;
      case 'u':
        out.push_back(TupleColumn{TupleColumn::Kind::kUnchanged, {}});
        break;
      case 't':
      case 'b': {
        const std::size_t length = read_length(reader, "tuple column length");
        const std::string_view value = reader.bytes(length, "tuple column value");
        if (reader.failed()) return false;
        out.push_back(TupleColumn{static_cast<TupleColumn::Kind>(kind), std::string(value)});
        break;
      }
      default:
        reader.fail(kind_at, "unknown tuple column kind " + hex_byte(kind));
        return false;
    }
  }
  return true;
}

/// Reads the Byte1 that introduces a TupleData and checks it is one of `allowed`.
char read_tuple_tag(Reader& reader, std::string_view allowed, const char* expected) {
  const std::size_t at = reader.offset();
  const uint8_t tag = reader.u8("tuple tag");
  if (reader.failed()) return 0;
  if (allowed.find(static_cast<char>(tag)) == std::string_view::npos) {
    reader.fail(at, "tuple tag " + hex_byte(tag) + " is not " + expected);
    return 0;
  }
  return static_cast<char>(tag);
}

// Begin
//   Byte1('B')
//   Int64 final LSN of the transaction (its commit record)
//   Int64 commit timestamp, µs since 2000-01-01
//   Int32 xid
Begin read_begin(Reader& reader) {
  Begin out;
  out.final_lsn = reader.u64("final LSN");
  out.commit_time_us = pg_time_to_unix_us(reader.i64("commit timestamp"));
  out.xid = reader.u32("xid");
  return out;
}

// Commit
//   Byte1('C')
//   Int8  flags (unused, 0)
//   Int64 LSN of the commit
//   Int64 end LSN of the transaction
//   Int64 commit timestamp, µs since 2000-01-01
Commit read_commit(Reader& reader) {
  Commit out;
  out.flags = reader.u8("flags");
  out.commit_lsn = reader.u64("commit LSN");
  out.end_lsn = reader.u64("end LSN");
  out.commit_time_us = pg_time_to_unix_us(reader.i64("commit timestamp"));
  return out;
}

// Origin
//   Byte1('O')
//   Int64  LSN of the commit on the origin server
//   String name of the origin
Origin read_origin(Reader& reader) {
  Origin out;
  out.commit_lsn = reader.u64("origin commit LSN");
  out.name = std::string(reader.cstring("origin name"));
  return out;
}

// Relation
//   Byte1('R')
//   Int32  relation OID
//   String namespace ("" for pg_catalog)
//   String relation name
//   Int8   replica identity setting: 'd' default, 'n' nothing, 'f' full, 'i' index
//   Int16  number of columns
//   then per column:
//     Int8   flags: 1 = part of the key (replica identity)
//     String column name
//     Int32  type OID
//     Int32  type modifier (atttypmod)
Relation read_relation(Reader& reader) {
  Relation out;
  out.oid = reader.u32("relation OID");
  out.schema = namespace_name(reader.cstring("namespace"));
  out.name = std::string(reader.cstring("relation name"));
  const std::size_t identity_at = reader.offset();
  const uint8_t identity = reader.u8("replica identity");
  const uint16_t count = reader.u16("column count");
  if (reader.failed()) return out;
  if (std::string_view("dnfi").find(static_cast<char>(identity)) == std::string_view::npos) {
    reader.fail(identity_at, "unknown replica identity " + hex_byte(identity));
    return out;
  }
  out.replica_identity = static_cast<char>(identity);
  constexpr std::size_t kMinColumnBytes = 1 + 1 + 4 + 4;  // flags, "", type, modifier
  out.columns.reserve(std::min<std::size_t>(count, reader.remaining() / kMinColumnBytes));
  for (uint16_t i = 0; i < count && !reader.failed(); ++i) {
    RelationColumn column;
    column.key = (reader.u8("column flags") & 1) != 0;
    column.name = std::string(reader.cstring("column name"));
    column.type_oid = reader.u32("column type OID");
    column.type_modifier = reader.i32("column type modifier");
    out.columns.push_back(std::move(column));
  }
  return out;
}

// Type
//   Byte1('Y')
//   Int32  type OID
//   String namespace ("" for pg_catalog)
//   String type name
Type read_type(Reader& reader) {
  Type out;
  out.oid = reader.u32("type OID");
  out.schema = namespace_name(reader.cstring("namespace"));
  out.name = std::string(reader.cstring("type name"));
  return out;
}

// Insert
//   Byte1('I')
//   Int32     relation OID
//   Byte1('N')
//   TupleData new row
Insert read_insert(Reader& reader) {
  Insert out;
  out.relation_oid = reader.u32("relation OID");
  if (read_tuple_tag(reader, "N", "'N'") != 0) read_tuple(reader, out.new_tuple);
  return out;
}

// Update
//   Byte1('U')
//   Int32     relation OID
//   optional: Byte1('K') TupleData old key (key changed; non-key columns 'n')
//          or Byte1('O') TupleData old row (REPLICA IDENTITY FULL)
//   Byte1('N')
//   TupleData new row ('u' for TOASTed columns the update did not touch)
Update read_update(Reader& reader) {
  Update out;
  out.relation_oid = reader.u32("relation OID");
  char tag = read_tuple_tag(reader, "KON", "'K', 'O' or 'N'");
  if (tag == 'K' || tag == 'O') {
    out.old_kind = tag;
    if (!read_tuple(reader, out.old_tuple)) return out;
    tag = read_tuple_tag(reader, "N", "'N'");
  }
  if (tag == 'N') read_tuple(reader, out.new_tuple);
  return out;
}

// Delete
//   Byte1('D')
//   Int32     relation OID
//   Byte1('K') TupleData old key (non-key columns 'n')
//   or Byte1('O') TupleData old row (REPLICA IDENTITY FULL)
Delete read_delete(Reader& reader) {
  Delete out;
  out.relation_oid = reader.u32("relation OID");
  out.old_kind = read_tuple_tag(reader, "KO", "'K' or 'O'");
  if (out.old_kind != 0) read_tuple(reader, out.old_tuple);
  return out;
}

// Truncate
//   Byte1('T')
//   Int32 number of relations
//   Int8  options: bit 0 CASCADE, bit 1 RESTART IDENTITY
//   Int32 relation OID, once per relation
Truncate read_truncate(Reader& reader) {
  Truncate out;
  const std::size_t count_at = reader.offset();
  const int32_t count = reader.i32("relation count");
  out.options = reader.u8("options");
  if (reader.failed()) return out;
  if (count < 0 || static_cast<std::size_t>(count) > reader.remaining() / 4) {
    reader.fail(count_at, "relation count " + std::to_string(count) + " does not fit in " +
                              std::to_string(reader.remaining()) + " bytes");
    return out;
  }
  out.relation_oids.reserve(static_cast<std::size_t>(count));
  for (int32_t i = 0; i < count; ++i) out.relation_oids.push_back(reader.u32("relation OID"));
  return out;
}

// Message
//   Byte1('M')
//   Int8    flags: 1 = transactional
//   Int64   LSN of the message
//   String  prefix
//   Int32   content length
//   Byte[n] content
LogicalMessage read_message(Reader& reader) {
  LogicalMessage out;
  out.transactional = (reader.u8("flags") & 1) != 0;
  out.lsn = reader.u64("LSN");
  out.prefix = std::string(reader.cstring("prefix"));
  const std::size_t length = read_length(reader, "content length");
  out.content = std::string(reader.bytes(length, "content"));
  return out;
}

/// Wraps a parsed message, or the reader's failure, after checking nothing is left over.
template <class T>
Result<Message> finish(Reader& reader, std::string_view name, T&& value) {
  if (!reader.expect_end()) return reader.error(kProtocol, name);
  return Message{std::forward<T>(value)};
}

}  // namespace

Result<Message> decode(std::string_view bytes) {
  Reader reader(bytes);
  const uint8_t tag = reader.u8("message tag");
  if (reader.failed()) return reader.error(kProtocol, "message");
  switch (tag) {
    case 'B':
      return finish(reader, "Begin", read_begin(reader));
    case 'C':
      return finish(reader, "Commit", read_commit(reader));
    case 'O':
      return finish(reader, "Origin", read_origin(reader));
    case 'R':
      return finish(reader, "Relation", read_relation(reader));
    case 'Y':
      return finish(reader, "Type", read_type(reader));
    case 'I':
      return finish(reader, "Insert", read_insert(reader));
    case 'U':
      return finish(reader, "Update", read_update(reader));
    case 'D':
      return finish(reader, "Delete", read_delete(reader));
    case 'T':
      return finish(reader, "Truncate", read_truncate(reader));
    case 'M':
      return finish(reader, "Message", read_message(reader));
    case 'S':
    case 'E':
    case 'c':
    case 'A':
      reader.fail(0, "streamed transaction message " + hex_byte(tag) +
                         " (start the slot without streaming)");
      return reader.error(kProtocol, "message");
    default:
      reader.fail(0, "unknown message tag " + hex_byte(tag));
      return reader.error(kProtocol, "message");
  }
}

}  // namespace tributary::source::postgres::pgoutput
