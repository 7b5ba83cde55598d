// PostgreSQL money and bit/varbit text -> the values Debezium writes for them.
#include <cctype>

#include "source/postgres/values/text_parsers.hpp"

namespace tributary::source::postgres::text {

// cash_out text in a dot-decimal locale: ["-" | "("] [currency symbol] digits {"," digits}
// ["." digits] [")"], e.g. "$1,234.56", "-$0.01", "($5.00)". As Debezium's PostgresMoney.parse:
// a leading '-' or '(' makes it negative; the symbol and thousands separators are dropped.
Result<void> money_unscaled_bytes(std::string_view text, std::string& out) {
  if (text.empty()) return Error::corrupt("empty money text");
  const bool negative = text.front() == '-' || text.front() == '(';
  std::string number;
  number.reserve(text.size() + 1);
  if (negative) number += '-';
  std::size_t i = negative ? 1 : 0;
  if (text.back() == ')') {
    if (text.front() != '(') return Error::corrupt("not a money value (unbalanced parenthesis)");
    text.remove_suffix(1);
  }
  // The currency symbol: anything before the first digit or '.' (it may be several bytes).
  while (i < text.size() && !std::isdigit(static_cast<unsigned char>(text[i])) && text[i] != '.') {
    ++i;
  }
  bool digits = false;
  for (; i < text.size(); ++i) {
    const char c = text[i];
    if (c == ',') continue;
    if (!std::isdigit(static_cast<unsigned char>(c)) && c != '.') {
      return Error::corrupt("not a money value (lc_monetary must use '.' as decimal point)");
    }
    digits = digits || c != '.';
    number += c;
  }
  if (!digits) return Error::corrupt("not a money value (no digits)");
  return decimal_unscaled_bytes(number, kMoneyScale, out);
}

// bit_out / varbit_out text: '0' and '1', most significant first ("0101" is 5).
Result<void> bits_little_endian(std::string_view text, std::string& out) {
  out.clear();
  std::size_t highest = 0;  // one past the highest set bit (Java BitSet.length())
  const std::size_t length = text.size();
  for (std::size_t i = 0; i < length; ++i) {
    const char c = text[i];
    if (c != '0' && c != '1') return Error::corrupt("not a bit string (0 and 1 only)");
    if (c == '1' && highest == 0) highest = length - i;
  }
  out.assign((highest + 7) / 8, '\0');
  for (std::size_t bit = 0; bit < highest; ++bit) {
    if (text[length - 1 - bit] == '1') {
      out[bit / 8] =
          static_cast<char>(static_cast<unsigned char>(out[bit / 8]) | (1u << (bit % 8)));
    }
  }
  return {};
}

}  // namespace tributary::source::postgres::text
