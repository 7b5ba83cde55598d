// Binlog event framing (header, checksum, FORMAT_DESCRIPTION) and the decoders of every event
// but TABLE_MAP (table_map.cpp) and the row images (row_image.cpp). Layouts follow MySQL's
// libbinlogevents (control_events.h, statement_events.h, rows_event.h) and MariaDB's
// "Replication Protocol" pages; all integers little-endian.
#include "source/mysql/binlog/events.hpp"

#include <algorithm>
#include <cstdio>

#include "source/mysql/binlog/byte_reader.hpp"

namespace tributary::source::mysql::binlog {
namespace {

constexpr std::size_t kChecksumSize = 4;
/// One event is at most max_allowed_packet (1 GiB) plus headers.
constexpr uint64_t kMaxEventSize = (1ULL << 30) + 4096;

std::array<uint32_t, 256> make_crc_table() {
  std::array<uint32_t, 256> table{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320U ^ (c >> 1) : c >> 1;
    table[i] = c;
  }
  return table;
}

/// "10.11.6-MariaDB-log" -> {10, 11, 6}; missing parts are 0.
std::array<int, 3> version_numbers(std::string_view version) {
  std::array<int, 3> out{0, 0, 0};
  std::size_t part = 0;
  for (char c : version) {
    if (c >= '0' && c <= '9') {
      if (out[part] < 100000) out[part] = out[part] * 10 + (c - '0');
    } else if (c == '.' && part < 2) {
      ++part;
    } else {
      break;
    }
  }
  return out;
}

std::string hex(const uint8_t* bytes, std::size_t count) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < count; ++i) {
    out.push_back(kDigits[bytes[i] >> 4]);
    out.push_back(kDigits[bytes[i] & 0xf]);
  }
  return out;
}

std::string uuid_text(const std::array<uint8_t, 16>& sid) {
  const std::string h = hex(sid.data(), sid.size());
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) +
         "-" + h.substr(20);
}

// FORMAT_DESCRIPTION_EVENT body:
//   u16 binlog_version (4), char[50] server_version (NUL padded), u32 create_timestamp,
//   u8 common header length (19), u8 post_header_length[one per event type, from type 1],
//   u8 checksum algorithm (servers that know checksums: MySQL >= 5.6.1, MariaDB >= 5.3),
//   then the 4-byte checksum field (present even when the algorithm is OFF)
Result<FormatDescription> decode_format_description(std::string_view body, std::size_t at) {
  constexpr std::string_view kEvent = "FORMAT_DESCRIPTION";
  ByteReader reader(body, at);
  FormatDescription out;
  out.binlog_version = reader.u16("binlog version");
  const std::string_view version = reader.bytes(50, "server version");
  out.server_version = std::string(version.substr(0, std::min(version.find('\0'), version.size())));
  out.create_timestamp = reader.u32("create timestamp");
  out.header_length = reader.u8("header length");
  if (reader.failed()) return reader.error(kEvent);
  if (out.binlog_version != 4) {
    return corrupt(kEvent, "binlog version " + std::to_string(out.binlog_version) + " (4 expected)",
                   at);
  }
  if (out.header_length != kHeaderSize) {
    return corrupt(kEvent, "common header length " + std::to_string(out.header_length), at + 56);
  }
  const auto numbers = version_numbers(out.server_version);
  const bool knows_checksums = out.mariadb() || numbers > std::array<int, 3>{5, 6, 0};
  std::size_t tail = knows_checksums ? 1 + kChecksumSize : 0;
  if (reader.remaining() < tail)
    return corrupt(kEvent, "post-header lengths truncated", reader.offset());
  const std::string_view lengths = reader.bytes(reader.remaining() - tail, "post-header lengths");
  out.post_header_lengths.assign(lengths.begin(), lengths.end());
  if (knows_checksums) {
    const std::size_t alg_at = reader.offset();
    const uint8_t alg = reader.u8("checksum algorithm");
    if (alg != 0 && alg != 1 && alg != 255) {
      return corrupt(kEvent, "checksum algorithm " + std::to_string(alg), alg_at);
    }
    out.checksum = static_cast<ChecksumAlg>(alg);
  } else {
    out.checksum = ChecksumAlg::kOff;
  }
  return out;
}

