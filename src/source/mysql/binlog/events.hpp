// Binlog events (MySQL 5.6+/8.x and MariaDB 10.x, binlog version 4) decoded from their bytes.
//
// Input: one event exactly as it sits in a binlog file after the 4-byte magic (and as the
// replication protocol sends it after its 0x00 OK byte): the 19-byte common header, the body,
// and a 4-byte CRC32 when checksums are on. No I/O; every read is bounds-checked and a bad event
// gives a kCorrupt Error "binlog <TYPE> event: <what> at offset N" (N inside the event). The
// caller adds the binlog file and position (at_position in byte_reader.hpp).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "base/result.hpp"
#include "source/mysql/binlog/table_map.hpp"

namespace tributary::source::mysql::binlog {

/// Event type codes (the header's type byte) this decoder reads or names.
enum EventType : uint8_t {
  kUnknownEvent = 0,
  kStartV3 = 1,
  kQuery = 2,
  kStop = 3,
  kRotate = 4,
  kIntvar = 5,
  kRand = 13,
  kUserVar = 14,
  kFormatDescription = 15,
  kXid = 16,
  kTableMap = 19,
  kWriteRowsV1 = 23,
  kUpdateRowsV1 = 24,
  kDeleteRowsV1 = 25,
  kIncident = 26,
  kHeartbeat = 27,
  kRowsQuery = 29,
  kWriteRowsV2 = 30,
  kUpdateRowsV2 = 31,
  kDeleteRowsV2 = 32,
  kMysqlGtid = 33,
  kMysqlAnonymousGtid = 34,
  kMysqlPreviousGtids = 35,
  kAnnotateRows = 160,
  kBinlogCheckpoint = 161,
  kMariadbGtid = 162,
  kMariadbGtidList = 163,
  kStartEncryption = 164,
  kQueryCompressed = 165,
  kWriteRowsCompressedV1 = 169,
  kUpdateRowsCompressedV1 = 170,
  kDeleteRowsCompressedV1 = 171,
};

/// The type's name as MySQL's sources spell it ("TABLE_MAP", "WRITE_ROWS_V1"); "TYPE_<n>" else.
std::string event_type_name(uint8_t type);

enum class ChecksumAlg : uint8_t {
  kOff = 0,
  kCrc32 = 1,
  kUndefined = 255,  ///< not announced yet (before the first FORMAT_DESCRIPTION): none
};

// Common header (19 bytes, little-endian):
//   u32 timestamp (s since epoch), u8 type, u32 server_id, u32 event_size (header + body +
//   checksum), u32 log_pos (position of the NEXT event; 0 for artificial events), u16 flags
constexpr std::size_t kHeaderSize = 19;
struct EventHeader {
  uint32_t timestamp = 0;
  uint8_t type = 0;
  uint32_t server_id = 0;
  uint32_t event_size = 0;
  uint32_t log_pos = 0;
  uint16_t flags = 0;
  static constexpr uint16_t kArtificial = 0x20;  ///< LOG_EVENT_ARTIFICIAL_F (fake ROTATE)
};

struct FormatDescription {
  uint16_t binlog_version = 0;
  std::string server_version;  ///< "10.11.6-MariaDB-log", "8.0.36"
  uint32_t create_timestamp = 0;
  uint8_t header_length = 0;
  /// Post-header length of event type t at index t - 1.
  std::vector<uint8_t> post_header_lengths;
  ChecksumAlg checksum = ChecksumAlg::kUndefined;
  bool mariadb() const { return server_version.find("MariaDB") != std::string::npos; }
};

struct Rotate {
  uint64_t position = 0;  ///< where the next file's events start (4)
  std::string file;
};

/// BEGIN, COMMIT, ROLLBACK, DDL, or a statement-format change.
struct Query {
  uint32_t thread_id = 0;
  uint32_t exec_time = 0;
  uint16_t error_code = 0;
  std::string database;  ///< the default database the statement ran in ("" none)
  std::string sql;
};

/// Commit of a transaction on a transactional engine.
struct Xid {
  uint64_t xid = 0;
};

/// MariaDB GTID_EVENT: starts an event group (transaction or standalone DDL).
struct MariadbGtid {
  uint64_t sequence = 0;
  uint32_t domain = 0;
  uint32_t server_id = 0;  ///< from the event header
  uint8_t flags = 0;
  std::optional<uint64_t> commit_id;         ///< group commit id (FL_GROUP_COMMIT_ID)
  static constexpr uint8_t kStandalone = 1;  ///< FL_STANDALONE: no BEGIN/COMMIT (DDL)
  static constexpr uint8_t kGroupCommitId = 2;
  static constexpr uint8_t kTransactional = 4;
  static constexpr uint8_t kAllowParallel = 8;
  static constexpr uint8_t kWaited = 16;
  static constexpr uint8_t kDdl = 32;
  static constexpr uint8_t kPreparedXa = 64;
  static constexpr uint8_t kCompletedXa = 128;
  bool standalone() const { return (flags & kStandalone) != 0; }
  /// "domain-server-sequence", as @@gtid_current_pos writes it.
  std::string text() const;
};

struct MariadbGtidListEntry {
  uint32_t domain = 0;
  uint32_t server_id = 0;
  uint64_t sequence = 0;
};
/// MariaDB GTID_LIST_EVENT: the binlog state at the start of a file.
struct MariadbGtidList {
  uint8_t flags = 0;  ///< the count's top 4 bits
  std::vector<MariadbGtidListEntry> entries;
  /// "0-1-10,1-2-5", as @@gtid_binlog_pos writes it.
  std::string text() const;
};

/// MySQL GTID_LOG_EVENT / ANONYMOUS_GTID_LOG_EVENT.
struct MysqlGtid {
  bool anonymous = false;
  uint8_t flags = 0;  ///< bit 0: may commit in parallel
  std::array<uint8_t, 16> sid{};
  int64_t gno = 0;
  std::optional<int64_t> last_committed;
  std::optional<int64_t> sequence_number;
  /// "3e11fa47-71ca-11e1-9e33-c80aa9429562:23"; "" when anonymous.
  std::string text() const;
};

/// MySQL PREVIOUS_GTIDS_LOG_EVENT: the GTID set executed before this file.
struct MysqlPreviousGtids {
  std::string gtid_set;  ///< "uuid:1-5:7-9,uuid2:1-3" (intervals inclusive)
};

/// The rows of one WRITE/UPDATE/DELETE_ROWS event, not decoded yet (row_image.hpp decodes them
/// against the TABLE_MAP of `table_id`).
struct RowsEvent {
  enum class Kind : uint8_t { kWrite, kUpdate, kDelete };
  Kind kind = Kind::kWrite;
  int version = 1;  ///< 1 (types 23-25) or 2 (30-32)
  uint64_t table_id = 0;
  uint16_t flags = 0;
  static constexpr uint16_t kStatementEnd = 1;  ///< STMT_END_F: last rows event of a statement
  std::string extra_data;                       ///< v2 extra row info (NDB, partition info), raw
  uint32_t column_count = 0;
  std::vector<bool> present;        ///< columns in the (before) image
  std::vector<bool> present_after;  ///< update only: columns in the after image
  std::string rows;                 ///< the row images, raw
  std::size_t rows_offset = 0;      ///< event offset of rows[0], for error offsets
};

/// MariaDB ANNOTATE_ROWS (binlog_annotate_row_events) / MySQL ROWS_QUERY: the statement text.
struct AnnotateRows {
  std::string sql;
};

/// Sent by the server when idle; never written to a file. `log_pos` of the header is the
/// position in `file` the server reached.
struct Heartbeat {
  std::string file;
};

struct Stop {};

/// Any other type: read past (the header names it), nothing decoded.
struct Skipped {};

using EventBody =
    std::variant<Skipped, FormatDescription, Rotate, Query, Xid, MariadbGtid, MariadbGtidList,
                 MysqlGtid, MysqlPreviousGtids, TableMap, RowsEvent, AnnotateRows, Heartbeat, Stop>;

struct Event {
  EventHeader header;
  EventBody body;
};

/// Decodes one event at a time, keeping what later events depend on: the checksum algorithm and
/// the post-header lengths announced by the last FORMAT_DESCRIPTION.
///
/// Checksums: until a FORMAT_DESCRIPTION is seen, events carry a CRC32 iff `initial` says so
/// (a binlog file starts with the FORMAT_DESCRIPTION; a replication stream that announced
/// @master_binlog_checksum gets checksummed fake ROTATE first). The FORMAT_DESCRIPTION itself
/// always carries its algorithm byte and checksum field (MySQL's rule) and sets the algorithm
/// for the events after it. A CRC32 mismatch is kCorrupt.
class EventDecoder {
 public:
  explicit EventDecoder(ChecksumAlg initial = ChecksumAlg::kUndefined) : checksum_(initial) {}

  Result<Event> decode(std::string_view event);

  ChecksumAlg checksum() const { return checksum_; }
  void set_checksum(ChecksumAlg alg) { checksum_ = alg; }
  /// The last FORMAT_DESCRIPTION, if any.
  const std::optional<FormatDescription>& format() const { return format_; }

 private:
  /// Post-header length of `type` from the FORMAT_DESCRIPTION, else `fallback`.
  std::size_t post_header_length(uint8_t type, std::size_t fallback) const;

  ChecksumAlg checksum_;
  std::optional<FormatDescription> format_;
};

/// Reads the common header (the first 19 bytes), no checks beyond the length.
Result<EventHeader> decode_header(std::string_view event);

/// CRC-32 (ISO-HDLC, zlib's), as binlog checksums use.
uint32_t crc32(std::string_view bytes, uint32_t crc = 0);

}  // namespace tributary::source::mysql::binlog
