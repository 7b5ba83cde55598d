// Parsers for PostgreSQL's text output forms (moved here from the envelope: it knows no database's
// text formats).
#include "source/postgres/values/text_parsers.hpp"

#include <array>
#include <cstdio>
#include <cstring>
#include <utility>

#include "event/value_math.hpp"

namespace tributary::source::postgres::text {
namespace {

constexpr int64_t kMicrosPerSecond = 1'000'000;
constexpr int64_t kMicrosPerDay = 86'400LL * kMicrosPerSecond;
/// Largest |days| whose microseconds still fit in int64.
constexpr int64_t kMaxTimestampDays = INT64_MAX / kMicrosPerDay - 1;

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

Error corrupt(std::string reason) {
  return Error::corrupt(std::move(reason));
}

/// Reads between `min_digits` and `max_digits` decimal digits at `pos`.
bool read_number(std::string_view text, std::size_t& pos, std::size_t min_digits,
                 std::size_t max_digits, int64_t& value) {
  std::size_t start = pos;
  value = 0;
  while (pos < text.size() && is_digit(text[pos]) && pos - start < max_digits) {
    value = value * 10 + (text[pos] - '0');
    ++pos;
  }
  std::size_t count = pos - start;
  if (count < min_digits) return false;
  // More digits than allowed: the field is malformed, not just long.
  return !(pos < text.size() && is_digit(text[pos]));
}

bool expect(std::string_view text, std::size_t& pos, char c) {
  if (pos >= text.size() || text[pos] != c) return false;
  ++pos;
  return true;
}

bool is_leap(int64_t year) {
  return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

unsigned days_in_month(int64_t year, unsigned month) {
  static constexpr std::array<unsigned, 12> kDays = {31, 28, 31, 30, 31, 30,
                                                     31, 31, 30, 31, 30, 31};
  return month == 2 && is_leap(year) ? 29 : kDays[month - 1];
}

/// "YYYY-MM-DD" at `pos` (year 1+ digits, as printed by PostgreSQL; not yet BC-adjusted).
bool read_date_fields(std::string_view text, std::size_t& pos, int64_t& year, unsigned& month,
                      unsigned& day) {
  int64_t y = 0, m = 0, d = 0;
  if (!read_number(text, pos, 1, 9, y) || !expect(text, pos, '-') ||
      !read_number(text, pos, 2, 2, m) || !expect(text, pos, '-') ||
      !read_number(text, pos, 2, 2, d)) {
    return false;
  }
  if (m < 1 || m > 12 || d < 1) return false;
  year = y;
  month = static_cast<unsigned>(m);
  day = static_cast<unsigned>(d);
  return true;
}

/// Checks the day against the month and turns a BC year into an astronomical one.
bool finish_date(int64_t& year, unsigned month, unsigned day, bool bc) {
  if (bc) {
    if (year < 1) return false;
    year = 1 - year;
  }
  return day <= days_in_month(year, month);
}

/// "HH:MM:SS[.ffffff]" at `pos`; hour 24 is allowed only as 24:00:00 and only when `allow_24`.
bool read_time_fields(std::string_view text, std::size_t& pos, bool allow_24, int64_t& micros) {
  int64_t h = 0, m = 0, s = 0;
  if (!read_number(text, pos, 2, 2, h) || !expect(text, pos, ':') ||
      !read_number(text, pos, 2, 2, m) || !expect(text, pos, ':') ||
      !read_number(text, pos, 2, 2, s)) {
    return false;
  }
  int64_t fraction = 0;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    std::size_t start = pos;
    if (!read_number(text, pos, 1, 6, fraction)) return false;
    for (std::size_t digits = pos - start; digits < 6; ++digits) fraction *= 10;
  }
  if (m > 59 || s > 59) return false;
  if (h > 24 || (h == 24 && (!allow_24 || m != 0 || s != 0 || fraction != 0))) return false;
  micros = ((h * 60 + m) * 60 + s) * kMicrosPerSecond + fraction;
  return true;
}

/// A zone offset "+HH[:MM[:SS]]" / "-..." at `pos` -> signed microseconds east of UTC.
bool read_offset(std::string_view text, std::size_t& pos, int64_t& offset) {
  if (pos >= text.size() || (text[pos] != '+' && text[pos] != '-')) return false;
  const int64_t sign = text[pos] == '-' ? -1 : 1;
  ++pos;
  int64_t oh = 0, om = 0, os = 0;
  if (!read_number(text, pos, 2, 2, oh)) return false;
  if (pos + 1 < text.size() && text[pos] == ':' && is_digit(text[pos + 1])) {
    ++pos;
    if (!read_number(text, pos, 2, 2, om)) return false;
    if (pos + 1 < text.size() && text[pos] == ':' && is_digit(text[pos + 1])) {
      ++pos;
      if (!read_number(text, pos, 2, 2, os)) return false;
    }
  }
  if (om > 59 || os > 59) return false;
  offset = sign * ((oh * 60 + om) * 60 + os) * kMicrosPerSecond;
  return true;
}

/// " BC" suffix at `pos`, consumed when present.
bool read_bc(std::string_view text, std::size_t& pos) {
  if (text.substr(pos) == " BC") {
    pos += 3;
    return true;
  }
  return false;
}

/// Parsed "YYYY-MM-DD HH:MM:SS[.f]" (+ offset) in microseconds, zone not yet applied.
bool read_timestamp(std::string_view text, std::size_t& pos, int64_t& micros, int64_t& year,
                    unsigned& month, unsigned& day) {
  return read_date_fields(text, pos, year, month, day) && expect(text, pos, ' ') &&
         read_time_fields(text, pos, false, micros);
}

bool days_in_timestamp_range(int64_t days) {
  return days >= -kMaxTimestampDays && days <= kMaxTimestampDays;
}

/// "[+-]digits" at `pos`: one interval field. At most 10 digits, enough for any field PostgreSQL
/// prints (years, months and days are int32; hours are at most 2562047788).
bool read_interval_field(std::string_view text, std::size_t& pos, bool& negative, int64_t& value) {
  negative = false;
  if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    negative = text[pos] == '-';
    ++pos;
  }
  if (!read_number(text, pos, 1, 10, value)) return false;
  if (negative) value = -value;
  return true;
}

/// The unit word after an interval field: 0 year, 1 month, 2 day; -1 for anything else.
int interval_unit(std::string_view word) {
  if (word == "year" || word == "years") return 0;
  if (word == "mon" || word == "mons") return 1;
  if (word == "day" || word == "days") return 2;
  return -1;
}

// --- big integers for decimals ---------------------------------------------------------------

/// Accumulates decimal digits into a little-endian base-2^32 magnitude.
class Magnitude {
 public:
  void push(char digit) {
    chunk_ = chunk_ * 10 + static_cast<uint32_t>(digit - '0');
    if (++chunk_digits_ == 9) flush();
  }
  void flush() {
    if (chunk_digits_ == 0) return;
    static constexpr std::array<uint32_t, 10> kPow10 = {
        1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000, 1000000000};
    uint64_t carry = chunk_;
    const uint64_t factor = kPow10[chunk_digits_];
    for (uint32_t& limb : limbs_) {
      uint64_t v = static_cast<uint64_t>(limb) * factor + carry;
      limb = static_cast<uint32_t>(v);
      carry = v >> 32;
    }
    if (carry != 0) limbs_.push_back(static_cast<uint32_t>(carry));
    chunk_ = 0;
    chunk_digits_ = 0;
  }
  /// Big-endian magnitude bytes without leading zeros (empty for zero).
  void big_endian(std::string& out) const {
    out.clear();
    bool leading = true;
    for (std::size_t i = limbs_.size(); i-- > 0;) {
      for (int shift = 24; shift >= 0; shift -= 8) {
        auto byte = static_cast<unsigned char>(limbs_[i] >> shift);
        if (leading && byte == 0) continue;
        leading = false;
        out.push_back(static_cast<char>(byte));
      }
    }
  }