// QUERY_EVENT:
//   post-header (13 bytes, more if the FORMAT_DESCRIPTION says so): u32 thread_id,
//   u32 exec_time, u8 db_len, u16 error_code, u16 status_vars_len
//   body: status variables [status_vars_len] (skipped whole), db [db_len], 0x00, query (rest)
Result<Query> decode_query(ByteReader& reader, std::size_t post_header) {
  constexpr std::string_view kEvent = "QUERY";
  Query out;
  out.thread_id = reader.u32("thread id");
  out.exec_time = reader.u32("exec time");
  const uint8_t database_length = reader.u8("database name length");
  out.error_code = reader.u16("error code");
  const uint16_t status_length = reader.u16("status variables length");
  if (post_header > 13) reader.skip(post_header - 13, "post-header");
  reader.skip(status_length, "status variables");
  out.database = std::string(reader.bytes(database_length, "database name"));
  const std::size_t nul_at = reader.offset();
  if (reader.u8("database name terminator") != 0 && !reader.failed()) {
    return corrupt(kEvent, "database name not NUL-terminated", nul_at);
  }
  out.sql = std::string(reader.rest());
  if (reader.failed()) return reader.error(kEvent);
  return out;
}

// MariaDB GTID_EVENT:
//   u64 sequence, u32 domain, u8 flags; FL_GROUP_COMMIT_ID: u64 commit_id, else 6 unused
//   bytes; then XA ids (FL_PREPARED_XA / FL_COMPLETED_XA) and extra flags, not needed here
Result<MariadbGtid> decode_mariadb_gtid(ByteReader& reader, const EventHeader& header) {
  MariadbGtid out;
  out.sequence = reader.u64("sequence number");
  out.domain = reader.u32("domain id");
  out.flags = reader.u8("flags");
  out.server_id = header.server_id;
  if (out.flags & MariadbGtid::kGroupCommitId) out.commit_id = reader.u64("commit id");
  if (reader.failed()) return reader.error("MARIADB_GTID");
  return out;
}

// MariaDB GTID_LIST_EVENT:
//   u32 count (low 28 bits) | flags (high 4 bits), then count x { u32 domain, u32 server_id,
//   u64 sequence }
Result<MariadbGtidList> decode_mariadb_gtid_list(ByteReader& reader) {
  constexpr std::string_view kEvent = "MARIADB_GTID_LIST";
  MariadbGtidList out;
  const std::size_t at = reader.offset();
  const uint32_t count_and_flags = reader.u32("count");
  const uint32_t count = count_and_flags & 0x0fffffff;
  out.flags = static_cast<uint8_t>(count_and_flags >> 28);
  if (reader.failed()) return reader.error(kEvent);
  if (count > reader.remaining() / 16) {
    return corrupt(kEvent, "count " + std::to_string(count) + " exceeds the event", at);
  }
  out.entries.resize(count);
  for (auto& entry : out.entries) {
    entry.domain = reader.u32("domain id");
    entry.server_id = reader.u32("server id");
    entry.sequence = reader.u64("sequence number");
  }
  if (reader.failed()) return reader.error(kEvent);
  return out;
}

// MySQL GTID_LOG_EVENT / ANONYMOUS_GTID_LOG_EVENT:
//   u8 flags, u8 sid[16], i64 gno, then (5.7+) u8 logical timestamp type (2),
//   i64 last_committed, i64 sequence_number, then 8.0 commit timestamps, transaction length and
//   server versions (not needed here)
Result<MysqlGtid> decode_mysql_gtid(ByteReader& reader, bool anonymous) {
  MysqlGtid out;
  out.anonymous = anonymous;
  out.flags = reader.u8("flags");
  const std::string_view sid = reader.bytes(16, "source id");
  std::copy(sid.begin(), sid.end(), out.sid.begin());
  out.gno = static_cast<int64_t>(reader.u64("gno"));
  if (!reader.failed() && reader.remaining() >= 17) {
    if (reader.u8("logical timestamp type") == 2) {
      out.last_committed = static_cast<int64_t>(reader.u64("last committed"));
      out.sequence_number = static_cast<int64_t>(reader.u64("sequence number"));
    }
  }
  if (reader.failed()) return reader.error(anonymous ? "ANONYMOUS_GTID" : "GTID");
  return out;
}

