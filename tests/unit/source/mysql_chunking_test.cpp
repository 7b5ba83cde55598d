// MySQL snapshot chunk planning: which tables are chunked, key ranges that cover every key exactly
// once (open first and last ranges, extreme BIGINT / BIGINT UNSIGNED bounds, spans smaller than
// the chunk count), and the WHERE conditions and integer texts the chunk queries use.
#include <catch2/catch.hpp>

#include "source/mysql/chunking.hpp"

namespace tributary::source::mysql {
namespace {

event::TableSchema table(std::vector<event::TypeKind> kinds, std::vector<std::size_t> key) {
  event::TableSchema schema;
  schema.id = {"db", "t"};
  for (std::size_t i = 0; i < kinds.size(); ++i) {
    event::Column column;
    column.name = "c" + std::to_string(i);
    column.type.kind = kinds[i];
    schema.columns.push_back(column);
  }
  for (auto index : key) schema.columns[index].key = true;
  schema.key_columns = std::move(key);
  return schema;
}

/// The range holding `key`; fails unless exactly one does.
std::size_t holder(const std::vector<KeyRange>& ranges, __int128 key) {
  std::size_t found = ranges.size();
  int holders = 0;
  for (std::size_t i = 0; i < ranges.size(); ++i) {
    const auto& r = ranges[i];
    if ((!r.from || *r.from <= key) && (!r.to || key < *r.to)) {
      found = i;
      ++holders;
    }
  }
  REQUIRE(holders == 1);
  return found;
}

/// Ranges are in key order, adjacent (each starts where the previous ended), open at both ends.
void require_partition(const std::vector<KeyRange>& ranges) {
  REQUIRE(!ranges.empty());
  REQUIRE(!ranges.front().from);
  REQUIRE(!ranges.back().to);
  for (std::size_t i = 1; i < ranges.size(); ++i) {
    REQUIRE(ranges[i - 1].to);
    REQUIRE(ranges[i].from == ranges[i - 1].to);
    if (ranges[i].to) REQUIRE(*ranges[i].from < *ranges[i].to);
  }
}

TEST_CASE("only a single-column integer primary key is a chunk key") {
  using K = event::TypeKind;
  CHECK(chunk_key(table({K::kString, K::kInt64}, {1})) == std::optional<std::size_t>(1));
  CHECK(chunk_key(table({K::kInt16}, {0})) == std::optional<std::size_t>(0));
  CHECK(chunk_key(table({K::kInt32, K::kString}, {0})) == std::optional<std::size_t>(0));
  CHECK_FALSE(chunk_key(table({K::kInt32, K::kInt32}, {0, 1})));  // composite
  CHECK_FALSE(chunk_key(table({K::kInt32}, {})));                 // no key
  CHECK_FALSE(chunk_key(table({K::kString}, {0})));
  CHECK_FALSE(chunk_key(table({K::kDecimal}, {0})));
  CHECK_FALSE(chunk_key(table({K::kBool}, {0})));
}

TEST_CASE("a table is chunked above chunk_rows x connections and with more than one connection") {
  CHECK_FALSE(should_chunk(1'000'000, 10'000, 1));
  CHECK_FALSE(should_chunk(20'000, 10'000, 2));
  CHECK(should_chunk(20'001, 10'000, 2));
  CHECK_FALSE(should_chunk(30'000, 10'000, 3));
  CHECK(should_chunk(30'001, 10'000, 3));
  CHECK_FALSE(should_chunk(0, 10'000, 4));
  CHECK_FALSE(should_chunk(1'000'000, 0, 4));
  CHECK(should_chunk(UINT64_MAX, 1'000'000, 64));  // no overflow
}

TEST_CASE("ranges partition the keys: about estimate / chunk_rows, at least one per connection") {
  auto ranges = plan_ranges(1, 100'000, 100'000, 10'000, 2);
  REQUIRE(ranges.size() == 10);
  require_partition(ranges);
  CHECK(*ranges[0].to == 10'001);
  CHECK(*ranges[8].to == 90'001);
  // Every key, and those outside [min, max], in exactly one range; equal sizes in between.
  for (__int128 key = -5; key <= 100'005; ++key) holder(ranges, key);
  CHECK(holder(ranges, 1) == 0);
  CHECK(holder(ranges, 10'000) == 0);
  CHECK(holder(ranges, 10'001) == 1);
  CHECK(holder(ranges, 100'000) == 9);

  // Fewer estimated rows than connections x chunk_rows: still one per connection.
  CHECK(plan_ranges(1, 100, 50, 10'000, 3).size() == 3);
  // A stale, too small estimate never loses rows: the ends are open.
  ranges = plan_ranges(1, 1'000'000, 10, 10'000, 2);
  REQUIRE(ranges.size() == 2);
  CHECK(holder(ranges, 999'999) == 1);
  // Capped.
  CHECK(plan_ranges(0, INT64_MAX, UINT64_MAX, 1, 2).size() == kMaxChunks);
}

TEST_CASE("a span smaller than the chunk count gives one range per key, one key one range") {
  auto ranges = plan_ranges(7, 9, 1'000'000, 10, 4);
  REQUIRE(ranges.size() == 3);
  require_partition(ranges);
  CHECK(holder(ranges, 7) == 0);
  CHECK(holder(ranges, 8) == 1);
  CHECK(holder(ranges, 9) == 2);
  CHECK(plan_ranges(5, 5, 1'000'000, 10, 4) == std::vector<KeyRange>{KeyRange{}});
  CHECK(plan_ranges(9, 5, 1'000'000, 10, 4) == std::vector<KeyRange>{KeyRange{}});  // empty
}

TEST_CASE("extreme BIGINT and BIGINT UNSIGNED bounds do not overflow") {
  const __int128 lo = INT64_MIN;
  const __int128 hi = INT64_MAX;
  auto ranges = plan_ranges(lo, hi, 1'000'000, 10'000, 3);
  REQUIRE(ranges.size() == 100);
  require_partition(ranges);
  CHECK(holder(ranges, lo) == 0);
  CHECK(holder(ranges, hi) == 99);
  CHECK(holder(ranges, 0) == 50);

  const __int128 umax = static_cast<__int128>(UINT64_MAX);
  ranges = plan_ranges(0, umax, 40'000, 10'000, 2);
  REQUIRE(ranges.size() == 4);
  require_partition(ranges);
  CHECK(holder(ranges, umax) == 3);
  CHECK(integer_text(*ranges[1].from) == "4611686018427387904");
}

TEST_CASE("integer texts and chunk conditions") {
  CHECK(integer_text(0) == "0");
  CHECK(integer_text(-42) == "-42");
  CHECK(integer_text(INT64_MIN) == "-9223372036854775808");
  CHECK(integer_text(static_cast<__int128>(UINT64_MAX)) == "18446744073709551615");
  CHECK(parse_integer("18446744073709551615") == static_cast<__int128>(UINT64_MAX));
  CHECK(parse_integer("-9223372036854775808") == static_cast<__int128>(INT64_MIN));
  CHECK(parse_integer("+7") == 7);
  CHECK_FALSE(parse_integer(""));
  CHECK_FALSE(parse_integer("-"));
  CHECK_FALSE(parse_integer("1.5"));
  CHECK_FALSE(parse_integer("123456789012345678901"));  // 21 digits

  CHECK(range_condition("`id`", KeyRange{}) == "");
  CHECK(range_condition("`id`", KeyRange{std::nullopt, 10}) == "`id` < 10");
  CHECK(range_condition("`id`", KeyRange{-3, std::nullopt}) == "`id` >= -3");
  CHECK(range_condition("`id`", KeyRange{-3, 10}) == "`id` >= -3 AND `id` < 10");
}

}  // namespace
}  // namespace tributary::source::mysql
