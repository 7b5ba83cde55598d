// Parsers for PostgreSQL's text output forms, into the units event::Value's typed alternatives hold
// (what Debezium writes). Used by PostgresValueDecoder; the envelope never sees this text.
//
// Every parser takes untrusted text (it came over the wire) and returns an Error of kind kCorrupt
// with a short reason when the text is not in the expected form; the caller adds the column name.
// Expected server settings (the source sets them on its connection): DateStyle ISO,
// bytea_output hex (escape is also read), extra_float_digits >= 1, IntervalStyle postgres.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "event/change_event.hpp"

namespace tributary::source::postgres::text {

/// numeric_out text ("-123.45", "0.00", "99999") -> the unscaled integer at `scale` as Kafka
/// Connect's Decimal stores it: minimal two's-complement big-endian bytes (Java
/// BigInteger.toByteArray). Fewer fractional digits than `scale` are padded; more are allowed only
/// when the extra digits are zeros (Debezium's setScale would throw otherwise). "NaN", "Infinity"
/// and "-Infinity" are errors: Debezium's precise decimal mode rejects them too.
/// Overwrites `out`. `scale` must be >= 0.
Result<void> decimal_unscaled_bytes(std::string_view text, int scale, std::string& out);

/// numeric_out text -> io.debezium.data.VariableScaleDecimal: trailing fractional zeros are
/// stripped (BigDecimal.stripTrailingZeros, never below scale 0); returns the scale and overwrites
/// `out` with the unscaled bytes as for decimal_unscaled_bytes.
Result<int32_t> variable_decimal_bytes(std::string_view text, std::string& out);

/// Debezium's scale for money (money.fraction.digits, default 2).
inline constexpr int kMoneyScale = 2;
/// cash_out text ("$1,234.56", "-$92,233,720,368,547,758.08") -> the unscaled Decimal bytes at
/// kMoneyScale, as decimal_unscaled_bytes (Debezium's decimal.handling.mode precise). Needs a
/// locale whose lc_monetary decimal point is '.' (C, en_*), as Debezium's PostgresMoney does.
Result<void> money_unscaled_bytes(std::string_view text, std::string& out);

/// bit / varbit text ("0101") -> io.debezium.data.Bits: little-endian bytes, bit 0 the rightmost
/// character, cut after the highest set bit as Debezium's PostgresValueConverter.convertBits does
/// (Java BitSet.toByteArray: all zeros give no bytes). Overwrites `out`.
Result<void> bits_little_endian(std::string_view text, std::string& out);

/// bytea text -> bytes. Hex form "\x0a1b" (bytea_output = hex) or escape form ("ab\\\000").
/// Overwrites `out`.
Result<void> bytea_from_text(std::string_view text, std::string& out);
/// The same, decoding `text` over itself (the bytes are never longer than their text); on error
/// `text` is unchanged.
Result<void> bytea_in_place(std::string& text);

/// "infinity" / "-infinity" dates: the days Debezium writes for them, those of the LocalDates its
/// DateTimeFormat.date() returns (PostgresValueConverter.POSITIVE_INFINITY_LOCAL_DATE
/// -5877611-06-21 and NEGATIVE_INFINITY_LOCAL_DATE -5877611-06-22: -infinity is the later day).
inline constexpr int32_t kDatePositiveInfinity = -2147472692;
inline constexpr int32_t kDateNegativeInfinity = -2147472691;
/// "infinity" / "-infinity" timestamps: Debezium's values (pgjdbc's DATE_POSITIVE_INFINITY and
/// DATE_NEGATIVE_INFINITY taken as microseconds), so consumers that special-case them keep working.
inline constexpr int64_t kTimestampPositiveInfinityMicros = 9223372036825200000LL;
inline constexpr int64_t kTimestampNegativeInfinityMicros = -9223372036832400000LL;

/// date text "YYYY-MM-DD[ BC]" (year may have more than 4 digits), "infinity", "-infinity" ->
/// days since 1970-01-01 in the proleptic Gregorian calendar (as PostgreSQL counts).
Result<int32_t> date_from_text(std::string_view text);

/// time text "HH:MM:SS[.ffffff]" (00:00:00 to 24:00:00) -> microseconds past midnight.
Result<int64_t> time_from_text(std::string_view text);

/// timestamp text "YYYY-MM-DD HH:MM:SS[.ffffff][ BC]", "infinity", "-infinity" -> microseconds
/// since the epoch, the wall-clock value taken as UTC (Debezium's Timestamp/MicroTimestamp).
Result<int64_t> timestamp_from_text(std::string_view text);

/// timestamptz text "YYYY-MM-DD HH:MM:SS[.ffffff]+HH[:MM[:SS]][ BC]" -> the instant in
/// microseconds since the epoch, UTC. "infinity" and "-infinity" set `infinity` to +1 / -1 (the
/// envelope writes them as Debezium does, the words as they are).
Result<event::ZonedTimestamp> timestamptz_from_text(std::string_view text);

/// timetz text "HH:MM:SS[.ffffff]+HH[:MM[:SS]]" -> io.debezium.time.ZonedTime: the same instant's
/// time of day in UTC, "HH:MM:SS[.f...]Z" with as many fractional digits as it needs (none when
/// whole), as DateTimeFormatter.ISO_OFFSET_TIME prints it ("10:34:56.789+02" -> "08:34:56.789Z").
Result<std::string> timetz_from_text(std::string_view text);

/// hstore text (`"a"=>"1", "b"=>NULL`) -> the JSON object Debezium's hstore.handling.mode json
/// writes: Jackson's text of a java.util.HashMap of the pairs, so the keys come in HashMap
/// iteration order ({"a":"1","b":null}). Overwrites `out`.
Result<void> hstore_json(std::string_view text, std::string& out);

/// interval text in IntervalStyle postgres ("1 year 2 mons 3 days 04:05:06.789",
/// "-1 years -2 mons +3 days -04:05:06", "3 days", "00:00:00", "-00:00:00.000001") ->
/// io.debezium.time.MicroDuration: microseconds, counting a month as the average 365.25 / 12 days
/// (30.4375) and a day as 24 hours. Computed as Debezium does (MicroDuration.durationMicros over
/// pgjdbc's PGInterval fields, in double precision, truncated toward zero), so the value matches
/// Debezium's even where the double arithmetic is one microsecond off the exact sum
/// ("00:00:01.000001" -> 1000000). An interval whose exact length does not fit int64 microseconds
/// (about 292271 years) is an error: Debezium would saturate at Long.MIN/MAX_VALUE. So is any
/// other IntervalStyle's form, and "infinity" (PostgreSQL 17+).
Result<int64_t> interval_micros_from_text(std::string_view text);
/// The same interval with its fields too (months = years * 12 + months, days, the time part in
/// µs), for interval_handling string (io.debezium.time.Interval).
Result<event::Interval> interval_from_text(std::string_view text);

/// The elements of a one-dimensional array literal in array_out form, unescaped.
/// Reused across calls to avoid allocations: parse_array clears it.
class ArrayElements {
 public:
  struct Element {
    std::size_t offset = 0;
    std::size_t size = 0;
    bool is_null = false;
  };
  void clear() {
    storage_.clear();
    elements_.clear();
  }
  std::size_t size() const { return elements_.size(); }
  bool is_null(std::size_t i) const { return elements_[i].is_null; }
  std::string_view text(std::size_t i) const {
    return std::string_view(storage_).substr(elements_[i].offset, elements_[i].size);
  }

 private:
  friend Result<void> parse_array(std::string_view text, ArrayElements& out);
  std::string storage_;  ///< unescaped element texts back to back
  std::vector<Element> elements_;
};

/// Parses a one-dimensional array literal with ',' as delimiter:
///   [ '[' lower ':' upper ']=' ] '{' [ element { ',' element } ] '}'
///   element := NULL | unquoted-text | '"' { char | '\' char } '"'
/// An unquoted NULL (any case) is a null element; a quoted "NULL" is the string. Whitespace around
/// unquoted elements is ignored as array_in does. Multi-dimensional arrays ("{{1,2},{3,4}}") are an
/// error: Debezium's schema for a PostgreSQL array is one-dimensional.
Result<void> parse_array(std::string_view text, ArrayElements& out);

}  // namespace tributary::source::postgres::text
