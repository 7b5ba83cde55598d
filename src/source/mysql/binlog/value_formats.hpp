// MySQL's binary forms of DECIMAL and the temporal types, shared by the row decoder and the
// binary JSON decoder.
#pragma once

#include <cstdint>
#include <string>

#include "event/change_event.hpp"
#include "event/value_math.hpp"
#include "source/mysql/binlog/byte_reader.hpp"

namespace tributary::source::mysql::binlog {

/// Bytes a NEWDECIMAL(precision, scale) value takes.
std::size_t decimal_size(int precision, int scale);
/// Reads a NEWDECIMAL(precision, scale) value (layout in value_formats.cpp). On bad bytes the
/// reader fails and the result is unspecified.
event::Decimal read_decimal(ByteReader& reader, int precision, int scale);
/// "-12.50" for Decimal{unscaled -1250, scale 2}.
std::string decimal_text(const event::Decimal& decimal);

using event::days_from_civil;

/// A broken-down MySQL date/time; `negative` only for TIME.
struct DateTimeParts {
  int64_t year = 0;
  unsigned month = 0, day = 0, hour = 0, minute = 0, second = 0;
  uint32_t micros = 0;
  bool negative = false;
  /// Month or day 0 ('0000-00-00', '2020-00-10'): no real date.
  bool zero_date() const { return month == 0 || day == 0; }
  int64_t epoch_micros() const;  ///< date and time as µs since 1970-01-01 00:00:00
  int64_t time_micros() const;   ///< hour:minute:second.micros as signed µs (TIME)
};

/// MySQL's in-memory packed forms (my_time.h TIME_to_longlong_*_packed), as binary JSON
/// opaque values and TIME2/DATETIME2 use them:
///   datetime: ((((year * 13 + month) << 5 | day) << 17 | hour << 12 | minute << 6 | second)
///              << 24) + microseconds;
///   time:     ((hour << 12 | minute << 6 | second) << 24) + microseconds, negated if negative.
DateTimeParts unpack_datetime(int64_t packed);
DateTimeParts unpack_time(int64_t packed);

/// "2024-02-29 12:00:00.5", "-838:59:59", "2024-02-29": MySQL's text forms (microseconds shown
/// only when non-zero, trailing zeros kept to 6 digits as MySQL's JSON does).
std::string datetime_text(const DateTimeParts& parts, bool with_time);
std::string time_text(const DateTimeParts& parts);

}  // namespace tributary::source::mysql::binlog
