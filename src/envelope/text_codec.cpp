// The encodings Debezium's JSON uses: base64 and ISO-8601 instants. Source-neutral.
#include "envelope/text_codec.hpp"

#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <system_error>

#include "event/value_math.hpp"

namespace tributary::envelope::codec {
namespace {

constexpr int64_t kMicrosPerSecond = 1'000'000;
constexpr int64_t kMicrosPerDay = 86'400LL * kMicrosPerSecond;

void append_padded(std::string& out, int64_t value, int width) {
  char digits[24];
  int n = 0;
  do {
    digits[n++] = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value > 0);
  for (int i = n; i < width; ++i) out.push_back('0');
  while (n > 0) out.push_back(digits[--n]);
}

/// Decimal digits (no leading or trailing zeros) and the exponent of the first: value =
/// d1.d2d3... * 10^exponent.
struct Digits {
  char text[32];
  int count = 0;
  int exponent = 0;
};

/// Reads to_chars' scientific form ("1.25e-07", "5e-324") into `out`, trailing zeros dropped.
void read_scientific(const char* begin, const char* end, Digits& out) {
  out.count = 0;
  const char* p = begin;
  for (; p != end && *p != 'e'; ++p) {
    if (*p != '.') out.text[out.count++] = *p;
  }
  int exponent = 0;
  std::from_chars(p + 1 + (p[1] == '+' ? 1 : 0), end, exponent);
  out.exponent = exponent;
  while (out.count > 1 && out.text[out.count - 1] == '0') --out.count;
}

template <class Float>
struct FloatBits;
template <>
struct FloatBits<float> {
  using Raw = uint32_t;
  static constexpr int kMantissaBits = 23;
  static constexpr int kBias = 127;
};
template <>
struct FloatBits<double> {
  using Raw = uint64_t;
  static constexpr int kMantissaBits = 52;
  static constexpr int kBias = 1023;
};

/// The digits JDK 17 writes for `value` (finite, > 0).
template <class Float>
void java_digits(Float value, Digits& out) {
  using Bits = FloatBits<Float>;
  typename Bits::Raw raw;
  std::memcpy(&raw, &value, sizeof(raw));
  const int biased = static_cast<int>(raw >> Bits::kMantissaBits);
  const int binary_exponent = biased - Bits::kBias;
  if (biased != 0 && binary_exponent >= Bits::kMantissaBits && binary_exponent <= 62) {
    // An integer below 2^63: JDK 17 prints its exact digits but for the low ones that carry no
    // information at this binade (about log10 2 per bit past mantissa bits + 2), rounded half up.
    uint64_t integer = static_cast<uint64_t>(value);
    const int spare_bits = binary_exponent - Bits::kMantissaBits - 2;
    const int insignificant = spare_bits > 0 ? spare_bits * 30103 / 100000 : 0;
    if (insignificant > 0) {
      uint64_t power = 1;
      for (int i = 0; i < insignificant; ++i) power *= 10;
      const uint64_t rest = integer % power;
      integer /= power;
      if (rest >= power / 2) ++integer;
    }
    auto [end, ec] = std::to_chars(out.text, out.text + sizeof(out.text), integer);
    (void)ec;
    out.count = static_cast<int>(end - out.text);
    out.exponent = out.count - 1 + insignificant;
    while (out.count > 1 && out.text[out.count - 1] == '0') --out.count;
    return;
  }
  char buffer[64];
  auto shortest =
      std::to_chars(buffer, buffer + sizeof(buffer), value, std::chars_format::scientific);
  read_scientific(buffer, shortest.ptr, out);
  if (out.count != 1) return;
  // One digit reads back, but Java writes two: the two-digit decimal closest to the value, when it
  // reads back too (the smallest subnormals: 1.4E-45, 4.9E-324).
  auto two =
      std::to_chars(buffer, buffer + sizeof(buffer), value, std::chars_format::scientific, 1);
  Float back{};
  std::from_chars(buffer, two.ptr, back);
  if (back == value) read_scientific(buffer, two.ptr, out);
}

/// Java's layout of the digits: plain from 10^-3 up to below 10^7, else d.dddE<exponent>.
void append_java_layout(const Digits& digits, std::string& out) {
  const int e = digits.exponent;
  if (e >= 0 && e < 7) {
    for (int i = 0; i <= e; ++i) out.push_back(i < digits.count ? digits.text[i] : '0');
    out.push_back('.');
    if (digits.count > e + 1) {
      out.append(digits.text + e + 1, digits.text + digits.count);
    } else {
      out.push_back('0');
    }
  } else if (e < 0 && e >= -3) {
    out.append("0.");
    for (int i = -1; i > e; --i) out.push_back('0');
    out.append(digits.text, digits.text + digits.count);
  } else {
    out.push_back(digits.text[0]);
    out.push_back('.');
    if (digits.count > 1) {
      out.append(digits.text + 1, digits.text + digits.count);
    } else {
      out.push_back('0');
    }
    out.push_back('E');
    char exponent[8];
    auto [end, ec] = std::to_chars(exponent, exponent + sizeof(exponent), e);
    (void)ec;
    out.append(exponent, end);
  }
}

template <class Float>
void append_java(Float value, std::string& out) {
  if (std::signbit(value)) out.push_back('-');
  value = std::fabs(value);
  if (value == 0) {
    out.append("0.0");
    return;
  }
  Digits digits;
  java_digits(value, digits);
  append_java_layout(digits, out);
}

}  // namespace

void append_java_float(float value, std::string& out) {
  append_java(value, out);
}

void append_java_double(double value, std::string& out) {
  append_java(value, out);
}

void append_base64(std::string_view bytes, std::string& out) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  out.reserve(out.size() + (bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  auto at = [&](std::size_t k) {
    return static_cast<uint32_t>(static_cast<unsigned char>(bytes[k]));
  };
  for (; i + 3 <= bytes.size(); i += 3) {
    uint32_t v = (at(i) << 16) | (at(i + 1) << 8) | at(i + 2);
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(kAlphabet[(v >> 6) & 63]);
    out.push_back(kAlphabet[v & 63]);
  }
  if (bytes.size() - i == 1) {
    uint32_t v = at(i) << 16;
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.append("==");
  } else if (bytes.size() - i == 2) {
    uint32_t v = (at(i) << 16) | (at(i + 1) << 8);
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(kAlphabet[(v >> 6) & 63]);
    out.push_back('=');
  }
}

void append_iso_utc(int64_t micros, int fraction_digits, std::string& out) {
  int64_t days = micros / kMicrosPerDay;
  int64_t in_day = micros % kMicrosPerDay;
  if (in_day < 0) {
    in_day += kMicrosPerDay;
    --days;
  }
  int64_t year = 0;
  unsigned month = 0, day = 0;
  event::civil_from_days(days, year, month, day);
  // java.time's ISO_LOCAL_DATE: 4 digits for 0000-9999, else a sign and at least 4 digits.
  if (year > 9999) {
    out.push_back('+');
    append_padded(out, year, 4);
  } else if (year < 0) {
    out.push_back('-');
    append_padded(out, -year, 4);
  } else {
    append_padded(out, year, 4);
  }
  out.push_back('-');
  append_padded(out, month, 2);
  out.push_back('-');
  append_padded(out, day, 2);
  out.push_back('T');
  const int64_t seconds = in_day / kMicrosPerSecond;
  int64_t fraction = in_day % kMicrosPerSecond;
  append_padded(out, seconds / 3600, 2);
  out.push_back(':');
  append_padded(out, seconds / 60 % 60, 2);
  out.push_back(':');
  append_padded(out, seconds % 60, 2);
  if (fraction_digits > 0) {
    int digits = fraction_digits > 6 ? 6 : fraction_digits;
    for (int i = digits; i < 6; ++i) fraction /= 10;
    out.push_back('.');
    append_padded(out, fraction, digits);
  } else if (fraction != 0) {
    int digits = 6;
    while (fraction % 10 == 0) {
      fraction /= 10;
      --digits;
    }
    out.push_back('.');
    append_padded(out, fraction, digits);
  }
  out.push_back('Z');
}

}  // namespace tributary::envelope::codec
