// Text-protocol values -> typed values, each form checked; the formats are MySQL's output forms:
//   integers "-123"; FLOAT/DOUBLE "%g"-like ("1.5", "-2e-5", "inf" never: MySQL stores no inf);
//   DECIMAL "-12.50" (always `scale` fraction digits); DATE "2024-02-29"; DATETIME/TIMESTAMP
//   "2024-02-29 12:00:00[.ffffff]" (the column's fsp digits); TIME "[-]838:59:59[.ffffff]";
//   YEAR "2024" (or "0000"); BIT raw big-endian bytes; ENUM/SET labels ("a,c" in member order).
#include "source/mysql/text_values.hpp"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <optional>

#include "event/value_math.hpp"
#include "source/mysql/binlog/charset.hpp"
#include "source/mysql/binlog/value_formats.hpp"

namespace tributary::source::mysql {
namespace {

using event::TypeKind;
using event::Value;

Error bad_value(const event::Column& column, std::string_view text, const std::string& table,
                const std::string& why) {
  std::string shown(text.substr(0, 64));
  for (char& c : shown) {
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) c = '?';
  }
  if (text.size() > 64) shown += "...";
  return Error::corrupt("snapshot of " + table + ": column " + column.name + " (" +
                        event::type_label(column.type) + ") value '" + shown + "': " + why);
}

/// Unsigned decimal digits [from, from + count) of `text` as a number; nullopt if not digits.
std::optional<uint64_t> digits(std::string_view text, std::size_t from, std::size_t count) {
  if (from + count > text.size() || count == 0) return std::nullopt;
  uint64_t value = 0;
  for (std::size_t i = from; i < from + count; ++i) {
    const char c = text[i];
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<uint64_t>(c - '0');
  }
  return value;
}

/// ".ffffff" at `at` (or nothing at the end) -> microseconds; nullopt if malformed.
std::optional<uint32_t> fraction(std::string_view text, std::size_t at) {
  if (at == text.size()) return 0u;
  if (text[at] != '.' || at + 1 == text.size() || text.size() - at - 1 > 6) return std::nullopt;
  const std::size_t count = text.size() - at - 1;
  auto value = digits(text, at + 1, count);
  if (!value) return std::nullopt;
  uint32_t micros = static_cast<uint32_t>(*value);
  for (std::size_t i = count; i < 6; ++i) micros *= 10;
  return micros;
}

/// "YYYY-MM-DD" at the start of `text`.
std::optional<binlog::DateTimeParts> date_part(std::string_view text) {
  if (text.size() < 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
  auto year = digits(text, 0, 4);
  auto month = digits(text, 5, 2);
  auto day = digits(text, 8, 2);
  if (!year || !month || !day || *month > 12 || *day > 31) return std::nullopt;
  binlog::DateTimeParts parts;
  parts.year = static_cast<int64_t>(*year);
  parts.month = static_cast<unsigned>(*month);
  parts.day = static_cast<unsigned>(*day);
  return parts;
}

/// "YYYY-MM-DD HH:MM:SS[.ffffff]".
std::optional<binlog::DateTimeParts> datetime_parts(std::string_view text) {
  auto parts = date_part(text);
  if (!parts || text.size() < 19 || text[10] != ' ' || text[13] != ':' || text[16] != ':')
    return std::nullopt;
  auto hour = digits(text, 11, 2);
  auto minute = digits(text, 14, 2);
  auto second = digits(text, 17, 2);
  auto micros = fraction(text, 19);
  if (!hour || !minute || !second || !micros || *hour > 23 || *minute > 59 || *second > 59)
    return std::nullopt;
  parts->hour = static_cast<unsigned>(*hour);
  parts->minute = static_cast<unsigned>(*minute);
  parts->second = static_cast<unsigned>(*second);
  parts->micros = *micros;
  return parts;
}

/// "[-]H+:MM:SS[.ffffff]" -> signed µs.
std::optional<int64_t> time_micros(std::string_view text) {
  std::size_t at = 0;
  const bool negative = !text.empty() && text[0] == '-';
  if (negative) at = 1;
  const std::size_t colon = text.find(':', at);
  if (colon == std::string_view::npos || colon == at || colon - at > 4) return std::nullopt;
  auto hours = digits(text, at, colon - at);
  if (!hours || text.size() < colon + 6 || text[colon + 3] != ':') return std::nullopt;
  auto minutes = digits(text, colon + 1, 2);
  auto seconds = digits(text, colon + 4, 2);
  auto micros = fraction(text, colon + 6);
  if (!minutes || !seconds || !micros || *minutes > 59 || *seconds > 59) return std::nullopt;
  const int64_t value = ((static_cast<int64_t>(*hours) * 60 + static_cast<int64_t>(*minutes)) * 60 +
                         static_cast<int64_t>(*seconds)) *
                            1'000'000 +
                        *micros;
  return negative ? -value : value;
}

bool is_unsigned(const event::ColumnType& type) {
  const std::string& name = type.source_name;
  return name.size() >= 9 && name.compare(name.size() - 9, 9, " unsigned") == 0;
}

Result<Value> integer(const event::Column& column, std::string_view text,
                      const std::string& table) {
  int64_t low = std::numeric_limits<int64_t>::min();
  int64_t high = std::numeric_limits<int64_t>::max();
  switch (column.type.kind) {
    case TypeKind::kInt16:
      low = -32768, high = 32767;
      break;
    case TypeKind::kInt32:
      low = INT32_MIN, high = INT32_MAX;
      break;
    case TypeKind::kYear:
      low = 0, high = 9999;
      break;
    default:
      break;
  }
  if (column.type.kind == TypeKind::kInt64 && is_unsigned(column.type)) {
    uint64_t value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size() || text.empty())
      return bad_value(column, text, table, "not an unsigned 64-bit integer");
    return Value(static_cast<int64_t>(value));  // wraps, as the binlog decoder does
  }
  int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty())
    return bad_value(column, text, table, "not an integer");
  if (value < low || value > high)
    return bad_value(column, text, table,
                     "out of range for " + std::string(event::kind_name(column.type.kind)));
  return Value(value);
}

