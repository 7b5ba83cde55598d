// Text forms for pipelines[].types' modes: plain decimals, hex, URL-safe base64, ISO intervals.
#include "envelope/value_modes.hpp"

#include <algorithm>
#include <vector>

namespace tributary::envelope::codec {

void append_plain_decimal(std::string_view unscaled, int scale, std::string& out) {
  const bool negative = !unscaled.empty() && (static_cast<unsigned char>(unscaled[0]) & 0x80) != 0;
  // The magnitude, big-endian: two's complement negated for a negative number.
  std::vector<uint8_t> magnitude(unscaled.begin(), unscaled.end());
  if (negative) {
    bool carry = true;
    for (std::size_t i = magnitude.size(); i-- > 0;) {
      magnitude[i] = static_cast<uint8_t>(~magnitude[i]);
      if (carry) carry = ++magnitude[i] == 0;
    }
  }
  // Base 256 -> base 10^9 by repeated division (numeric has at most ~420 bytes).
  std::vector<uint32_t> chunks;  // little-endian base 10^9
  std::size_t start = 0;
  while (start < magnitude.size()) {
    uint64_t remainder = 0;
    for (std::size_t i = start; i < magnitude.size(); ++i) {
      const uint64_t current = (remainder << 8) | magnitude[i];
      magnitude[i] = static_cast<uint8_t>(current / 1'000'000'000);
      remainder = current % 1'000'000'000;
    }
    chunks.push_back(static_cast<uint32_t>(remainder));
    while (start < magnitude.size() && magnitude[start] == 0) ++start;
  }
  std::string digits;
  for (std::size_t i = chunks.size(); i-- > 0;) {
    std::string part = std::to_string(chunks[i]);
    if (i + 1 != chunks.size()) digits.append(9 - part.size(), '0');
    digits += part;
  }
  if (digits.empty()) digits = "0";
  const auto fraction = static_cast<std::size_t>(std::max(scale, 0));
  if (digits.size() <= fraction) digits.insert(0, fraction + 1 - digits.size(), '0');
  if (negative) out.push_back('-');
  out.append(digits, 0, digits.size() - fraction);
  if (fraction > 0) {
    out.push_back('.');
    out.append(digits, digits.size() - fraction, fraction);
  }
}

void append_hex(std::string_view bytes, std::string& out) {
  static constexpr char kDigits[] = "0123456789abcdef";
  for (char c : bytes) {
    const auto byte = static_cast<unsigned char>(c);
    out.push_back(kDigits[byte >> 4]);
    out.push_back(kDigits[byte & 0xF]);
  }
}

void append_base64_url(std::string_view bytes, std::string& out) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const uint32_t n = (static_cast<uint32_t>(static_cast<unsigned char>(bytes[i])) << 16) |
                       (static_cast<uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8) |
                       static_cast<unsigned char>(bytes[i + 2]);
    out.push_back(kAlphabet[(n >> 18) & 63]);
    out.push_back(kAlphabet[(n >> 12) & 63]);
    out.push_back(kAlphabet[(n >> 6) & 63]);
    out.push_back(kAlphabet[n & 63]);
  }
  const std::size_t rest = bytes.size() - i;
  if (rest == 0) return;
  uint32_t n = static_cast<uint32_t>(static_cast<unsigned char>(bytes[i])) << 16;
  if (rest == 2) n |= static_cast<uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8;
  out.push_back(kAlphabet[(n >> 18) & 63]);
  out.push_back(kAlphabet[(n >> 12) & 63]);
  out.push_back(rest == 2 ? kAlphabet[(n >> 6) & 63] : '=');
  out.push_back('=');
}

void append_iso_interval(int32_t months, int32_t days, int64_t time_micros, std::string& out) {
  constexpr int64_t kMicrosPerSecond = 1'000'000;
  const int64_t hours = time_micros / (3600 * kMicrosPerSecond);
  const int64_t minutes = time_micros / (60 * kMicrosPerSecond) % 60;
  const int64_t second_micros = time_micros % (60 * kMicrosPerSecond);
  out.push_back('P');
  out += std::to_string(months / 12);
  out.push_back('Y');
  out += std::to_string(months % 12);
  out.push_back('M');
  out += std::to_string(days);
  out += "DT";
  out += std::to_string(hours);
  out.push_back('H');
  out += std::to_string(minutes);
  out.push_back('M');
  if (second_micros < 0) out.push_back('-');
  const int64_t magnitude = second_micros < 0 ? -second_micros : second_micros;
  out += std::to_string(magnitude / kMicrosPerSecond);
  if (int64_t fraction = magnitude % kMicrosPerSecond; fraction != 0) {
    std::string digits = std::to_string(fraction);
    digits.insert(0, 6 - digits.size(), '0');
    while (digits.back() == '0') digits.pop_back();
    out.push_back('.');
    out += digits;
  }
  out.push_back('S');
}

}  // namespace tributary::envelope::codec
