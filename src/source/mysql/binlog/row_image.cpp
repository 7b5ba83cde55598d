// Row image decoder: every column type's binary form in a row image -> a typed event::Value.
// Layouts from MySQL's sql/field.cc (Field_*::pack), sql-common/my_time.cc (TIME2, DATETIME2,
// TIMESTAMP2) and strings/decimal.cc (decimal2bin); MariaDB writes the same forms.
#include "source/mysql/binlog/row_image.hpp"

#include <cstring>

#include "source/mysql/binlog/byte_reader.hpp"
#include "source/mysql/binlog/charset.hpp"
#include "source/mysql/binlog/json_binary.hpp"
#include "source/mysql/binlog/value_formats.hpp"

namespace tributary::source::mysql::binlog {
namespace {

using event::Value;

std::string rows_event_name(const RowsEvent& rows) {
  static constexpr const char* kNames[] = {"WRITE_ROWS", "UPDATE_ROWS", "DELETE_ROWS"};
  return std::string(kNames[static_cast<int>(rows.kind)]) + (rows.version == 1 ? "_V1" : "");
}

/// The decoding of one row image; `failure` set on the first bad value.
class ImageReader {
 public:
  ImageReader(ByteReader& reader, const TableMap& map) : reader_(reader), map_(map) {}

  // Row image: null bitmap over the present columns ((present + 7) / 8 bytes, bit k = k-th
  // present column, LSB first), then the value of each present, non-null column in order.
  bool read(const std::vector<bool>& present, event::Row& row) {
    std::size_t present_count = 0;
    for (bool p : present) present_count += p ? 1 : 0;
    const std::string_view nulls = reader_.bytes((present_count + 7) / 8, "null bitmap");
    if (reader_.failed()) return false;
    row.assign(map_.columns.size(), Value(event::Unchanged{}));
    std::size_t k = 0;
    for (std::size_t i = 0; i < map_.columns.size(); ++i) {
      if (!present[i]) continue;
      const bool is_null = (static_cast<unsigned char>(nulls[k / 8]) >> (k % 8)) & 1;
      ++k;
      if (is_null) {
        row[i] = event::Null{};
        continue;
      }
      row[i] = value(map_.columns[i]);
      if (reader_.failed() || !failure_.empty()) {
        const ColumnInfo& column = map_.columns[i];
        column_ = "column " + (column.name.empty() ? "#" + std::to_string(i + 1) : column.name) +
                  " (" + column_type_name(column.type) + "): ";
        return false;
      }
    }
    return true;
  }

  std::string failure() const {
    return column_ + (failure_.empty() ? reader_.failure() : failure_);
  }

 private:
  void fail(std::size_t at, const std::string& what) {
    if (failure_.empty()) failure_ = what + " at offset " + std::to_string(at);
  }
  Value zero_date(const ColumnInfo& column, Value epoch) {
    // DEBEZIUM_FORMAT: a zero (or partly zero) date is null if the column is nullable, else
    // the epoch.
    return column.nullable ? Value(event::Null{}) : epoch;
  }

  Value text(const ColumnInfo& column, std::string_view bytes, std::size_t at) {
    switch (charset_of(column.collation)) {
      case Charset::kUtf8mb4:
      case Charset::kUtf8mb3:
      case Charset::kAscii:
        if (!valid_utf8(bytes)) fail(at, "text not valid UTF-8");
        return Value(std::string(bytes));
      case Charset::kLatin1: {
        std::string out;
        latin1_to_utf8(bytes, out);
        return Value(std::move(out));
      }
      case Charset::kBinary:
      case Charset::kOther:
        break;
    }
    return Value(event::Bytes{std::string(bytes)});
  }