// MySQL PREVIOUS_GTIDS_LOG_EVENT:
//   u64 n_sids, then per sid: u8 sid[16], u64 n_intervals, n_intervals x { i64 start,
//   i64 end (exclusive) }
Result<MysqlPreviousGtids> decode_previous_gtids(ByteReader& reader) {
  constexpr std::string_view kEvent = "PREVIOUS_GTIDS";
  MysqlPreviousGtids out;
  const std::size_t at = reader.offset();
  const uint64_t sids = reader.u64("sid count");
  if (reader.failed()) return reader.error(kEvent);
  if (sids > reader.remaining() / 24) return corrupt(kEvent, "sid count exceeds the event", at);
  for (uint64_t i = 0; i < sids; ++i) {
    std::array<uint8_t, 16> sid{};
    const std::string_view raw = reader.bytes(16, "sid");
    std::copy(raw.begin(), raw.end(), sid.begin());
    const std::size_t intervals_at = reader.offset();
    const uint64_t intervals = reader.u64("interval count");
    if (reader.failed()) return reader.error(kEvent);
    if (intervals > reader.remaining() / 16) {
      return corrupt(kEvent, "interval count exceeds the event", intervals_at);
    }
    if (!out.gtid_set.empty()) out.gtid_set += ",";
    out.gtid_set += uuid_text(sid);
    for (uint64_t k = 0; k < intervals; ++k) {
      const auto start = static_cast<int64_t>(reader.u64("interval start"));
      const auto end = static_cast<int64_t>(reader.u64("interval end"));
      out.gtid_set += ":" + std::to_string(start);
      if (end - 1 > start) out.gtid_set += "-" + std::to_string(end - 1);
    }
  }
  if (reader.failed()) return reader.error(kEvent);
  return out;
}

/// A columns bitmap of `count` bits, LSB first.
std::vector<bool> read_bitmap(ByteReader& reader, uint32_t count, const char* what) {
  const std::string_view raw = reader.bytes((static_cast<std::size_t>(count) + 7) / 8, what);
  std::vector<bool> out;
  if (reader.failed()) return out;
  out.resize(count);
  for (uint32_t i = 0; i < count; ++i) {
    out[i] = (static_cast<unsigned char>(raw[i / 8]) >> (i % 8)) & 1;
  }
  return out;
}

// WRITE/UPDATE/DELETE_ROWS v1 (23-25) and v2 (30-32):
//   post-header: table_id (6 bytes; 4 when the post-header length is 6), u16 flags,
//     v2 only: u16 extra_data_len (counting itself), extra data [extra_data_len - 2]
//   packed column_count, columns-present bitmap ((count + 7) / 8 bytes),
//   UPDATE only: columns-present bitmap of the after image
//   then the row images to the end (row_image.hpp)
Result<RowsEvent> decode_rows(ByteReader& reader, uint8_t type, std::size_t post_header) {
  RowsEvent out;
  out.version = type >= kWriteRowsV2 ? 2 : 1;
  switch (type) {
    case kWriteRowsV1:
    case kWriteRowsV2:
      out.kind = RowsEvent::Kind::kWrite;
      break;
    case kUpdateRowsV1:
    case kUpdateRowsV2:
      out.kind = RowsEvent::Kind::kUpdate;
      break;
    default:
      out.kind = RowsEvent::Kind::kDelete;
      break;
  }
  const std::string name = event_type_name(type);
  out.table_id = post_header == 6 ? reader.u32("table id") : reader.u48("table id");
  out.flags = reader.u16("flags");
  if (out.version == 2) {
    const std::size_t at = reader.offset();
    const uint16_t extra_length = reader.u16("extra data length");
    if (reader.failed()) return reader.error(name);
    if (extra_length < 2) {
      return corrupt(name, "extra data length " + std::to_string(extra_length), at);
    }
    out.extra_data = std::string(reader.bytes(extra_length - 2, "extra data"));
  } else if (post_header > 8) {
    reader.skip(post_header - 8, "post-header");
  }
  out.column_count = static_cast<uint32_t>(reader.packed_at_most(4096, "column count"));
  out.present = read_bitmap(reader, out.column_count, "columns-present bitmap");
  if (out.kind == RowsEvent::Kind::kUpdate) {
    out.present_after = read_bitmap(reader, out.column_count, "after-image columns bitmap");
  }
  out.rows_offset = reader.offset();
  out.rows = std::string(reader.rest());
  if (reader.failed()) return reader.error(name);
  return out;
}

}  // namespace

