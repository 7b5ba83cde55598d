// Primary-key chunk planning (see chunking.hpp).
#include "source/mysql/chunking.hpp"

#include <algorithm>

namespace tributary::source::mysql {

std::optional<std::size_t> chunk_key(const event::TableSchema& schema) {
  if (schema.key_columns.size() != 1) return std::nullopt;
  const std::size_t index = schema.key_columns.front();
  if (index >= schema.columns.size()) return std::nullopt;
  switch (schema.columns[index].type.kind) {
    case event::TypeKind::kInt16:
    case event::TypeKind::kInt32:
    case event::TypeKind::kInt64:
      return index;
    default:
      return std::nullopt;
  }
}

bool should_chunk(uint64_t estimate, uint64_t chunk_rows, std::size_t connections) {
  if (connections < 2 || chunk_rows == 0) return false;
  return static_cast<__int128>(estimate) >
         static_cast<__int128>(chunk_rows) * static_cast<__int128>(connections);
}

std::vector<KeyRange> plan_ranges(__int128 min, __int128 max, uint64_t estimate,
                                  uint64_t chunk_rows, std::size_t connections) {
  if (max < min || chunk_rows == 0) return {KeyRange{}};
  uint64_t wanted = estimate / chunk_rows + (estimate % chunk_rows != 0 ? 1 : 0);
  wanted = std::max<uint64_t>(wanted, connections);
  wanted = std::min<uint64_t>(wanted, kMaxChunks);
  const __int128 span = max - min + 1;  // <= 2^64: no overflow in 128 bits
  const __int128 chunks = std::min<__int128>(static_cast<__int128>(wanted), span);
  std::vector<KeyRange> ranges;
  ranges.reserve(static_cast<std::size_t>(chunks));
  std::optional<__int128> from;
  for (__int128 i = 1; i < chunks; ++i) {
    const __int128 bound = min + span * i / chunks;  // strictly increasing: chunks <= span
    ranges.push_back(KeyRange{from, bound});
    from = bound;
  }
  ranges.push_back(KeyRange{from, std::nullopt});
  return ranges;
}

std::string integer_text(__int128 value) {
  if (value == 0) return "0";
  const bool negative = value < 0;
  // Digits of the magnitude, taken from the negative side so the minimum does not overflow.
  std::string digits;
  while (value != 0) {
    const int digit = static_cast<int>(value % 10);
    digits.push_back(static_cast<char>('0' + (digit < 0 ? -digit : digit)));
    value /= 10;
  }
  if (negative) digits.push_back('-');
  std::reverse(digits.begin(), digits.end());
  return digits;
}

std::optional<__int128> parse_integer(std::string_view text) {
  bool negative = false;
  if (!text.empty() && (text.front() == '-' || text.front() == '+')) {
    negative = text.front() == '-';
    text.remove_prefix(1);
  }
  if (text.empty() || text.size() > 20) return std::nullopt;  // |BIGINT| < 2^64 has <= 20 digits
  __int128 value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  return negative ? -value : value;
}

std::string range_condition(std::string_view quoted_column, const KeyRange& range) {
  std::string condition;
  if (range.from) condition = std::string(quoted_column) + " >= " + integer_text(*range.from);
  if (range.to) {
    if (!condition.empty()) condition += " AND ";
    condition += std::string(quoted_column) + " < " + integer_text(*range.to);
  }
  return condition;
}

}  // namespace tributary::source::mysql