  Value value(const ColumnInfo& column) {
    const std::size_t at = reader_.offset();
    auto integer = [&](std::size_t width) -> Value {
      const uint64_t raw = reader_.le(width, "integer");
      if (column.is_unsigned || width == 8) return static_cast<int64_t>(raw);
      const unsigned shift = 64 - 8 * static_cast<unsigned>(width);
      return static_cast<int64_t>(raw << shift) >> shift;  // sign-extend
    };
    switch (column.type) {
      // TINY, SHORT, INT24, LONG, LONGLONG: 1, 2, 3, 4, 8 bytes little-endian, two's complement
      // (or unsigned per the SIGNEDNESS metadata; BIGINT UNSIGNED wraps into int64 as
      // Debezium's default bigint.unsigned.handling.mode `long` does)
      case kTypeTiny:
        return integer(1);
      case kTypeShort:
        return integer(2);
      case kTypeInt24:
        return integer(3);
      case kTypeLong:
        return integer(4);
      case kTypeLongLong:
        return integer(8);
      // FLOAT: 4 bytes IEEE 754 little-endian; DOUBLE: 8 bytes
      case kTypeFloat: {
        const auto bits = static_cast<uint32_t>(reader_.u32("float"));
        float f = 0;
        std::memcpy(&f, &bits, sizeof f);
        return static_cast<double>(f);
      }
      case kTypeDouble: {
        const uint64_t bits = reader_.u64("double");
        double d = 0;
        std::memcpy(&d, &bits, sizeof d);
        return d;
      }
      // NEWDECIMAL: see read_decimal (value_formats.cpp)
      case kTypeNewDecimal:
        return read_decimal(reader_, column.precision, column.scale);
      // BIT(n): (n + 7) / 8 bytes big-endian. BIT(1) -> bool; else Debezium's Bits: the same
      // bytes little-endian.
      case kTypeBit: {
        const std::string_view raw = reader_.bytes((column.max_length + 7) / 8, "bit");
        if (column.max_length == 1) return !raw.empty() && raw[0] != 0;
        return event::Bytes{std::string(raw.rbegin(), raw.rend())};
      }
      // YEAR: 1 byte, year - 1900; 0 is the zero year 0000
      case kTypeYear: {
        const uint8_t year = reader_.u8("year");
        return static_cast<int64_t>(year == 0 ? 0 : 1900 + year);
      }
      // DATE (and NEWDATE): 3 bytes little-endian, day (5 bits) | month (4) << 5 | year << 9
      case kTypeDate:
      case kTypeNewDate: {
        const uint32_t raw = reader_.u24("date");
        DateTimeParts parts;
        parts.day = raw & 31;
        parts.month = (raw >> 5) & 15;
        parts.year = raw >> 9;
        if (reader_.failed()) return event::Null{};
        if (parts.zero_date()) return zero_date(column, event::Date{0});
        if (parts.month > 12) fail(at, "date month " + std::to_string(parts.month));
        return event::Date{
            static_cast<int32_t>(days_from_civil(parts.year, parts.month, parts.day))};
      }
      // TIME2(fsp): 3 bytes big-endian, (sign bit set = non-negative) | hour (10 bits) << 12 |
      // minute (6) << 6 | second (6), i.e. the packed value >> 24 plus 0x800000; then the
      // fraction, (fsp + 1) / 2 bytes big-endian: fsp 1-2 one byte of centiseconds (signed),
      // 3-4 two bytes of 1/10000 s (signed), 5-6 three bytes of µs (the 6 bytes read together
      // are the packed value + 0x800000000000)
      case kTypeTime2:
        return time2(column);
      // DATETIME2(fsp): 5 bytes big-endian, 0x8000000000 + (year * 13 + month) << 22 | day << 17 |
      // hour << 12 | minute << 6 | second; then the fraction as for TIME2
      case kTypeDatetime2: {
        const uint64_t whole = reader_.be(5, "datetime");
        const int64_t fraction = read_fraction(column.fsp, "datetime fraction");
        if (reader_.failed()) return event::Null{};
        const auto intpart = static_cast<int64_t>(whole) - 0x8000000000LL;
        if (intpart < 0 || fraction < 0 || fraction > 999999) {
          fail(at, "datetime out of range");
          return event::Null{};
        }
        const DateTimeParts parts = unpack_datetime((intpart << 24) + fraction);
        return datetime(column, parts, at);
      }
      // TIMESTAMP2(fsp): 4 bytes big-endian seconds since the epoch (UTC), then the fraction
      // (unsigned) as for TIME2; 0 is the zero timestamp '0000-00-00 00:00:00'
      case kTypeTimestamp2: {
        const uint64_t seconds = reader_.be(4, "timestamp");
        const int64_t fraction = read_fraction(column.fsp, "timestamp fraction");
        if (reader_.failed()) return event::Null{};
        if (fraction < 0 || fraction > 999999) fail(at, "timestamp fraction out of range");
        // The zero timestamp is the epoch in Debezium's binlog reader, a nullable column too
        // (its reader gets 0 seconds; only DATE/DATETIME zeros become null)
        return event::ZonedTimestamp{static_cast<int64_t>(seconds) * 1'000'000 + fraction, 0};
      }
      // Old TIME (before MySQL 5.6.4 / MariaDB mysql56_temporal_format): 3 bytes little-endian
      // signed, hours * 10000 + minutes * 100 + seconds
      case kTypeTime: {
        const auto raw = static_cast<int32_t>(reader_.u24("time") << 8) >> 8;
        const int64_t magnitude = raw < 0 ? -static_cast<int64_t>(raw) : raw;
        DateTimeParts parts;
        parts.negative = raw < 0;
        parts.hour = static_cast<unsigned>(magnitude / 10000);
        parts.minute = static_cast<unsigned>(magnitude / 100 % 100);
        parts.second = static_cast<unsigned>(magnitude % 100);
        if (parts.minute > 59 || parts.second > 59) fail(at, "time out of range");
        return event::Time{parts.time_micros()};
      }
      // Old DATETIME: 8 bytes little-endian, YYYYMMDDhhmmss as a decimal number
      case kTypeDatetime: {
        const uint64_t raw = reader_.u64("datetime");
        DateTimeParts parts;
        parts.year = static_cast<int64_t>(raw / 10000000000ULL);
        parts.month = static_cast<unsigned>(raw / 100000000ULL % 100);
        parts.day = static_cast<unsigned>(raw / 1000000 % 100);
        parts.hour = static_cast<unsigned>(raw / 10000 % 100);
        parts.minute = static_cast<unsigned>(raw / 100 % 100);
        parts.second = static_cast<unsigned>(raw % 100);
        if (parts.year > 9999) fail(at, "datetime year " + std::to_string(parts.year));
        return datetime(column, parts, at);
      }
      // Old TIMESTAMP: 4 bytes little-endian seconds since the epoch; 0 the zero timestamp
      case kTypeTimestamp: {
        const uint32_t seconds = reader_.u32("timestamp");
        return event::ZonedTimestamp{static_cast<int64_t>(seconds) * 1'000'000, 0};  // 0: as above
      }
      // VARCHAR, VAR_STRING: length (1 byte if the max length in bytes < 256, else 2 bytes
      // little-endian), then the bytes; text in the column's charset, binary -> Bytes
      case kTypeVarchar:
      case kTypeVarString: {
        const std::size_t length = reader_.le(column.max_length < 256 ? 1 : 2, "varchar length");
        const std::size_t data_at = reader_.offset();
        const std::string_view bytes = reader_.bytes(length, "varchar");
        if (reader_.failed()) return event::Null{};
        return text(column, bytes, data_at);
      }
      // CHAR, BINARY (STRING): length (1 byte if the max length in bytes < 256, else 2), then
      // the bytes with trailing pad (spaces; 0x00 for BINARY) stripped. BINARY(n) is padded back
      // to n bytes, as the server returns it.
      case kTypeString: {
        const std::size_t length = reader_.le(column.max_length < 256 ? 1 : 2, "char length");
        const std::size_t data_at = reader_.offset();
        const std::string_view bytes = reader_.bytes(length, "char");
        if (reader_.failed()) return event::Null{};
        if (charset_of(column.collation) == Charset::kBinary) {
          std::string padded(bytes);
          if (padded.size() < column.max_length) padded.resize(column.max_length, '\0');
          return event::Bytes{std::move(padded)};
        }
        return text(column, bytes, data_at);
      }
      // ENUM: 1 or 2 bytes little-endian (pack length), the 1-based member index; 0 is the
      // empty string an invalid value was stored as
      case kTypeEnum: {
        const uint64_t index = reader_.le(column.pack_length, "enum");
        if (reader_.failed()) return event::Null{};
        if (index == 0) return std::string();
        if (index > column.labels.size()) {
          fail(at, "enum index " + std::to_string(index) + " of " +
                       std::to_string(column.labels.size()) + " members");
          return event::Null{};
        }
        return column.labels[index - 1];
      }
      // SET: 1-8 bytes little-endian (pack length), bit i = member i; -> "a,b" in member order
      case kTypeSet: {
        const uint64_t bits = reader_.le(column.pack_length, "set");
        if (reader_.failed()) return event::Null{};
        std::string out;
        for (std::size_t i = 0; i < 64; ++i) {
          if (((bits >> i) & 1) == 0) continue;
          if (i >= column.labels.size()) {
            fail(at, "set member " + std::to_string(i + 1) + " of " +
                         std::to_string(column.labels.size()));
            return event::Null{};
          }
          if (!out.empty()) out.push_back(',');
          out += column.labels[i];
        }
        return out;
      }
      // BLOB/TEXT (and MariaDB's JSON, a LONGTEXT): length in pack-length bytes (1-4)
      // little-endian, then the bytes; GEOMETRY likewise (WKB with a 4-byte SRID, kept as
      // bytes: the column is omitted); MySQL JSON likewise, the bytes in binary JSON
      case kTypeBlob:
      case kTypeTinyBlob:
      case kTypeMediumBlob:
      case kTypeLongBlob:
      case kTypeGeometry:
      case kTypeJson: {
        const std::size_t length = reader_.le(column.pack_length, "blob length");
        const std::size_t data_at = reader_.offset();
        const std::string_view bytes = reader_.bytes(length, "blob");
        if (reader_.failed()) return event::Null{};
        if (column.type == kTypeGeometry) return event::Bytes{std::string(bytes)};
        if (column.type == kTypeJson) {
          auto json = json_binary_to_text(bytes, data_at, event_name_);
          if (!json.ok()) {
            if (failure_.empty())
              failure_ = json.error().message.substr(json.error().message.find(": ") + 2);
            return event::Null{};
          }
          return std::move(*json);
        }
        return text(column, bytes, data_at);
      }
      case kTypeNull:
        return event::Null{};
      default:
        // Without a known layout the value's length is unknown: the rest cannot be read.
        fail(at, "column type " + column_type_name(column.type) + " cannot be decoded");
        return event::Null{};
    }
  }