std::string event_type_name(uint8_t type) {
  switch (type) {
    case kStartV3:
      return "START_V3";
    case kQuery:
      return "QUERY";
    case kStop:
      return "STOP";
    case kRotate:
      return "ROTATE";
    case kIntvar:
      return "INTVAR";
    case kRand:
      return "RAND";
    case kUserVar:
      return "USER_VAR";
    case kFormatDescription:
      return "FORMAT_DESCRIPTION";
    case kXid:
      return "XID";
    case kTableMap:
      return "TABLE_MAP";
    case kWriteRowsV1:
      return "WRITE_ROWS_V1";
    case kUpdateRowsV1:
      return "UPDATE_ROWS_V1";
    case kDeleteRowsV1:
      return "DELETE_ROWS_V1";
    case kIncident:
      return "INCIDENT";
    case kHeartbeat:
      return "HEARTBEAT";
    case kRowsQuery:
      return "ROWS_QUERY";
    case kWriteRowsV2:
      return "WRITE_ROWS";
    case kUpdateRowsV2:
      return "UPDATE_ROWS";
    case kDeleteRowsV2:
      return "DELETE_ROWS";
    case kMysqlGtid:
      return "GTID";
    case kMysqlAnonymousGtid:
      return "ANONYMOUS_GTID";
    case kMysqlPreviousGtids:
      return "PREVIOUS_GTIDS";
    case kAnnotateRows:
      return "ANNOTATE_ROWS";
    case kBinlogCheckpoint:
      return "BINLOG_CHECKPOINT";
    case kMariadbGtid:
      return "MARIADB_GTID";
    case kMariadbGtidList:
      return "MARIADB_GTID_LIST";
    case kStartEncryption:
      return "START_ENCRYPTION";
    case kQueryCompressed:
      return "QUERY_COMPRESSED";
    case kWriteRowsCompressedV1:
      return "WRITE_ROWS_COMPRESSED_V1";
    case kUpdateRowsCompressedV1:
      return "UPDATE_ROWS_COMPRESSED_V1";
    case kDeleteRowsCompressedV1:
      return "DELETE_ROWS_COMPRESSED_V1";
    default:
      return "TYPE_" + std::to_string(type);
  }
}

std::string MariadbGtid::text() const {
  return std::to_string(domain) + "-" + std::to_string(server_id) + "-" + std::to_string(sequence);
}

std::string MariadbGtidList::text() const {
  std::string out;
  for (const auto& entry : entries) {
    if (!out.empty()) out += ",";
    out += std::to_string(entry.domain) + "-" + std::to_string(entry.server_id) + "-" +
           std::to_string(entry.sequence);
  }
  return out;
}

std::string MysqlGtid::text() const {
  if (anonymous) return "";
  return uuid_text(sid) + ":" + std::to_string(gno);
}

uint32_t crc32(std::string_view bytes, uint32_t crc) {
  static const std::array<uint32_t, 256> table = make_crc_table();
  crc = ~crc;
  for (unsigned char c : bytes) crc = table[(crc ^ c) & 0xff] ^ (crc >> 8);
  return ~crc;
}

Result<EventHeader> decode_header(std::string_view event) {
  ByteReader reader(event);
  EventHeader header;
  header.timestamp = reader.u32("timestamp");
  header.type = reader.u8("event type");
  header.server_id = reader.u32("server id");
  header.event_size = reader.u32("event size");
  header.log_pos = reader.u32("log position");
  header.flags = reader.u16("flags");
  if (reader.failed()) return reader.error("binlog");
  return header;
}

std::size_t EventDecoder::post_header_length(uint8_t type, std::size_t fallback) const {
  if (!format_ || type == 0 || type > format_->post_header_lengths.size()) return fallback;
  return format_->post_header_lengths[type - 1];
}

