// The encodings Debezium's JSON uses: base64 and ISO-8601 instants. Source-neutral.
#include "envelope/text_codec.hpp"

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

}  // namespace

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
