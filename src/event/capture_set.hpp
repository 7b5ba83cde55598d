// CaptureSet: the tables a pipeline captures, recorded with its checkpoint (not with each event).
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "event/change_event.hpp"

namespace tributary::event {

/// One captured table. A table that joined the set after the pipeline's initial snapshot (created
/// while running, or matched by a widened tables.include) was snapshotted on its own from an
/// exported snapshot whose consistent point is `join_lsn`: the rows of transactions committed
/// before it are in that snapshot, so the stream drops the table's events of those transactions.
struct CapturedTable {
  TableId id;
  /// 0: plain membership (the position is past the join point, or the table was in the initial
  /// snapshot). Otherwise the join point, kept until the recorded position reaches it.
  uint64_t join_lsn = 0;

  bool operator==(const CapturedTable&) const = default;
};

/// In schema.table order, each table once.
using CaptureSet = std::vector<CapturedTable>;

inline const CapturedTable* find_table(const CaptureSet& set, const TableId& id) {
  for (const auto& table : set) {
    if (table.id == id) return &table;
  }
  return nullptr;
}

/// The set as recorded with `position_lsn`: join points the position has reached are dropped
/// (every transaction committed before them is skipped on resume anyway).
inline CaptureSet reduce_join_points(CaptureSet set, uint64_t position_lsn) {
  for (auto& table : set) {
    if (table.join_lsn != 0 && position_lsn >= table.join_lsn) table.join_lsn = 0;
  }
  return set;
}

}  // namespace tributary::event
