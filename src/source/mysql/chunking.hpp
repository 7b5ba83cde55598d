// Primary-key chunks of a large table for the parallel MySQL snapshot (used by snapshot.cpp).
//
// When a table is chunked: the snapshot has more than one connection, its primary key is one
// integer column (TINYINT..BIGINT, signed or unsigned), and information_schema.TABLES.TABLE_ROWS
// (InnoDB's estimate) is above chunk_rows x connections (chunk_rows = snapshot.fetch_size). Any
// other table is read whole by one connection, as before.
//
// How: MIN(pk) and MAX(pk) are read inside the snapshot transaction (two index lookups), the span
// is cut into ceil(estimate / chunk_rows) equal key ranges (at least one per connection, at most
// kMaxChunks), and every chunk is a work item any connection takes: all connections share one
// consistent-snapshot point, so the chunks of one table read on different connections are one
// snapshot. The first range has no lower bound and the last no upper bound, so every row is in
// exactly one chunk whatever the estimate or the key distribution (gaps only make chunks uneven).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "event/change_event.hpp"

namespace tributary::source::mysql {

/// A chunk's keys: from <= key < to; an absent bound is open.
struct KeyRange {
  std::optional<__int128> from;
  std::optional<__int128> to;
  bool operator==(const KeyRange&) const = default;
};

/// Upper bound on chunks per table (bounds the planning and the work list).
inline constexpr std::size_t kMaxChunks = 4096;

/// The index of the column a table can be chunked on: its single-column integer primary key;
/// nullopt otherwise (no key, a composite key, a key of another type).
std::optional<std::size_t> chunk_key(const event::TableSchema& schema);

/// Whether a table of about `estimate` rows is chunked with `connections` connections.
bool should_chunk(uint64_t estimate, uint64_t chunk_rows, std::size_t connections);

/// The key ranges covering every integer (open at both ends) for keys in [min, max]: about
/// ceil(estimate / chunk_rows) ranges (at least `connections`, at most kMaxChunks, at most the
/// span max - min + 1), split at equal key distances. One open range when that makes one.
std::vector<KeyRange> plan_ranges(__int128 min, __int128 max, uint64_t estimate,
                                  uint64_t chunk_rows, std::size_t connections);

/// The WHERE condition of a range on `quoted_column` ("`id` >= 10 AND `id` < 20"; "" when both
/// bounds are open).
std::string range_condition(std::string_view quoted_column, const KeyRange& range);

/// A decimal integer as the server prints it (MIN/MAX of an integer column); nullopt otherwise.
std::optional<__int128> parse_integer(std::string_view text);
/// `value` in decimal.
std::string integer_text(__int128 value);

}  // namespace tributary::source::mysql
