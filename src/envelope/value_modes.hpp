// The text forms of pipelines[].types' non-default modes (Debezium's decimal.handling.mode string
// and double, binary.handling.mode hex and base64-url-safe, interval.handling.mode string).
// Source-neutral, like text_codec.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace tributary::envelope::codec {

/// A Connect Decimal (unscaled two's-complement big-endian bytes, non-empty; scale >= 0) as
/// java.math.BigDecimal.toPlainString writes it: "-0.01", "1.500", "12", "0.00". Appends to `out`.
void append_plain_decimal(std::string_view unscaled, int scale, std::string& out);

/// Lower-case hex of `bytes` (Debezium's HexConverter), appended to `out`.
void append_hex(std::string_view bytes, std::string& out);

/// RFC 4648 section 5 base64 (URL and file name alphabet), padded, as java.util.Base64's URL
/// encoder writes it, appended to `out`.
void append_base64_url(std::string_view bytes, std::string& out);

/// io.debezium.time.Interval: "P<y>Y<m>M<d>DT<h>H<min>M<s>S" from PostgreSQL's fields (total
/// months, days, the time part in µs), each field signed as pgjdbc's PGInterval gives it (years
/// and months of the total months and hours, minutes, seconds of the time part all truncated
/// toward zero), seconds without trailing fractional zeros: "P1Y2M3DT4H5M6.78S",
/// "P0Y0M-1DT0H0M-1.5S", "P0Y0M0DT0H0M0S". Appends to `out`.
void append_iso_interval(int32_t months, int32_t days, int64_t time_micros, std::string& out);

}  // namespace tributary::envelope::codec
