// TABLE_MAP_EVENT decoder. Layouts: MySQL's libbinlogevents (rows_event.h, Table_map_event and
// its Optional_metadata_fields) and MariaDB's "TABLE_MAP_EVENT" protocol page.
#include "source/mysql/binlog/table_map.hpp"

#include <algorithm>

#include "source/mysql/binlog/byte_reader.hpp"

namespace tributary::source::mysql::binlog {
namespace {

constexpr std::string_view kEvent = "TABLE_MAP";
/// MySQL and MariaDB cap a table at 4096 columns; more is a forged count.
constexpr uint64_t kMaxColumns = 4096;

/// Optional metadata field types (Table_map_event::Optional_metadata_field_type).
enum OptionalField : uint8_t {
  kSignedness = 1,
  kDefaultCharset = 2,
  kColumnCharset = 3,
  kColumnName = 4,
  kSetStrValue = 5,
  kEnumStrValue = 6,
  kGeometryType = 7,
  kSimplePrimaryKey = 8,
  kPrimaryKeyWithPrefix = 9,
  kEnumAndSetDefaultCharset = 10,
  kEnumAndSetColumnCharset = 11,
  kColumnVisibility = 12,
};

// Per-column metadata, in column order, only for the types that have some:
//   FLOAT, DOUBLE                  u8  size in bytes (4 / 8)
//   BLOB, GEOMETRY, JSON           u8  pack length: bytes of the value's length prefix (1-4)
//   VARCHAR, VAR_STRING            u16 max length in bytes (little-endian)
//   BIT                            u8  bits % 8, u8 bits / 8
//   NEWDECIMAL                     u8  precision, u8 scale
//   STRING (CHAR, ENUM, SET)       u8  real type, u8 length, read big-endian: for ENUM/SET the
//                                  second byte is the pack length (1-2 / 1-8); for CHAR the max
//                                  length is ((real ^ 0x30) & 0x30) << 4 | second byte, and the
//                                  real type is real | 0x30 (MySQL bug #37426 packs 10 bits)
//   TIMESTAMP2, DATETIME2, TIME2   u8  fractional second digits (0-6)
//   everything else                none
void read_column_metadata(ByteReader& reader, ColumnInfo& column) {
  switch (column.wire_type) {
    case kTypeFloat:
    case kTypeDouble:
    case kTypeBlob:
    case kTypeTinyBlob:
    case kTypeMediumBlob:
    case kTypeLongBlob:
    case kTypeGeometry:
    case kTypeJson:
      column.metadata = reader.u8("pack length");
      column.pack_length = static_cast<uint8_t>(column.metadata);
      break;
    case kTypeVarchar:
    case kTypeVarString:
      column.metadata = reader.u16("max length");
      column.max_length = column.metadata;
      break;
    case kTypeBit: {
      const uint8_t bits = reader.u8("bit length");
      const uint8_t bytes = reader.u8("bit bytes");
      column.metadata = static_cast<uint16_t>(bits | (bytes << 8));
      column.max_length = static_cast<uint32_t>(bytes) * 8 + bits;
      break;
    }
    case kTypeNewDecimal:
      column.precision = reader.u8("decimal precision");
      column.scale = reader.u8("decimal scale");
      column.metadata = static_cast<uint16_t>(column.precision | (column.scale << 8));
      break;
    case kTypeString:
    case kTypeEnum:
    case kTypeSet: {
      const uint8_t first = reader.u8("string real type");
      const uint8_t second = reader.u8("string length");
      column.metadata = static_cast<uint16_t>((first << 8) | second);
      const uint8_t real = first | 0x30;
      if (real == kTypeEnum || real == kTypeSet) {
        column.type = real;
        column.pack_length = second;
      } else {
        column.type = kTypeString;
        column.max_length = (static_cast<uint32_t>((first & 0x30) ^ 0x30) << 4) | second;
      }
      break;
    }
    case kTypeTimestamp2:
    case kTypeDatetime2:
    case kTypeTime2:
      column.metadata = reader.u8("fractional seconds precision");
      column.fsp = static_cast<uint8_t>(column.metadata);
      break;
    default:
      break;
  }
}

/// Checks the derived metadata, so the row decoder can trust it.
bool check_column(ByteReader& reader, std::size_t at, const ColumnInfo& column, std::size_t index) {
  auto bad = [&](const std::string& what) {
    reader.fail(at, "column " + std::to_string(index) + " (" + column_type_name(column.wire_type) +
                        "): " + what);
    return false;
  };
  switch (column.type) {
    case kTypeFloat:
    case kTypeDouble:
      if (column.pack_length != (column.type == kTypeFloat ? 4 : 8))
        return bad("size " + std::to_string(column.pack_length));
      break;
    case kTypeBlob:
    case kTypeTinyBlob:
    case kTypeMediumBlob:
    case kTypeLongBlob:
    case kTypeGeometry:
    case kTypeJson:
      if (column.pack_length < 1 || column.pack_length > 4)
        return bad("pack length " + std::to_string(column.pack_length));
      break;
    case kTypeEnum:
      if (column.pack_length < 1 || column.pack_length > 2)
        return bad("enum pack length " + std::to_string(column.pack_length));
      break;
    case kTypeSet:
      if (column.pack_length < 1 || column.pack_length > 8)
        return bad("set pack length " + std::to_string(column.pack_length));
      break;
    case kTypeBit:
      if (column.max_length < 1 || column.max_length > 64 || (column.metadata & 0xff) > 7)
        return bad("bit length " + std::to_string(column.max_length));
      break;
    case kTypeNewDecimal:
      if (column.precision < 1 || column.precision > 65 || column.scale > 30 ||
          column.scale > column.precision)
        return bad("decimal(" + std::to_string(column.precision) + "," +
                   std::to_string(column.scale) + ")");
      break;
    case kTypeTimestamp2:
    case kTypeDatetime2:
    case kTypeTime2:
      if (column.fsp > 6) return bad("fractional seconds precision " + std::to_string(column.fsp));
      break;
    default:
      break;
  }
  return true;
}

/// A bitmap MSB first, one bit per selected column (SIGNEDNESS, COLUMN_VISIBILITY).
template <class Select, class Apply>
void read_msb_bitmap(ByteReader& field, std::vector<ColumnInfo>& columns, Select select,
                     Apply apply) {
  std::size_t bit = 0;
  uint8_t byte = 0;
  for (ColumnInfo& column : columns) {
    if (!select(column)) continue;
    if (bit % 8 == 0) byte = field.u8("bitmap");
    if (field.failed()) return;
    apply(column, (byte & (0x80 >> (bit % 8))) != 0);
    ++bit;
  }
}

/// DEFAULT_CHARSET: packed default collation, then { packed index, packed collation }* for the
/// selected columns that differ (index counts selected columns only).
/// COLUMN_CHARSET: one packed collation per selected column.
template <class Select>
void read_charsets(ByteReader& field, std::vector<ColumnInfo>& columns, bool per_column,
                   Select select) {
  std::vector<ColumnInfo*> selected;
  for (ColumnInfo& column : columns) {
    if (select(column)) selected.push_back(&column);
  }
  if (per_column) {
    for (ColumnInfo* column : selected) {
      column->collation = static_cast<int32_t>(field.packed_at_most(0xffff, "collation"));
    }
    return;
  }
  const auto fallback = static_cast<int32_t>(field.packed_at_most(0xffff, "default collation"));
  for (ColumnInfo* column : selected) column->collation = fallback;
  while (!field.failed() && !field.at_end()) {
    const std::size_t at = field.offset();
    const uint64_t index = field.packed("charset column index");
    const auto collation = static_cast<int32_t>(field.packed_at_most(0xffff, "collation"));
    if (field.failed()) return;
    if (index >= selected.size()) {
      field.fail(at, "charset column index " + std::to_string(index) + " of " +
                         std::to_string(selected.size()) + " columns");
      return;
    }
    selected[index]->collation = collation;
  }
}

std::string read_string(ByteReader& field, const char* what) {
  const uint64_t length = field.packed_at_most(field.remaining(), what);
  return std::string(field.bytes(length, what));
}

/// ENUM_STR_VALUE / SET_STR_VALUE: per selected column, packed count, then count strings.
void read_labels(ByteReader& field, std::vector<ColumnInfo>& columns, uint8_t type) {
  for (ColumnInfo& column : columns) {
    if (column.type != type) continue;
    // Each label takes at least one byte (its length).
    const uint64_t count = field.packed_at_most(field.remaining(), "label count");
    for (uint64_t i = 0; i < count && !field.failed(); ++i) {
      column.labels.push_back(read_string(field, "label"));
    }
    if (field.failed()) return;
  }
}

void read_optional_field(ByteReader& field, uint8_t field_type, TableMap& map) {
  auto& columns = map.columns;
  const bool mariadb = map.mariadb;
  auto character = [mariadb](const ColumnInfo& c) { return c.is_character(mariadb); };
  auto enum_or_set = [](const ColumnInfo& c) { return c.type == kTypeEnum || c.type == kTypeSet; };
  switch (field_type) {
    case kSignedness:
      map.has_signedness = true;
      read_msb_bitmap(
          field, columns, [mariadb](const ColumnInfo& c) { return c.is_numeric(mariadb); },
          [](ColumnInfo& c, bool set) { c.is_unsigned = set; });
      break;
    case kDefaultCharset:
    case kColumnCharset:
      map.has_charsets = true;
      read_charsets(field, columns, field_type == kColumnCharset, character);
      break;
    case kEnumAndSetDefaultCharset:
    case kEnumAndSetColumnCharset:
      read_charsets(field, columns, field_type == kEnumAndSetColumnCharset, enum_or_set);
      break;
    case kColumnName:
      map.has_column_names = true;
      for (ColumnInfo& column : columns) {
        column.name = read_string(field, "column name");
        if (field.failed()) return;
      }
      break;
    case kEnumStrValue:
      read_labels(field, columns, kTypeEnum);
      break;
    case kSetStrValue:
      read_labels(field, columns, kTypeSet);
      break;
    case kGeometryType:
      for (ColumnInfo& column : columns) {
        if (column.type != kTypeGeometry) continue;
        column.geometry_type = static_cast<uint32_t>(field.packed_at_most(0xffff, "geometry type"));
      }
      break;
    case kSimplePrimaryKey:
    case kPrimaryKeyWithPrefix:
      map.has_primary_key = true;
      while (!field.failed() && !field.at_end()) {
        const std::size_t at = field.offset();
        const uint64_t index = field.packed("primary key column");
        const uint64_t prefix =
            field_type == kPrimaryKeyWithPrefix ? field.packed("primary key prefix") : 0;
        if (field.failed()) return;
        if (index >= columns.size() || std::find(map.primary_key.begin(), map.primary_key.end(),
                                                 index) != map.primary_key.end()) {
          field.fail(at, "primary key column " + std::to_string(index) + " of " +
                             std::to_string(columns.size()));
          return;
        }
        map.primary_key.push_back(static_cast<uint32_t>(index));
        map.primary_key_prefix.push_back(
            static_cast<uint32_t>(std::min<uint64_t>(prefix, 0xffffffff)));
      }
      break;
    default:  // COLUMN_VISIBILITY and later additions: not needed, skipped by length
      break;
  }
}

}  // namespace

bool ColumnInfo::is_character(bool mariadb) const {
  switch (type) {
    case kTypeGeometry:
      return mariadb;
    case kTypeString:
    case kTypeVarchar:
    case kTypeVarString:
    case kTypeBlob:
    case kTypeTinyBlob:
    case kTypeMediumBlob:
    case kTypeLongBlob:
      return true;
    default:
      return false;
  }
}

bool ColumnInfo::is_numeric(bool mariadb) const {
  switch (type) {
    case kTypeYear:
      return mariadb;
    case kTypeTiny:
    case kTypeShort:
    case kTypeInt24:
    case kTypeLong:
    case kTypeLongLong:
    case kTypeFloat:
    case kTypeDouble:
    case kTypeNewDecimal:
    case kTypeDecimal:
      return true;
    default:
      return false;
  }
}

std::string column_type_name(uint8_t type) {
  switch (type) {
    case kTypeDecimal:
      return "DECIMAL";
    case kTypeTiny:
      return "TINY";
    case kTypeShort:
      return "SHORT";
    case kTypeLong:
      return "LONG";
    case kTypeFloat:
      return "FLOAT";
    case kTypeDouble:
      return "DOUBLE";
    case kTypeNull:
      return "NULL";
    case kTypeTimestamp:
      return "TIMESTAMP";
    case kTypeLongLong:
      return "LONGLONG";
    case kTypeInt24:
      return "INT24";
    case kTypeDate:
      return "DATE";
    case kTypeTime:
      return "TIME";
    case kTypeDatetime:
      return "DATETIME";
    case kTypeYear:
      return "YEAR";
    case kTypeNewDate:
      return "NEWDATE";
    case kTypeVarchar:
      return "VARCHAR";
    case kTypeBit:
      return "BIT";
    case kTypeTimestamp2:
      return "TIMESTAMP2";
    case kTypeDatetime2:
      return "DATETIME2";
    case kTypeTime2:
      return "TIME2";
    case kTypeJson:
      return "JSON";
    case kTypeNewDecimal:
      return "NEWDECIMAL";
    case kTypeEnum:
      return "ENUM";
    case kTypeSet:
      return "SET";
    case kTypeTinyBlob:
      return "TINY_BLOB";
    case kTypeMediumBlob:
      return "MEDIUM_BLOB";
    case kTypeLongBlob:
      return "LONG_BLOB";
    case kTypeBlob:
      return "BLOB";
    case kTypeVarString:
      return "VAR_STRING";
    case kTypeString:
      return "STRING";
    case kTypeGeometry:
      return "GEOMETRY";
    default:
      return "TYPE_" + std::to_string(type);
  }
}

Result<TableMap> decode_table_map(std::string_view body, std::size_t body_offset,
                                  std::size_t post_header_length, bool mariadb) {
  ByteReader reader(body, body_offset);
  TableMap map;
  map.mariadb = mariadb;
  map.table_id = post_header_length == 6 ? reader.u32("table id") : reader.u48("table id");
  map.flags = reader.u16("flags");
  if (post_header_length > 8) reader.skip(post_header_length - 8, "post-header");
  const uint8_t database_length = reader.u8("database name length");
  map.database = std::string(reader.bytes(database_length, "database name"));
  reader.skip(1, "database name terminator");
  const uint8_t table_length = reader.u8("table name length");
  map.table = std::string(reader.bytes(table_length, "table name"));
  reader.skip(1, "table name terminator");
  const uint64_t count =
      reader.packed_at_most(std::min<uint64_t>(kMaxColumns, reader.remaining()), "column count");
  if (reader.failed()) return reader.error(kEvent);
  if (count == 0) return corrupt(kEvent, "column count 0", reader.offset());
  const std::string_view types = reader.bytes(count, "column types");
  map.columns.resize(count);
  for (std::size_t i = 0; i < types.size(); ++i) {
    map.columns[i].wire_type = static_cast<uint8_t>(types[i]);
    map.columns[i].type = map.columns[i].wire_type;
  }

  const uint64_t metadata_length = reader.packed_at_most(reader.remaining(), "metadata length");
  const std::size_t metadata_at = reader.offset();
  ByteReader metadata(reader.bytes(metadata_length, "metadata"), metadata_at);
  if (reader.failed()) return reader.error(kEvent);
  for (std::size_t i = 0; i < map.columns.size(); ++i) {
    const std::size_t at = metadata.offset();
    read_column_metadata(metadata, map.columns[i]);
    if (metadata.failed()) return metadata.error(kEvent);
    if (!check_column(metadata, at, map.columns[i], i)) return metadata.error(kEvent);
  }
  if (!metadata.at_end()) {
    return corrupt(kEvent, std::to_string(metadata.remaining()) + " metadata bytes left over",
                   metadata.offset());
  }

  const std::string_view nulls = reader.bytes((count + 7) / 8, "null bitmap");
  if (reader.failed()) return reader.error(kEvent);
  for (std::size_t i = 0; i < map.columns.size(); ++i) {
    map.columns[i].nullable = (static_cast<unsigned char>(nulls[i / 8]) >> (i % 8)) & 1;
  }

  while (!reader.at_end()) {
    const uint8_t field_type = reader.u8("optional metadata type");
    const uint64_t length = reader.packed_at_most(reader.remaining(), "optional metadata length");
    const std::size_t at = reader.offset();
    ByteReader field(reader.bytes(length, "optional metadata"), at);
    if (reader.failed()) return reader.error(kEvent);
    read_optional_field(field, field_type, map);
    if (field.failed()) return field.error(kEvent);
  }
  return map;
}

}  // namespace tributary::source::mysql::binlog
