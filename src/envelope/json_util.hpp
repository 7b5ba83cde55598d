// Small JSON-writing helpers the envelope's files share (no state, no source knowledge).
#pragma once

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "event/change_event.hpp"

namespace tributary::envelope::detail {

/// Does not validate UTF-8 itself (its validating path is several times slower): names are
/// checked once per table version, option values once, value text per value with valid_utf8.
using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

inline void key(JsonWriter& json, std::string_view name) {
  json.Key(name.data(), static_cast<rapidjson::SizeType>(name.size()));
}
inline void string(JsonWriter& json, std::string_view value) {
  json.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
}

/// {"type":"<type>","optional":<optional>[,"field":"<field>"]}
void primitive_field(JsonWriter& json, std::string_view type, bool optional,
                     std::string_view field);

/// Closes a struct schema: "optional", "name", "version":1 and, when `field` is not empty,
/// "field", then the object.
void struct_tail(JsonWriter& json, bool optional, std::string_view name, std::string_view field);

/// UTF-8 well-formedness (no overlongs, surrogates or code points past U+10FFFF), with an ASCII
/// fast path: most values are ASCII and this runs on every string value.
bool valid_utf8(std::string_view text);

/// Value text for error messages: quoted, cut to a readable length.
std::string quote_for_error(std::string_view text);

/// A value for error messages: "value '<text>'", "integer 5", "decimal (scale 2)", ...
std::string describe(const event::Value& value);

inline int64_t floor_div(int64_t value, int64_t divisor) {
  int64_t quotient = value / divisor;
  return (value % divisor != 0 && value < 0) ? quotient - 1 : quotient;
}

/// µs -> ns for ts_ns, saturating: a commit time from the wire can be any int64 (fuzz finding).
inline int64_t micros_to_nanos(int64_t micros) {
  int64_t nanos = 0;
  if (__builtin_mul_overflow(micros, int64_t{1000}, &nanos)) {
    return micros < 0 ? INT64_MIN : INT64_MAX;
  }
  return nanos;
}

}  // namespace tributary::envelope::detail