 private:
  std::vector<uint32_t> limbs_;
  uint32_t chunk_ = 0;
  int chunk_digits_ = 0;
};

/// Minimal two's complement of an int64, big-endian (Java BigInteger.toByteArray).
void int64_twos_complement(int64_t value, std::string& out) {
  std::array<unsigned char, 8> bytes{};
  for (int i = 0; i < 8; ++i) bytes[i] = static_cast<unsigned char>(value >> (56 - 8 * i));
  int start = 0;
  while (start < 7 && ((bytes[start] == 0x00 && (bytes[start + 1] & 0x80) == 0) ||
                       (bytes[start] == 0xff && (bytes[start + 1] & 0x80) != 0))) {
    ++start;
  }
  out.assign(reinterpret_cast<const char*>(bytes.data()) + start, 8 - start);
}

struct DecimalParts {
  bool negative = false;
  std::string_view integer;   ///< digits before the point (may be empty)
  std::string_view fraction;  ///< digits after the point (may be empty)
};

Result<DecimalParts> split_decimal(std::string_view text) {
  if (text == "NaN" || text == "Infinity" || text == "-Infinity") {
    return corrupt("the special value " + std::string(text) +
                   " has no Debezium decimal representation (Debezium's precise decimal mode "
                   "rejects it too)");
  }
  DecimalParts parts;
  std::size_t pos = 0;
  if (pos < text.size() && (text[pos] == '-' || text[pos] == '+')) {
    parts.negative = text[pos] == '-';
    ++pos;
  }
  std::size_t start = pos;
  while (pos < text.size() && is_digit(text[pos])) ++pos;
  parts.integer = text.substr(start, pos - start);
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    start = pos;
    while (pos < text.size() && is_digit(text[pos])) ++pos;
    parts.fraction = text.substr(start, pos - start);
  }
  if (pos != text.size() || (parts.integer.empty() && parts.fraction.empty())) {
    return corrupt("not a decimal number");
  }
  return parts;
}

