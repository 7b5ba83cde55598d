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

/// A finite float / double as Java's Float.toString / Double.toString of JDK 17 writes it, which
/// is what Debezium's JsonConverter output carries (Jackson writes a FloatNode / DoubleNode with
/// them): the shortest digits that read back as the same value, but at least two (the two closest:
/// Float.MIN_VALUE is 1.4E-45, not 1E-45); an integral value from 2^(mantissa bits) up to 2^63
/// written by JDK 17's exact-integer path (its digits, the insignificant low ones rounded away:
/// 3.3559912E7 where the shortest is 3.355991E7); laid out as Java does (1.0E-7, 123.5, 1.0E7,
/// -0.0). JDK 17 is not exact in every case: in some binades its last digit is one off the
/// closest (e.g. float 9.5898316E24 is written 9.5898315E24), which this does not reproduce.
void append_java_float(float value, std::string& out);
void append_java_double(double value, std::string& out);

}  // namespace tributary::envelope::codec
