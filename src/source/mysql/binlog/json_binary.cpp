// MySQL binary JSON decoder. Layout (sql-common/json_binary.h in MySQL's sources):
//
//   doc          ::= u8 type, value
//   type         ::= 0x00 small object | 0x01 large object | 0x02 small array | 0x03 large array
//                  | 0x04 literal | 0x05 int16 | 0x06 uint16 | 0x07 int32 | 0x08 uint32
//                  | 0x09 int64 | 0x0a uint64 | 0x0b double | 0x0c string | 0x0f opaque
//   object       ::= count, size, key-entry[count], value-entry[count], keys, values
//   array        ::= count, size, value-entry[count], values
//     count, size, offsets: u16 (small) or u32 (large), little-endian; offsets count from the
//     first byte of `count`; size is the object's whole size
//   key-entry    ::= offset, u16 key length
//   value-entry  ::= u8 type, offset -- or the value itself for literal, int16, uint16 (and
//                    int32, uint32 in large containers), inlined in the offset field
//   literal      ::= u8 0x00 null | 0x01 true | 0x02 false
//   string       ::= varlen length, utf8mb4 bytes
//   opaque       ::= u8 MySQL column type, varlen length, bytes (DECIMAL: u8 precision,
//                    u8 scale, binary decimal; DATE/TIME/DATETIME/TIMESTAMP: i64 packed)
//   varlen       ::= 1-5 bytes, 7 bits each, low bits first, top bit set = more follow
#include "source/mysql/binlog/json_binary.hpp"

#include <charconv>
#include <cstring>

#include "source/mysql/binlog/byte_reader.hpp"
#include "source/mysql/binlog/charset.hpp"
#include "source/mysql/binlog/table_map.hpp"
#include "source/mysql/binlog/value_formats.hpp"

namespace tributary::source::mysql::binlog {
namespace {

constexpr int kMaxDepth = 100;  // MySQL refuses deeper documents

class JsonPrinter {
 public:
  JsonPrinter(std::string_view doc, std::size_t offset, std::string& out)
      : doc_(doc), base_(offset), out_(out), limit_(doc.size() * 8 + 1024) {}

  /// Prints the value of `type` at doc offset `at` (for containers: the count field).
  void value(uint8_t type, std::size_t at, int depth) {
    if (failed()) return;
    if (depth > kMaxDepth) return fail(at, "nesting deeper than 100");
    if (out_.size() > limit_) return fail(at, "text larger than the document allows");
    ByteReader reader(doc_.substr(std::min(at, doc_.size())), base_ + at);
    switch (type) {
      case 0x00:
      case 0x01:
      case 0x02:
      case 0x03:
        return container(type, at, depth);
      case 0x04:
        return literal(reader.u8("literal"), reader, at);
      case 0x05:
        return integer(static_cast<int16_t>(reader.u16("int16")), reader);
      case 0x06:
        return integer(reader.u16("uint16"), reader);
      case 0x07:
        return integer(static_cast<int32_t>(reader.u32("int32")), reader);
      case 0x08:
        return integer(reader.u32("uint32"), reader);
      case 0x09:
        return integer(static_cast<int64_t>(reader.u64("int64")), reader);
      case 0x0a: {
        const uint64_t v = reader.u64("uint64");
        if (!check(reader)) return;
        out_ += std::to_string(v);
        return;
      }
      case 0x0b: {
        const uint64_t bits = reader.u64("double");
        if (!check(reader)) return;
        double d = 0;
        std::memcpy(&d, &bits, sizeof d);
        return number(d);
      }
      case 0x0c: {
        const std::size_t length = varlen(reader);
        const std::string_view text = reader.bytes(length, "string");
        if (!check(reader)) return;
        if (!valid_utf8(text)) return fail(at, "string not valid UTF-8");
        return quoted(text);
      }
      case 0x0f:
        return opaque(reader, at);
      default:
        return fail(at, "value type " + std::to_string(type));
    }
  }

  bool failed() const { return !failure_.empty(); }
  Error error(std::string_view event) const {
    return Error::corrupt("binlog " + std::string(event) + " event: JSON " + failure_);
  }

