// The encodings Debezium's JSON uses for typed values: base64 for bytes, ISO-8601 UTC strings for
// instants. Source-neutral: the envelope knows no database's text formats (a source's text is
// parsed by the source, e.g. source/postgres/values/text_parsers.hpp).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace tributary::envelope::codec {

/// Appends the standard (RFC 4648, padded) base64 form of `bytes` to `out`.
void append_base64(std::string_view bytes, std::string& out);

/// Microseconds since the epoch -> io.debezium.time.ZonedTimestamp's ISO-8601 UTC form
/// ("2020-09-27T13:37:24.058468Z") appended to `out`, with exactly `fraction_digits` fractional
/// digits when 1-6; when 0, none unless the value has a fraction, which is then written trimmed
/// (java.time's ISO_INSTANT). Years outside 0000-9999 are written as java.time does ("+10000",
/// "-0043").
void append_iso_utc(int64_t micros, int fraction_digits, std::string& out);

}  // namespace tributary::envelope::codec