Result<Value> floating(const event::Column& column, std::string_view text,
                       const std::string& table) {
  const std::string copy(text);  // strtod needs a terminator
  char* end = nullptr;
  errno = 0;
  double value = 0;
  if (column.type.kind == TypeKind::kFloat32) {
    // The binlog holds the stored float; the text is its shortest form: back to that float.
    value = static_cast<double>(std::strtof(copy.c_str(), &end));
  } else {
    value = std::strtod(copy.c_str(), &end);
  }
  if (copy.empty() || end != copy.c_str() + copy.size() || !std::isfinite(value))
    return bad_value(column, text, table, "not a finite number");
  return Value(value);
}

Value zero_date(const event::Column& column, Value epoch) {
  return column.optional ? Value(event::Null{}) : epoch;
}

}  // namespace

std::optional<event::Decimal> parse_decimal(std::string_view text, int scale) {
  std::size_t at = 0;
  bool negative = false;
  if (!text.empty() && (text[0] == '-' || text[0] == '+')) {
    negative = text[0] == '-';
    at = 1;
  }
  // Decimal digits of the unscaled value, most significant first.
  std::string number;
  int fraction_digits = -1;
  for (; at < text.size(); ++at) {
    const char c = text[at];
    if (c == '.' && fraction_digits < 0) {
      fraction_digits = 0;
    } else if (c >= '0' && c <= '9') {
      number.push_back(c);
      if (fraction_digits >= 0) ++fraction_digits;
    } else {
      return std::nullopt;
    }
  }
  if (number.empty() || scale < 0) return std::nullopt;
  if (fraction_digits < 0) fraction_digits = 0;
  if (fraction_digits > scale) return std::nullopt;
  number.append(static_cast<std::size_t>(scale - fraction_digits), '0');
  // Decimal digits -> big-endian base-256 magnitude (repeated division by 256).
  std::string magnitude;  // little-endian while built
  std::string rest = number;
  while (!(rest.empty() || (rest.size() == 1 && rest[0] == '0'))) {
    std::string quotient;
    unsigned remainder = 0;
    for (char c : rest) {
      remainder = remainder * 10 + static_cast<unsigned>(c - '0');
      const unsigned q = remainder / 256;
      remainder %= 256;
      if (!quotient.empty() || q != 0) quotient.push_back(static_cast<char>('0' + q));
    }
    magnitude.push_back(static_cast<char>(remainder));
    rest = quotient;
  }
  std::string bytes(magnitude.rbegin(), magnitude.rend());
  event::magnitude_twos_complement(negative, bytes);
  return event::Decimal{std::move(bytes), scale};
}

