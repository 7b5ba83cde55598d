// MySQL's binary DECIMAL and packed temporal forms.
#include "source/mysql/binlog/value_formats.hpp"

#include <array>
#include <cstdio>
#include <vector>

namespace tributary::source::mysql::binlog {
namespace {

/// Bytes holding a group of 0-9 decimal digits.
constexpr std::array<int, 10> kDigitBytes = {0, 1, 1, 2, 2, 3, 3, 4, 4, 4};
constexpr std::array<uint32_t, 10> kPowers10 = {1,      10,      100,      1000,      10000,
                                                100000, 1000000, 10000000, 100000000, 1000000000};

/// Little-endian base-2^32 magnitude: value = value * multiplier + addend.
void multiply_add(std::vector<uint32_t>& limbs, uint32_t multiplier, uint32_t addend) {
  uint64_t carry = addend;
  for (uint32_t& limb : limbs) {
    const uint64_t product = static_cast<uint64_t>(limb) * multiplier + carry;
    limb = static_cast<uint32_t>(product);
    carry = product >> 32;
  }
  if (carry != 0) limbs.push_back(static_cast<uint32_t>(carry));
}

/// Divides by `divisor` in place, returning the remainder.
uint32_t divide(std::vector<uint32_t>& limbs, uint32_t divisor) {
  uint64_t remainder = 0;
  for (std::size_t i = limbs.size(); i > 0; --i) {
    const uint64_t current = (remainder << 32) | limbs[i - 1];
    limbs[i - 1] = static_cast<uint32_t>(current / divisor);
    remainder = current % divisor;
  }
  while (!limbs.empty() && limbs.back() == 0) limbs.pop_back();
  return static_cast<uint32_t>(remainder);
}

}  // namespace

std::size_t decimal_size(int precision, int scale) {
  const int integer = precision - scale;
  return static_cast<std::size_t>(integer / 9 * 4 + kDigitBytes[integer % 9] + scale / 9 * 4 +
                                  kDigitBytes[scale % 9]);
}

// NEWDECIMAL(p, s), binary form (decimal2bin in MySQL's strings/decimal.cc):
//   the integer part's p - s digits and the fraction's s digits are cut into groups of 9 digits
//   (the integer part from the point leftwards, the fraction from the point rightwards); a full
//   group takes 4 bytes, the leftmost partial integer group and the rightmost partial fraction
//   group take 1-4 bytes (1-2 digits: 1, 3-4: 2, 5-6: 3, 7-9: 4); each group is a big-endian
//   unsigned integer. The sign: the first byte's top bit is flipped (set = non-negative); a
//   negative number has every byte inverted besides.
event::Decimal read_decimal(ByteReader& reader, int precision, int scale) {
  const std::size_t at = reader.offset();
  const std::string_view raw = reader.bytes(decimal_size(precision, scale), "decimal");
  event::Decimal out;
  out.scale = scale;
  if (reader.failed() || raw.empty()) {
    out.unscaled.assign(1, '\0');
    return out;
  }
  const bool negative = (static_cast<unsigned char>(raw[0]) & 0x80) == 0;
  const uint8_t mask = negative ? 0xff : 0x00;
  std::size_t position = 0;
  auto group = [&](int digits) -> uint32_t {
    const int width = digits == 9 ? 4 : kDigitBytes[digits];
    uint32_t value = 0;
    for (int i = 0; i < width; ++i, ++position) {
      uint8_t byte = static_cast<uint8_t>(raw[position]) ^ mask;
      if (position == 0) byte ^= 0x80;
      value = (value << 8) | byte;
    }
    if (value >= kPowers10[digits]) {
      reader.fail(at, "decimal digit group " + std::to_string(value) + " exceeds " +
                          std::to_string(digits) + " digits");
    }
    return value;
  };
  std::vector<uint32_t> limbs;
  limbs.reserve(8);
  auto push = [&](int digits) {
    const uint32_t value = group(digits);
    multiply_add(limbs, kPowers10[digits], value);
  };
  const int integer = precision - scale;
  if (integer % 9) push(integer % 9);
  for (int i = 0; i < integer / 9; ++i) push(9);
  for (int i = 0; i < scale / 9; ++i) push(9);
  if (scale % 9) push(scale % 9);
  while (!limbs.empty() && limbs.back() == 0) limbs.pop_back();

  // Magnitude -> big-endian bytes -> minimal two's complement.
  std::string bytes;
  for (std::size_t i = limbs.size(); i > 0; --i) {
    for (int shift = 24; shift >= 0; shift -= 8) {
      bytes.push_back(static_cast<char>((limbs[i - 1] >> shift) & 0xff));
    }
  }
  event::magnitude_twos_complement(negative, bytes);
  out.unscaled = std::move(bytes);
  return out;
}

std::string decimal_text(const event::Decimal& decimal) {
  const std::string& bytes = decimal.unscaled;
  const bool negative = !bytes.empty() && (static_cast<uint8_t>(bytes[0]) & 0x80);
  std::vector<uint32_t> limbs;
  // Two's complement -> magnitude, big-endian bytes -> limbs.
  std::string magnitude = bytes;
  if (negative) {
    unsigned carry = 1;
    for (std::size_t i = magnitude.size(); i > 0; --i) {
      const unsigned value = static_cast<uint8_t>(~static_cast<uint8_t>(magnitude[i - 1])) + carry;
      magnitude[i - 1] = static_cast<char>(value & 0xff);
      carry = value >> 8;
    }
  }
  for (unsigned char c : magnitude) multiply_add(limbs, 256, c);
  while (!limbs.empty() && limbs.back() == 0) limbs.pop_back();
  std::string digits;
  while (!limbs.empty()) digits.insert(digits.begin(), static_cast<char>('0' + divide(limbs, 10)));
  const auto scale = static_cast<std::size_t>(decimal.scale < 0 ? 0 : decimal.scale);
  if (digits.size() <= scale) digits.insert(0, scale + 1 - digits.size(), '0');
  if (scale > 0) digits.insert(digits.size() - scale, ".");
  return negative ? "-" + digits : digits;
}

int64_t DateTimeParts::epoch_micros() const {
  const int64_t days = event::days_from_civil(year, month, day);
  return ((days * 24 + hour) * 60 + minute) * 60'000'000LL + second * 1'000'000LL + micros;
}

int64_t DateTimeParts::time_micros() const {
  const int64_t value =
      ((static_cast<int64_t>(hour) * 60 + minute) * 60 + second) * 1'000'000LL + micros;
  return negative ? -value : value;
}

DateTimeParts unpack_datetime(int64_t packed) {
  DateTimeParts parts;
  if (packed < 0) {
    parts.negative = true;
    packed = packed == INT64_MIN ? INT64_MAX : -packed;
  }
  parts.micros = static_cast<uint32_t>(packed % (1LL << 24));
  const int64_t whole = packed >> 24;
  const int64_t ymd = whole >> 17;
  const int64_t ym = ymd >> 5;
  const int64_t hms = whole % (1LL << 17);
  parts.day = static_cast<unsigned>(ymd % 32);
  parts.month = static_cast<unsigned>(ym % 13);
  parts.year = ym / 13;
  parts.second = static_cast<unsigned>(hms % 64);
  parts.minute = static_cast<unsigned>((hms >> 6) % 64);
  parts.hour = static_cast<unsigned>(hms >> 12);
  return parts;
}

DateTimeParts unpack_time(int64_t packed) {
  DateTimeParts parts;
  if (packed < 0) {
    parts.negative = true;
    packed = packed == INT64_MIN ? INT64_MAX : -packed;
  }
  parts.micros = static_cast<uint32_t>(packed % (1LL << 24));
  const int64_t hms = packed >> 24;
  parts.hour = static_cast<unsigned>((hms >> 12) % (1 << 10));
  parts.minute = static_cast<unsigned>((hms >> 6) % 64);
  parts.second = static_cast<unsigned>(hms % 64);
  return parts;
}

std::string datetime_text(const DateTimeParts& parts, bool with_time) {
  char text[64];
  int length =
      std::snprintf(text, sizeof text, "%04lld-%02u-%02u",
                    static_cast<long long>(parts.year % 10000), parts.month % 100, parts.day % 100);
  if (with_time) {
    length += std::snprintf(text + length, sizeof text - length, " %02u:%02u:%02u",
                            parts.hour % 100, parts.minute % 100, parts.second % 100);
    if (parts.micros != 0) {
      std::snprintf(text + length, sizeof text - length, ".%06u", parts.micros % 1000000);
    }
  }
  return text;
}

std::string time_text(const DateTimeParts& parts) {
  char text[48];
  int length = std::snprintf(text, sizeof text, "%s%02u:%02u:%02u", parts.negative ? "-" : "",
                             parts.hour, parts.minute % 100, parts.second % 100);
  if (parts.micros != 0) {
    std::snprintf(text + length, sizeof text - length, ".%06u", parts.micros % 1000000);
  }
  return text;
}

}  // namespace tributary::source::mysql::binlog
