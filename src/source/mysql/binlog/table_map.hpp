// TABLE_MAP_EVENT: a table's id, name and column types (plus FULL optional metadata); no I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"

namespace tributary::source::mysql::binlog {

/// Column type codes (enum_field_types) as TABLE_MAP writes them.
enum ColumnTypeCode : uint8_t {
  kTypeDecimal = 0,  ///< pre-5.0 DECIMAL, not written by any supported server
  kTypeTiny = 1,
  kTypeShort = 2,
  kTypeLong = 3,
  kTypeFloat = 4,
  kTypeDouble = 5,
  kTypeNull = 6,
  kTypeTimestamp = 7,
  kTypeLongLong = 8,
  kTypeInt24 = 9,
  kTypeDate = 10,
  kTypeTime = 11,
  kTypeDatetime = 12,
  kTypeYear = 13,
  kTypeNewDate = 14,
  kTypeVarchar = 15,
  kTypeBit = 16,
  kTypeTimestamp2 = 17,
  kTypeDatetime2 = 18,
  kTypeTime2 = 19,
  kTypeJson = 245,
  kTypeNewDecimal = 246,
  kTypeEnum = 247,
  kTypeSet = 248,
  kTypeTinyBlob = 249,
  kTypeMediumBlob = 250,
  kTypeLongBlob = 251,
  kTypeBlob = 252,
  kTypeVarString = 253,
  kTypeString = 254,
  kTypeGeometry = 255,
};

/// "VARCHAR", "NEWDECIMAL", ...; "TYPE_<n>" for others.
std::string column_type_name(uint8_t type);

/// One column as TABLE_MAP describes it. `type` is the real type: for MYSQL_TYPE_STRING whose
/// metadata names ENUM or SET it is kTypeEnum / kTypeSet (`wire_type` keeps kTypeString).
struct ColumnInfo {
  uint8_t wire_type = 0;
  uint8_t type = 0;
  uint16_t metadata = 0;  ///< the raw per-type metadata (0-2 bytes, little-endian as read)
  bool nullable = true;   ///< from the null bitmap
  // Derived from `metadata` per type:
  uint32_t max_length = 0;  ///< STRING/VARCHAR/VAR_STRING: max bytes; BIT: bits
  uint8_t pack_length = 0;  ///< BLOB/JSON/GEOMETRY length bytes; FLOAT/DOUBLE size; ENUM/SET bytes
  uint8_t precision = 0;    ///< NEWDECIMAL
  uint8_t scale = 0;        ///< NEWDECIMAL
  uint8_t fsp = 0;          ///< TIME2/DATETIME2/TIMESTAMP2 fractional digits
  // From the optional metadata (binlog_row_metadata=FULL); defaults when absent:
  bool is_unsigned = false;
  int32_t collation = -1;  ///< character and ENUM/SET columns; -1 unknown
  std::string name;
  std::vector<std::string> labels;  ///< ENUM/SET members in order
  std::optional<uint32_t> geometry_type;

  /// Has an entry in DEFAULT_CHARSET / COLUMN_CHARSET: STRING/VARCHAR/VAR_STRING/BLOB, not
  /// ENUM/SET/JSON; GEOMETRY only on MariaDB (its Field_geom is a blob with a charset).
  bool is_character(bool mariadb) const;
  /// Has a bit in SIGNEDNESS: the integer, float and decimal types; YEAR too on MariaDB (its
  /// Field_year is a Field_tiny). Measured on MariaDB 10.11 (tests/data/mysql).
  bool is_numeric(bool mariadb) const;
};

struct TableMap {
  uint64_t table_id = 0;
  uint16_t flags = 0;
  std::string database;
  std::string table;
  std::vector<ColumnInfo> columns;
  /// Primary key column indexes in key order, with their prefix length (0: whole column).
  std::vector<uint32_t> primary_key;
  std::vector<uint32_t> primary_key_prefix;
  bool has_signedness = false;
  bool has_column_names = false;
  bool has_charsets = false;
  bool has_primary_key = false;  ///< a SIMPLE_PRIMARY_KEY / PRIMARY_KEY_WITH_PREFIX field was sent
  bool mariadb = false;          ///< written by MariaDB (the optional metadata differs a little)
};

// TABLE_MAP_EVENT body (after the common header; the caller strips the checksum):
//   post-header: table_id (6 bytes; 4 when the post-header length is 6), u16 flags
//   u8 db_len, db, 0x00, u8 table_len, table, 0x00
//   packed column_count, u8 type[column_count]
//   packed metadata_len, metadata (per column: 0, 1 or 2 bytes, see decode_column_metadata)
//   null bitmap ((column_count + 7) / 8 bytes, bit i = column i nullable, LSB first)
//   optional metadata to the end: { u8 field type, packed length, value[length] }*
/// `body_offset` is the event offset of body[0] (for error offsets); `mariadb`: the
/// FORMAT_DESCRIPTION's server is MariaDB.
Result<TableMap> decode_table_map(std::string_view body, std::size_t body_offset,
                                  std::size_t post_header_length, bool mariadb);

}  // namespace tributary::source::mysql::binlog
