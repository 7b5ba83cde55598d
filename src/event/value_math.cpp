#include "event/value_math.hpp"

namespace tributary::event {

int64_t days_from_civil(int64_t year, unsigned month, unsigned day) {
  // Howard Hinnant's days_from_civil: eras of 400 years, March-based years.
  year -= month <= 2 ? 1 : 0;
  const int64_t era = (year >= 0 ? year : year - 399) / 400;
  const auto year_of_era = static_cast<unsigned>(year - era * 400);
  const unsigned day_of_year = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
  const unsigned day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  return era * 146097 + static_cast<int64_t>(day_of_era) - 719468;
}

void civil_from_days(int64_t days, int64_t& year, unsigned& month, unsigned& day) {
  days += 719468;
  const int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const auto doe = static_cast<unsigned>(days - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  day = doy - (153 * mp + 2) / 5 + 1;
  month = mp < 10 ? mp + 3 : mp - 9;
  year = static_cast<int64_t>(yoe) + era * 400 + (month <= 2 ? 1 : 0);
}

void magnitude_twos_complement(bool negative, std::string& bytes) {
  std::size_t zeros = 0;
  while (zeros < bytes.size() && bytes[zeros] == '\0') ++zeros;
  bytes.erase(0, zeros);
  if (bytes.empty()) {
    bytes.assign(1, '\0');
    return;
  }
  // Room for the sign bit, then negate (invert and add one) when negative.
  bytes.insert(bytes.begin(), '\0');
  if (negative) {
    unsigned carry = 1;
    for (std::size_t i = bytes.size(); i-- > 0;) {
      const unsigned value =
          static_cast<unsigned char>(~static_cast<unsigned char>(bytes[i])) + carry;
      bytes[i] = static_cast<char>(value & 0xff);
      carry = value >> 8;
    }
  }
  // Minimal form: drop leading bytes that only repeat the sign.
  std::size_t start = 0;
  while (start + 1 < bytes.size()) {
    const auto first = static_cast<unsigned char>(bytes[start]);
    const auto next = static_cast<unsigned char>(bytes[start + 1]);
    if ((first == 0x00 && (next & 0x80) == 0) || (first == 0xff && (next & 0x80) != 0)) {
      ++start;
    } else {
      break;
    }
  }
  bytes.erase(0, start);
}

}  // namespace tributary::event