Result<Event> EventDecoder::decode(std::string_view bytes) {
  auto header = decode_header(bytes);
  if (!header.ok()) {
    return Error::corrupt("binlog event: header truncated (" + std::to_string(bytes.size()) +
                          " of 19 bytes) at offset " + std::to_string(bytes.size()));
  }
  const std::string name = event_type_name(header->type);
  if (header->event_size != bytes.size() || header->event_size > kMaxEventSize) {
    return corrupt(name,
                   "event size " + std::to_string(header->event_size) + " but " +
                       std::to_string(bytes.size()) + " bytes given",
                   9);
  }
  const bool is_format = header->type == kFormatDescription;
  std::string_view body = bytes.substr(kHeaderSize);

  // The checksum: CRC32 over header and body, in the last 4 bytes.
  bool has_checksum = checksum_ == ChecksumAlg::kCrc32;
  std::optional<FormatDescription> format;
  if (is_format) {
    auto decoded = decode_format_description(body, kHeaderSize);
    if (!decoded.ok()) return decoded.error();
    format = std::move(*decoded);
    // The FORMAT_DESCRIPTION's checksum field is there whenever its algorithm byte is; it is
    // only checked when the algorithm is CRC32 (with OFF it holds no checksum).
    has_checksum = format->checksum == ChecksumAlg::kCrc32;
  }
  if (has_checksum) {
    if (body.size() < kChecksumSize) return corrupt(name, "checksum truncated", bytes.size());
    const std::size_t at = bytes.size() - kChecksumSize;
    ByteReader tail(bytes.substr(at), at);
    const uint32_t stored = tail.u32("checksum");
    const uint32_t computed = crc32(bytes.substr(0, at));
    if (stored != computed) {
      char text[64];
      std::snprintf(text, sizeof text, "checksum mismatch (stored %08x, computed %08x)", stored,
                    computed);
      return corrupt(name, text, at);
    }
    body.remove_suffix(kChecksumSize);
  }

  Event event;
  event.header = *header;
  ByteReader reader(body, kHeaderSize);
  auto done = [&](auto result) -> Result<Event> {
    if (!result.ok()) return result.error();
    event.body = std::move(*result);
    return std::move(event);
  };
  switch (header->type) {
    case kFormatDescription:
      checksum_ = format->checksum == ChecksumAlg::kCrc32 ? ChecksumAlg::kCrc32 : ChecksumAlg::kOff;
      format_ = format;
      event.body = std::move(*format);
      return event;
    case kRotate: {
      Rotate rotate;
      rotate.position = reader.u64("position");
      rotate.file = std::string(reader.rest());
      if (reader.failed()) return reader.error(name);
      if (rotate.file.empty()) return corrupt(name, "empty file name", reader.offset());
      event.body = std::move(rotate);
      return event;
    }
    case kQuery:
      return done(decode_query(reader, post_header_length(kQuery, 13)));
    case kXid: {
      Xid xid;
      xid.xid = reader.u64("xid");
      if (reader.failed()) return reader.error(name);
      event.body = xid;
      return event;
    }
    case kMariadbGtid:
      return done(decode_mariadb_gtid(reader, *header));
    case kMariadbGtidList:
      return done(decode_mariadb_gtid_list(reader));
    case kMysqlGtid:
    case kMysqlAnonymousGtid:
      return done(decode_mysql_gtid(reader, header->type == kMysqlAnonymousGtid));
    case kMysqlPreviousGtids:
      return done(decode_previous_gtids(reader));
    case kTableMap:
      return done(decode_table_map(body, kHeaderSize, post_header_length(kTableMap, 8),
                                   format_ && format_->mariadb()));
    case kWriteRowsV1:
    case kUpdateRowsV1:
    case kDeleteRowsV1:
      return done(decode_rows(reader, header->type, post_header_length(header->type, 8)));
    case kWriteRowsV2:
    case kUpdateRowsV2:
    case kDeleteRowsV2:
      return done(decode_rows(reader, header->type, post_header_length(header->type, 10)));
    case kAnnotateRows:
      event.body = AnnotateRows{std::string(body)};
      return event;
    case kRowsQuery: {
      // u8 length (truncated to 255, ignored), then the whole statement to the end.
      reader.skip(1, "length");
      AnnotateRows rows_query{std::string(reader.rest())};
      if (reader.failed()) return reader.error(name);
      event.body = std::move(rows_query);
      return event;
    }
    case kHeartbeat:
      event.body = Heartbeat{std::string(body)};
      return event;
    case kStop:
      event.body = Stop{};
      return event;
    default:
      event.body = Skipped{};
      return event;
  }
}

}  // namespace tributary::source::mysql::binlog