 private:
  void fail(std::size_t at, const std::string& what) {
    if (failure_.empty()) failure_ = what + " at offset " + std::to_string(base_ + at);
  }
  bool check(const ByteReader& reader) {
    if (reader.failed() && failure_.empty()) failure_ = reader.failure();
    return !failed();
  }

  std::size_t varlen(ByteReader& reader) {
    uint64_t length = 0;
    for (int i = 0; i < 5; ++i) {
      const uint8_t byte = reader.u8("string length");
      length |= static_cast<uint64_t>(byte & 0x7f) << (7 * i);
      if ((byte & 0x80) == 0) return static_cast<std::size_t>(length);
    }
    reader.fail("string length longer than 5 bytes");
    return 0;
  }

  void literal(uint8_t value, ByteReader& reader, std::size_t at) {
    if (!check(reader)) return;
    switch (value) {
      case 0:
        out_ += "null";
        return;
      case 1:
        out_ += "true";
        return;
      case 2:
        out_ += "false";
        return;
      default:
        return fail(at, "literal " + std::to_string(value));
    }
  }
  void integer(int64_t value, ByteReader& reader) {
    if (check(reader)) out_ += std::to_string(value);
  }
  void number(double value) {
    char text[64];
    auto [end, ec] = std::to_chars(text, text + sizeof text, value);
    std::string printed(text, ec == std::errc() ? end : text);
    if (printed.find_first_of(".e") == std::string::npos &&
        printed.find_first_of("0123456789") != std::string::npos) {
      printed += ".0";
    }
    const auto plus = printed.find("e+");
    if (plus != std::string::npos) printed.erase(plus + 1, 1);
    out_ += printed;
  }
  void quoted(std::string_view text) {
    static constexpr char kDigits[] = "0123456789abcdef";
    out_.push_back('"');
    for (unsigned char c : text) {
      switch (c) {
        case '"':
          out_ += "\\\"";
          break;
        case '\\':
          out_ += "\\\\";
          break;
        case '\b':
          out_ += "\\b";
          break;
        case '\f':
          out_ += "\\f";
          break;
        case '\n':
          out_ += "\\n";
          break;
        case '\r':
          out_ += "\\r";
          break;
        case '\t':
          out_ += "\\t";
          break;
        default:
          if (c < 0x20) {
            out_ += "\\u00";
            out_.push_back(kDigits[c >> 4]);
            out_.push_back(kDigits[c & 0xf]);
          } else {
            out_.push_back(static_cast<char>(c));
          }
      }
    }
    out_.push_back('"');
  }

  void opaque(ByteReader& reader, std::size_t at) {
    const uint8_t field_type = reader.u8("opaque type");
    const std::size_t length = varlen(reader);
    const std::size_t data_at = reader.offset();
    const std::string_view data = reader.bytes(length, "opaque data");
    if (!check(reader)) return;
    ByteReader value(data, data_at);
    switch (field_type) {
      case kTypeNewDecimal: {
        const uint8_t precision = value.u8("decimal precision");
        const uint8_t scale = value.u8("decimal scale");
        if (!check(value)) return;
        if (precision < 1 || precision > 65 || scale > precision) {
          return fail(at, "opaque decimal(" + std::to_string(precision) + "," +
                              std::to_string(scale) + ")");
        }
        const event::Decimal decimal = read_decimal(value, precision, scale);
        if (!check(value)) return;
        out_ += decimal_text(decimal);
        return;
      }
      case kTypeDate:
      case kTypeDatetime:
      case kTypeTimestamp:
      case kTypeTime: {
        const auto packed = static_cast<int64_t>(value.u64("packed temporal"));
        if (!check(value)) return;
        std::string text;
        if (field_type == kTypeTime) {
          text = time_text(unpack_time(packed));
        } else {
          text = datetime_text(unpack_datetime(packed), field_type != kTypeDate);
        }
        return quoted(text);
      }
      default: {
        static constexpr char kAlphabet[] =
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        std::string text = "base64:type" + std::to_string(field_type) + ":";
        for (std::size_t i = 0; i < data.size(); i += 3) {
          const std::size_t n = std::min<std::size_t>(3, data.size() - i);
          uint32_t chunk = 0;
          for (std::size_t k = 0; k < 3; ++k) {
            chunk = (chunk << 8) | (k < n ? static_cast<uint8_t>(data[i + k]) : 0);
          }
          for (std::size_t k = 0; k < 4; ++k) {
            text.push_back(k <= n ? kAlphabet[(chunk >> (18 - 6 * k)) & 0x3f] : '=');
          }
        }
        return quoted(text);
      }
    }
  }