  /// The fraction after TIME2/DATETIME2/TIMESTAMP2 as stored, scaled to µs.
  int64_t read_fraction(uint8_t fsp, const char* what) {
    switch (fsp) {
      case 0:
        return 0;
      case 1:
      case 2:
        return reader_.u8(what) * 10000LL;
      case 3:
      case 4:
        return static_cast<int64_t>(reader_.be(2, what)) * 100;
      default:
        return static_cast<int64_t>(reader_.be(3, what));
    }
  }

  Value time2(const ColumnInfo& column) {
    const std::size_t at = reader_.offset();
    int64_t packed = 0;
    if (column.fsp >= 5) {
      packed = static_cast<int64_t>(reader_.be(6, "time")) - 0x800000000000LL;
    } else {
      int64_t intpart = static_cast<int64_t>(reader_.be(3, "time")) - 0x800000;
      int64_t fraction = read_fraction(column.fsp, "time fraction");
      // A negative time with a fraction: the integer part is rounded down and the fraction
      // stored as its complement to 0x100 / 0x10000 (my_time_packed_from_binary), so that the
      // bytes sort as the times do.
      if (intpart < 0 && fraction != 0) {
        intpart += 1;
        fraction -= column.fsp <= 2 ? 0x100 * 10000 : 0x10000 * 100;
      }
      packed = intpart * (1LL << 24) + fraction;
    }
    if (reader_.failed()) return event::Null{};
    const DateTimeParts parts = unpack_time(packed);
    if (parts.minute > 59 || parts.second > 59 || parts.micros > 999999) {
      fail(at, "time out of range");
      return event::Null{};
    }
    return event::Time{parts.time_micros()};
  }

