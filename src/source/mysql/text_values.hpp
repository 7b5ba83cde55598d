// MySQL/MariaDB text-protocol values (what SELECT returns) -> the typed event::Value the binlog row
// decoder gives for the same column, so snapshot rows and streamed rows encode alike.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "base/result.hpp"
#include "event/change_event.hpp"

namespace tributary::source::mysql {

/// Converts the text of one non-NULL value of `column` (session character set utf8mb4, time_zone
/// '+00:00', as Connection sets them):
///   kInt16/kInt32/kInt64/kYear: int64_t, range-checked (BIGINT UNSIGNED wraps into int64 as the
///   binlog decoder does, Debezium's `long`); kFloat32: the text read as a float, widened;
///   kFloat64: double; kDecimal: Decimal at the column's scale; kBool (BIT(1)): the raw byte;
///   kBits: BIT's big-endian bytes reversed (Debezium's little-endian Bits); kBytes: the bytes;
///   kString/kEnum/kSet/kJson: the text, checked to be UTF-8 (latin1 columns arrive converted by
///   the server); kDate/kTimestamp/kTimestampTz: days / µs, a zero date ('0000-00-00', month or
///   day 0) Null if the column is nullable, else the epoch; kTime: signed µs.
/// Error::corrupt naming `table`.column, the column's type and the value (cut to 64 bytes).
Result<event::Value> text_value(const event::Column& column, std::string_view text,
                                const std::string& table);

/// "12.50" at scale 2 -> Decimal{unscaled 1250, scale 2}: digits with an optional sign and point;
/// fewer fraction digits than `scale` are padded, more are an error (nullopt). Exposed for tests.
std::optional<event::Decimal> parse_decimal(std::string_view text, int scale);

}  // namespace tributary::source::mysql