Result<Value> text_value(const event::Column& column, std::string_view text,
                         const std::string& table) {
  switch (column.type.kind) {
    case TypeKind::kInt16:
    case TypeKind::kInt32:
    case TypeKind::kInt64:
    case TypeKind::kYear:
      return integer(column, text, table);
    case TypeKind::kFloat32:
    case TypeKind::kFloat64:
      return floating(column, text, table);
    case TypeKind::kDecimal:
    case TypeKind::kVariableDecimal: {
      auto decimal = parse_decimal(text, column.type.scale < 0 ? 0 : column.type.scale);
      if (!decimal) return bad_value(column, text, table, "not a decimal at the column's scale");
      return Value(std::move(*decimal));
    }
    case TypeKind::kBool:
      // BIT(1): one raw byte.
      if (text.size() != 1) return bad_value(column, text, table, "BIT(1) is not one byte");
      return Value(text[0] != 0);
    case TypeKind::kBits: {
      const std::size_t width =
          column.type.precision > 0 ? (static_cast<std::size_t>(column.type.precision) + 7) / 8 : 0;
      if (width != 0 && text.size() != width)
        return bad_value(column, text, table,
                         "BIT value of " + std::to_string(text.size()) + " bytes, " +
                             std::to_string(width) + " expected");
      return Value(event::Bytes{std::string(text.rbegin(), text.rend())});
    }
    case TypeKind::kBytes:
      return Value(event::Bytes{std::string(text)});
    case TypeKind::kString:
    case TypeKind::kEnum:
    case TypeKind::kSet:
    case TypeKind::kJson:
    case TypeKind::kUuid:
    case TypeKind::kXml:
      if (!binlog::valid_utf8(text)) return bad_value(column, text, table, "not valid UTF-8");
      return Value(std::string(text));
    case TypeKind::kDate: {
      if (text.size() != 10) return bad_value(column, text, table, "not a date (YYYY-MM-DD)");
      auto parts = date_part(text);
      if (!parts) return bad_value(column, text, table, "not a date (YYYY-MM-DD)");
      if (parts->zero_date()) return zero_date(column, event::Date{0});
      return Value(event::Date{
          static_cast<int32_t>(binlog::days_from_civil(parts->year, parts->month, parts->day))});
    }
    case TypeKind::kTimestamp:
    case TypeKind::kTimestampTz: {
      auto parts = datetime_parts(text);
      if (!parts) return bad_value(column, text, table, "not a date and time");
      const bool zoned = column.type.kind == TypeKind::kTimestampTz;
      if (parts->zero_date()) {
        return zero_date(column,
                         zoned ? Value(event::ZonedTimestamp{0, 0}) : Value(event::Timestamp{0}));
      }
      const int64_t micros = parts->epoch_micros();
      if (zoned) return Value(event::ZonedTimestamp{micros, 0});
      return Value(event::Timestamp{micros});
    }
    case TypeKind::kTime: {
      auto micros = time_micros(text);
      if (!micros) return bad_value(column, text, table, "not a time ([-]H:MM:SS[.ffffff])");
      return Value(event::Time{*micros});
    }
    case TypeKind::kInterval:
    case TypeKind::kArray:
      break;
  }
  return bad_value(column, text, table, "type not read by the MySQL snapshot");
}

}  // namespace tributary::source::mysql
