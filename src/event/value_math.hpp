// Arithmetic every source needs to build typed values: calendar days, Decimal's unscaled bytes.
#pragma once

#include <cstdint>
#include <string>

namespace tributary::event {

/// Days since 1970-01-01 of a proleptic Gregorian date; `year` is astronomical (1 BC = 0).
int64_t days_from_civil(int64_t year, unsigned month, unsigned day);
/// The inverse: days since 1970-01-01 -> proleptic Gregorian year (astronomical), month, day.
void civil_from_days(int64_t days, int64_t& year, unsigned& month, unsigned& day);

/// Big-endian magnitude bytes (leading zero bytes allowed; empty = zero) -> the minimal
/// two's-complement big-endian form of +magnitude or -magnitude (Java BigInteger.toByteArray, what
/// event::Decimal::unscaled holds), in place. Zero is one 0x00 byte.
void magnitude_twos_complement(bool negative, std::string& bytes);

}  // namespace tributary::event
