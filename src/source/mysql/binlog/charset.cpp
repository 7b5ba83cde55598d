// Collation ids -> character sets, UTF-8 validation and latin1 (cp1252) -> UTF-8.
#include "source/mysql/binlog/charset.hpp"

#include <array>

namespace tributary::source::mysql::binlog {

Charset charset_of(int32_t collation) {
  if (collation < 0) return Charset::kUtf8mb4;
  int32_t id = collation;
  // MariaDB's UCA 14.0 collations (10.10+): utf8mb3 at 2048-2303, utf8mb4 at 2304-2559.
  if (id >= 2048 && id < 2304) return Charset::kUtf8mb3;
  if (id >= 2304 && id < 2560) return Charset::kUtf8mb4;
  // MariaDB's NO PAD variants are the PAD collation's id + 1024.
  if (id >= 1024 && id < 2048) id -= 1024;
  switch (id) {
    case 63:
      return Charset::kBinary;
    case 5:
    case 8:
    case 15:
    case 31:
    case 47:
    case 48:
    case 49:
    case 94:
      return Charset::kLatin1;
    case 11:
    case 65:
      return Charset::kAscii;
    case 33:
    case 76:
    case 83:
    case 223:
      return Charset::kUtf8mb3;
    case 45:
    case 46:
      return Charset::kUtf8mb4;
    default:
      break;
  }
  if (id >= 192 && id <= 215) return Charset::kUtf8mb3;
  if (id >= 224 && id <= 247) return Charset::kUtf8mb4;
  if (id >= 255 && id <= 323) return Charset::kUtf8mb4;  // MySQL 8's utf8mb4_0900_* family
  return Charset::kOther;
}

std::string charset_name(int32_t collation) {
  switch (charset_of(collation)) {
    case Charset::kUtf8mb4:
      return "utf8mb4";
    case Charset::kUtf8mb3:
      return "utf8mb3";
    case Charset::kLatin1:
      return "latin1";
    case Charset::kAscii:
      return "ascii";
    case Charset::kBinary:
      return "binary";
    case Charset::kOther:
      break;
  }
  return "collation " + std::to_string(collation);
}

int max_bytes_per_char(Charset charset) {
  switch (charset) {
    case Charset::kUtf8mb4:
      return 4;
    case Charset::kUtf8mb3:
      return 3;
    default:
      return 1;
  }
}

bool valid_utf8(std::string_view bytes) {
  std::size_t i = 0;
  const std::size_t n = bytes.size();
  while (i < n) {
    const auto c = static_cast<unsigned char>(bytes[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    int extra = 0;
    uint32_t code = 0;
    uint32_t minimum = 0;
    if ((c & 0xe0) == 0xc0) {
      extra = 1, code = c & 0x1f, minimum = 0x80;
    } else if ((c & 0xf0) == 0xe0) {
      extra = 2, code = c & 0x0f, minimum = 0x800;
    } else if ((c & 0xf8) == 0xf0) {
      extra = 3, code = c & 0x07, minimum = 0x10000;
    } else {
      return false;
    }
    if (n - i <= static_cast<std::size_t>(extra)) return false;
    for (int k = 1; k <= extra; ++k) {
      const auto next = static_cast<unsigned char>(bytes[i + k]);
      if ((next & 0xc0) != 0x80) return false;
      code = (code << 6) | (next & 0x3f);
    }
    if (code < minimum || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return false;
    i += extra + 1;
  }
  return true;
}

void latin1_to_utf8(std::string_view bytes, std::string& out) {
  // cp1252 0x80-0x9f; the five bytes cp1252 leaves undefined stay C1 controls, as in MySQL.
  static constexpr std::array<uint16_t, 32> kHigh = {
      0x20ac, 0x0081, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021, 0x02c6, 0x2030, 0x0160,
      0x2039, 0x0152, 0x008d, 0x017d, 0x008f, 0x0090, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022,
      0x2013, 0x2014, 0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0x009d, 0x017e, 0x0178};
  out.reserve(out.size() + bytes.size());
  for (unsigned char c : bytes) {
    uint32_t code = c;
    if (c >= 0x80 && c < 0xa0) code = kHigh[c - 0x80];
    if (code < 0x80) {
      out.push_back(static_cast<char>(code));
    } else if (code < 0x800) {
      out.push_back(static_cast<char>(0xc0 | (code >> 6)));
      out.push_back(static_cast<char>(0x80 | (code & 0x3f)));
    } else {
      out.push_back(static_cast<char>(0xe0 | (code >> 12)));
      out.push_back(static_cast<char>(0x80 | ((code >> 6) & 0x3f)));
      out.push_back(static_cast<char>(0x80 | (code & 0x3f)));
    }
  }
}

}  // namespace tributary::source::mysql::binlog