  Value datetime(const ColumnInfo& column, const DateTimeParts& parts, std::size_t at) {
    if (parts.zero_date()) return zero_date(column, event::Timestamp{0});
    // MySQL's range is years 0-9999; a forged packed value could carry a year whose µs overflow.
    if (parts.year > 9999 || parts.month > 12 || parts.day > 31 || parts.hour > 23 ||
        parts.minute > 59 || parts.second > 59 || parts.micros > 999'999) {
      fail(at, "datetime out of range");
      return event::Null{};
    }
    return event::Timestamp{parts.epoch_micros()};
  }

 public:
  std::string event_name_;

 private:
  ByteReader& reader_;
  const TableMap& map_;
  std::string column_;  ///< "column <name> (<TYPE>): " of the failure
  std::string failure_;
};

}  // namespace

Result<std::vector<RowChange>> decode_row_images(const RowsEvent& rows, const TableMap& map) {
  const std::string name = rows_event_name(rows);
  if (rows.table_id != map.table_id) {
    return corrupt(name,
                   "table id " + std::to_string(rows.table_id) + " but the TABLE_MAP is " +
                       std::to_string(map.table_id),
                   kHeaderSize);
  }
  if (rows.column_count != map.columns.size() || rows.present.size() != map.columns.size()) {
    return corrupt(name,
                   std::to_string(rows.column_count) + " columns but " + map.database + "." +
                       map.table + " has " + std::to_string(map.columns.size()),
                   rows.rows_offset);
  }
  ByteReader reader(rows.rows, rows.rows_offset);
  ImageReader image(reader, map);
  image.event_name_ = name;
  // Every row image takes at least one byte, and a forged event cannot make the rows expand
  // without bound: a FULL image spends at least a null-bitmap bit per value (8 values a byte);
  // 64 a byte leaves room for MINIMAL images of wide tables.
  const std::size_t images = rows.kind == RowsEvent::Kind::kUpdate ? 2 : 1;
  const std::size_t max_values = 64 * rows.rows.size() + 64;
  std::size_t values = 0;
  std::vector<RowChange> out;
  while (!reader.at_end()) {
    const std::size_t row_at = reader.offset();
    values += images * map.columns.size();
    if (values > max_values) {
      return corrupt(name,
                     "row images expand to more than " + std::to_string(max_values) +
                         " values for " + std::to_string(rows.rows.size()) + " bytes",
                     row_at);
    }
    RowChange change;
    event::Row& first =
        rows.kind == RowsEvent::Kind::kWrite ? change.after.emplace() : change.before.emplace();
    bool ok = image.read(rows.present, first);
    if (ok && rows.kind == RowsEvent::Kind::kUpdate) {
      ok = image.read(rows.present_after, change.after.emplace());
    }
    if (!ok) {
      return Error::corrupt("binlog " + name + " event: " + map.database + "." + map.table + ": " +
                            image.failure());
    }
    if (reader.offset() == row_at) {
      return corrupt(name, "empty row image (no column in it)", row_at);
    }
    out.push_back(std::move(change));
  }
  return out;
}

}  // namespace tributary::source::mysql::binlog