/// Unscaled value = sign * (integer digits, fraction digits, `zeros` zeros) -> two's complement.
void encode_unscaled(const DecimalParts& parts, std::string_view fraction, std::size_t zeros,
                     std::string& out) {
  std::string_view integer = parts.integer;
  while (!integer.empty() && integer.front() == '0') integer.remove_prefix(1);
  if (integer.empty()) {
    while (!fraction.empty() && fraction.front() == '0') fraction.remove_prefix(1);
  }
  const std::size_t digits =
      integer.size() + fraction.size() + (fraction.empty() && integer.empty() ? 0 : zeros);
  if (digits <= 18) {
    int64_t value = 0;
    for (char c : integer) value = value * 10 + (c - '0');
    for (char c : fraction) value = value * 10 + (c - '0');
    if (value != 0) {
      for (std::size_t i = 0; i < zeros; ++i) value *= 10;
    }
    int64_twos_complement(parts.negative ? -value : value, out);
    return;
  }
  Magnitude magnitude;
  for (char c : integer) magnitude.push(c);
  for (char c : fraction) magnitude.push(c);
  for (std::size_t i = 0; i < zeros; ++i) magnitude.push('0');
  magnitude.flush();
  magnitude.big_endian(out);
  event::magnitude_twos_complement(parts.negative, out);
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

Result<void> decimal_unscaled_bytes(std::string_view text, int scale, std::string& out) {
  if (scale < 0) return corrupt("negative decimal scale " + std::to_string(scale));
  auto parts = split_decimal(text);
  if (!parts.ok()) return parts.error();
  std::string_view fraction = parts->fraction;
  std::size_t zeros = 0;
  const auto wanted = static_cast<std::size_t>(scale);
  if (fraction.size() > wanted) {
    for (char c : fraction.substr(wanted)) {
      if (c != '0') {
        return corrupt("has more fractional digits than the column scale " + std::to_string(scale));
      }
    }
    fraction = fraction.substr(0, wanted);
  } else {
    zeros = wanted - fraction.size();
  }
  encode_unscaled(*parts, fraction, zeros, out);
  return {};
}

Result<int32_t> variable_decimal_bytes(std::string_view text, std::string& out) {
  auto parts = split_decimal(text);
  if (!parts.ok()) return parts.error();
  std::string_view fraction = parts->fraction;
  while (!fraction.empty() && fraction.back() == '0') fraction.remove_suffix(1);
  encode_unscaled(*parts, fraction, 0, out);
  return static_cast<int32_t>(fraction.size());
}

Result<void> bytea_from_text(std::string_view text, std::string& out) {
  out.assign(text);
  return bytea_in_place(out);
}

Result<void> bytea_in_place(std::string& text) {
  const std::size_t size = text.size();
  if (size >= 2 && text[0] == '\\' && text[1] == 'x') {
    if (size % 2 != 0) return corrupt("odd number of hex digits in bytea");
    for (std::size_t i = 2; i < size; ++i) {
      if (hex_value(text[i]) < 0) return corrupt("not a hex digit in bytea");
    }
    // Checked first, then decoded over itself (byte k is written at k, read from 2k + 2).
    std::size_t out = 0;
    for (std::size_t i = 2; i < size; i += 2) {
      text[out++] = static_cast<char>(hex_value(text[i]) * 16 + hex_value(text[i + 1]));
    }
    text.resize(out);
    return {};
  }
  // Escape format: printable bytes as is, "\\" for a backslash, "\ooo" octal for the rest.
  auto octal = [&](std::size_t i) {
    return i + 3 < size && text[i + 1] >= '0' && text[i + 1] <= '3' && text[i + 2] >= '0' &&
           text[i + 2] <= '7' && text[i + 3] >= '0' && text[i + 3] <= '7';
  };
  for (std::size_t i = 0; i < size; ++i) {
    if (text[i] != '\\') continue;
    if (i + 1 < size && text[i + 1] == '\\') {
      ++i;
    } else if (octal(i)) {
      i += 3;
    } else {
      return corrupt("bad escape in bytea");
    }
  }
  std::size_t out = 0;  // never past the read index: decoded over itself
  for (std::size_t i = 0; i < size; ++i) {
    if (text[i] != '\\') {
      text[out++] = text[i];
    } else if (text[i + 1] == '\\') {
      text[out++] = '\\';
      ++i;
    } else {
      text[out++] = static_cast<char>((text[i + 1] - '0') * 64 + (text[i + 2] - '0') * 8 +
                                      (text[i + 3] - '0'));
      i += 3;
    }
  }
  text.resize(out);
  return {};
}

Result<int32_t> date_from_text(std::string_view text) {
  if (text == "infinity") return kDatePositiveInfinity;
  if (text == "-infinity") return kDateNegativeInfinity;
  std::size_t pos = 0;
  int64_t year = 0;
  unsigned month = 0, day = 0;
  if (!read_date_fields(text, pos, year, month, day)) return corrupt("not a date (YYYY-MM-DD)");
  bool bc = read_bc(text, pos);
  if (pos != text.size() || !finish_date(year, month, day, bc)) {
    return corrupt("not a date (YYYY-MM-DD)");
  }
  int64_t days = event::days_from_civil(year, month, day);
  if (days <= INT32_MIN || days >= INT32_MAX) return corrupt("date out of range");
  return static_cast<int32_t>(days);
}

Result<int64_t> time_from_text(std::string_view text) {
  std::size_t pos = 0;
  int64_t micros = 0;
  if (!read_time_fields(text, pos, true, micros) || pos != text.size()) {
    return corrupt("not a time (HH:MM:SS[.ffffff])");
  }
  return micros;
}

Result<event::Interval> interval_from_text(std::string_view text) {
  static constexpr const char* kForm =
      "not an interval in IntervalStyle postgres ([N year[s]] [N mon[s]] [N day[s]] "
      "[[+-]HH:MM:SS[.ffffff]])";
  int64_t years = 0, months = 0, days = 0, hours = 0, minutes = 0, seconds = 0, fraction = 0;
  int next_field = 0;  // fields come in the order year, mon, day, time, each at most once
  std::size_t pos = 0;
  while (pos < text.size() || next_field == 0) {
    if (pos > 0 && !expect(text, pos, ' ')) return corrupt(kForm);
    bool negative = false;
    int64_t number = 0;
    if (!read_interval_field(text, pos, negative, number)) return corrupt(kForm);
    if (pos < text.size() && text[pos] == ':') {  // the time part, always last
      if (next_field > 3) return corrupt(kForm);
      ++pos;
      if (!read_number(text, pos, 2, 2, minutes) || !expect(text, pos, ':') ||
          !read_number(text, pos, 2, 2, seconds)) {
        return corrupt(kForm);
      }
      if (pos < text.size() && text[pos] == '.') {
        ++pos;
        const std::size_t start = pos;
        if (!read_number(text, pos, 1, 6, fraction)) return corrupt(kForm);
        for (std::size_t digits = pos - start; digits < 6; ++digits) fraction *= 10;
      }
      if (minutes > 59 || seconds > 59 || pos != text.size()) return corrupt(kForm);
      hours = number;  // already signed
      if (negative) {  // "-00:00:01.5": the sign covers every part, as in pgjdbc's PGInterval
        minutes = -minutes;
        seconds = -seconds;
        fraction = -fraction;
      }
      next_field = 4;
      break;
    }
    if (!expect(text, pos, ' ')) return corrupt(kForm);
    const std::size_t word_start = pos;
    while (pos < text.size() && text[pos] >= 'a' && text[pos] <= 'z') ++pos;
    const int unit = interval_unit(text.substr(word_start, pos - word_start));
    if (unit < next_field) return corrupt(kForm);
    (unit == 0 ? years : unit == 1 ? months : days) = number;
    next_field = unit + 1;
  }
  // Whether the interval fits is decided on the exact sum (an average month is exactly 2629800 s).
  int64_t exact = 0;
  bool overflow = false;
  for (auto [count, unit] :
       {std::pair{years, 12 * 2'629'800 * kMicrosPerSecond},
        std::pair{months, 2'629'800 * kMicrosPerSecond}, std::pair{days, kMicrosPerDay},
        std::pair{hours, 3600 * kMicrosPerSecond}, std::pair{minutes, 60 * kMicrosPerSecond},
        std::pair{seconds, kMicrosPerSecond}, std::pair{fraction, int64_t{1}}}) {
    int64_t product = 0;
    overflow = overflow || __builtin_mul_overflow(count, unit, &product) ||
               __builtin_add_overflow(exact, product, &exact);
  }
  if (overflow) {
    return corrupt(
        "interval out of range for io.debezium.time.MicroDuration (int64 microseconds, about "
        "292271 years either way)");
  }
  // The value is Debezium's: pgjdbc's PGInterval gives int fields and seconds as the double
  // whole + micros / 1e6; MicroDuration.durationMicros(years, months, days, hours, minutes,
  // seconds, DAYS_PER_MONTH_AVG = 365.25 / 12) sums them in double in this order and casts to long.
  // The same IEEE operations in the same order give the same bits (ISO C++ mode: GCC fuses no
  // multiply-add).
  const double days_per_month = 365.25 / 12.0;
  const double second_part = static_cast<double>(seconds) + static_cast<double>(fraction) / 1e6;
  const double total_days =
      static_cast<double>(years * 12 + months) * days_per_month + static_cast<double>(days);
  const double total_seconds =
      ((total_days * 24 + static_cast<double>(hours)) * 60 + static_cast<double>(minutes)) * 60 +
      second_part;
  const double micros = total_seconds * 1e6;
  event::Interval interval;
  // Java's (long) truncates toward zero and saturates; the exact sum fits, so saturation can only
  // come from rounding at the very ends of the range.
  if (micros >= 9223372036854775808.0) {
    interval.micros = INT64_MAX;
  } else if (micros < -9223372036854775808.0) {
    interval.micros = INT64_MIN;
  } else {
    interval.micros = static_cast<int64_t>(micros);
  }
  // The fields (io.debezium.time.Interval): the exact sum fits int64, so each part does; months
  // and days are int in PostgreSQL.
  const int64_t total_months = years * 12 + months;
  if (total_months < INT32_MIN || total_months > INT32_MAX || days < INT32_MIN ||
      days > INT32_MAX) {
    return corrupt("interval months or days out of range");
  }
  interval.months = static_cast<int32_t>(total_months);
  interval.days = static_cast<int32_t>(days);
  interval.time_micros = ((hours * 60 + minutes) * 60 + seconds) * kMicrosPerSecond + fraction;
  return interval;
}

Result<int64_t> interval_micros_from_text(std::string_view text) {
  auto interval = interval_from_text(text);
  if (!interval.ok()) return interval.error();
  return interval->micros;
}

Result<int64_t> timestamp_from_text(std::string_view text) {
  if (text == "infinity") return kTimestampPositiveInfinityMicros;
  if (text == "-infinity") return kTimestampNegativeInfinityMicros;
  std::size_t pos = 0;
  int64_t micros = 0, year = 0;
  unsigned month = 0, day = 0;
  if (!read_timestamp(text, pos, micros, year, month, day)) {
    return corrupt("not a timestamp (YYYY-MM-DD HH:MM:SS[.ffffff])");
  }
  bool bc = read_bc(text, pos);
  if (pos != text.size() || !finish_date(year, month, day, bc)) {
    return corrupt("not a timestamp (YYYY-MM-DD HH:MM:SS[.ffffff])");
  }
  const int64_t days = event::days_from_civil(year, month, day);
  if (!days_in_timestamp_range(days)) return corrupt("timestamp out of range");
  return days * kMicrosPerDay + micros;
}

Result<event::ZonedTimestamp> timestamptz_from_text(std::string_view text) {
  if (text == "infinity") return event::ZonedTimestamp{0, 1};
  if (text == "-infinity") return event::ZonedTimestamp{0, -1};
  static constexpr const char* kForm =
      "not a timestamp with time zone (YYYY-MM-DD HH:MM:SS[.ffffff]+HH[:MM[:SS]])";
  std::size_t pos = 0;
  int64_t micros = 0, year = 0;
  unsigned month = 0, day = 0;
  if (!read_timestamp(text, pos, micros, year, month, day)) return corrupt(kForm);
  int64_t offset = 0;
  if (!read_offset(text, pos, offset)) return corrupt(kForm);
  bool bc = read_bc(text, pos);
  if (pos != text.size() || !finish_date(year, month, day, bc)) return corrupt(kForm);
  const int64_t days = event::days_from_civil(year, month, day);
  if (!days_in_timestamp_range(days)) return corrupt("timestamp out of range");
  return event::ZonedTimestamp{days * kMicrosPerDay + micros - offset, 0};
}

Result<std::string> timetz_from_text(std::string_view text) {
  static constexpr const char* kForm = "not a time with time zone (HH:MM:SS[.ffffff]+HH[:MM[:SS]])";
  std::size_t pos = 0;
  int64_t micros = 0, offset = 0;
  if (!read_time_fields(text, pos, true, micros) || !read_offset(text, pos, offset) ||
      pos != text.size()) {
    return corrupt(kForm);
  }
  // OffsetTime.withOffsetSameInstant(UTC): the time of day wraps around midnight.
  int64_t utc = (micros - offset) % kMicrosPerDay;
  if (utc < 0) utc += kMicrosPerDay;
  const int64_t seconds = utc / kMicrosPerSecond;
  int64_t fraction = utc % kMicrosPerSecond;
  char out[32];
  int n = std::snprintf(
      out, sizeof out, "%02lld:%02lld:%02lld", static_cast<long long>(seconds / 3600),
      static_cast<long long>(seconds / 60 % 60), static_cast<long long>(seconds % 60));
  std::string result(out, static_cast<std::size_t>(n));
  if (fraction != 0) {
    // DateTimeFormatter.ISO_OFFSET_TIME: as many fractional digits as the value needs.
    int digits = 6;
    while (fraction % 10 == 0) {
      fraction /= 10;
      --digits;
    }
    n = std::snprintf(out, sizeof out, ".%0*lld", digits, static_cast<long long>(fraction));
    result.append(out, static_cast<std::size_t>(n));
  }
  result += 'Z';
  return result;
}

}  // namespace tributary::source::postgres::text