  void container(uint8_t type, std::size_t at, int depth) {
    const bool large = type == 0x01 || type == 0x03;
    const bool object = type == 0x00 || type == 0x01;
    const std::size_t width = large ? 4 : 2;
    ByteReader header(doc_.substr(at), base_ + at);
    const uint64_t count = header.le(width, "element count");
    const uint64_t size = header.le(width, "size");
    if (!check(header)) return;
    if (size > doc_.size() - at) return fail(at, "size " + std::to_string(size) + " past the end");
    if (size < 2 * width)
      return fail(at, "size " + std::to_string(size) + " smaller than its header");
    const std::size_t entry = object ? width + 2 : 0;
    const std::size_t value_entry = 1 + width;
    if (count > size / (entry + value_entry)) {
      return fail(at, "element count " + std::to_string(count) + " exceeds size");
    }
    // Offsets are checked against the container's own bytes.
    const std::string_view self = doc_.substr(at, size);
    ByteReader entries(self.substr(2 * width), base_ + at + 2 * width);
    std::vector<std::pair<std::size_t, std::size_t>> keys;
    if (object) {
      keys.reserve(count);
      for (uint64_t i = 0; i < count; ++i) {
        const uint64_t key_offset = entries.le(width, "key offset");
        const uint16_t key_length = entries.u16("key length");
        if (!check(entries)) return;
        if (key_offset > size || key_length > size - key_offset) {
          return fail(at, "key past the object");
        }
        keys.emplace_back(key_offset, key_length);
      }
    }
    out_.push_back(object ? '{' : '[');
    for (uint64_t i = 0; i < count; ++i) {
      if (i > 0) out_ += ", ";
      if (object) {
        const std::string_view key = self.substr(keys[i].first, keys[i].second);
        if (!valid_utf8(key)) return fail(at, "key not valid UTF-8");
        quoted(key);
        out_ += ": ";
      }
      const std::size_t entry_at = entries.offset() - base_;
      const uint8_t value_type = entries.u8("value type");
      if (!check(entries)) return;
      const bool inlined = value_type == 0x04 || value_type == 0x05 || value_type == 0x06 ||
                           (large && (value_type == 0x07 || value_type == 0x08));
      if (inlined) {
        value(value_type, entry_at + 1, depth + 1);
        entries.skip(width, "inlined value");
        if (!check(entries)) return;
      } else {
        const uint64_t value_offset = entries.le(width, "value offset");
        if (!check(entries)) return;
        if (value_offset >= size) return fail(entry_at, "value offset past the container");
        // The value must lie inside this container: print it from a view cut at its end.
        const std::string_view saved = doc_;
        doc_ = doc_.substr(0, at + size);
        value(value_type, at + value_offset, depth + 1);
        doc_ = saved;
      }
      if (failed()) return;
    }
    out_.push_back(object ? '}' : ']');
  }

  std::string_view doc_;
  std::size_t base_;
  std::string& out_;
  std::size_t limit_;
  std::string failure_;
};

}  // namespace

Result<std::string> json_binary_to_text(std::string_view bytes, std::size_t offset,
                                        std::string_view event) {
  std::string out;
  if (bytes.empty()) return std::string("null");
  JsonPrinter printer(bytes.substr(1), offset + 1, out);
  printer.value(static_cast<uint8_t>(bytes[0]), 0, 0);
  if (printer.failed()) return printer.error(event);
  return out;
}

}  // namespace tributary::source::mysql::binlog
