// Collation ids -> character sets, and the text conversions the row decoder needs.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace tributary::source::mysql::binlog {

enum class Charset : uint8_t {
  kUtf8mb4,
  kUtf8mb3,
  kLatin1,  ///< MySQL's latin1 is Windows-1252 (with 0x81 0x8d 0x8f 0x90 0x9d as C1 controls)
  kAscii,
  kBinary,  ///< collation 63: the bytes are the value
  kOther,   ///< a character set the decoder does not convert (ucs2, utf16, cp1251, ...)
};

/// The character set of a collation id (MySQL 8 and MariaDB 10.x ids, MariaDB's NO PAD (+1024)
/// and UCA 14.0 ids included). -1 (unknown: no FULL metadata) is treated as utf8mb4.
Charset charset_of(int32_t collation);
/// "utf8mb4", "latin1", ...; "collation <id>" for kOther.
std::string charset_name(int32_t collation);
/// Bytes per character at most (utf8mb4 4, utf8mb3 3, others 1), to turn byte lengths back
/// into the declared CHAR/VARCHAR length.
int max_bytes_per_char(Charset charset);

/// Well-formed UTF-8 (no overlong forms, surrogates or code points past U+10FFFF).
bool valid_utf8(std::string_view bytes);
/// Appends `bytes` (MySQL latin1 = cp1252) to `out` as UTF-8.
void latin1_to_utf8(std::string_view bytes, std::string& out);

}  // namespace tributary::source::mysql::binlog
