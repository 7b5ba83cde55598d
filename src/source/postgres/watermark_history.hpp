// Which streamed changes a resumed snapshot's chunk may not contain: the changes inside its
// watermark window, and those of transactions its snapshot did not see yet.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace tributary::source::postgres {

/// A snapshot's transaction visibility, from pg_current_snapshot() ("xmin:xmax:xip,..."), on the
/// 32-bit xids pgoutput carries.
struct XidSnapshot {
  uint32_t xmin = 0;
  uint32_t xmax = 0;
  std::vector<uint32_t> in_progress;

  static std::optional<XidSnapshot> parse(std::string_view text);
  /// Whether the snapshot sees the (committed) transaction `xid`.
  bool sees(uint32_t xid) const;
};

/// The keys a chunk must drop (the stream carries a newer state for them).
struct StaleKeys {
  std::set<std::vector<std::string>> keys;
  bool truncated = false;  ///< the table was truncated: every row
};

/// The streamed changes to tables whose snapshot is not finished, by transaction, kept until a
/// chunk's snapshot sees their transaction.
///
/// PostgreSQL writes a commit record before the transaction becomes visible, so the stream can
/// carry a transaction before the low watermark that the chunk's SELECT, run after that
/// watermark, does not see yet. A row of the chunk would then be older than a change already
/// queued before it. Matching the transactions against the chunk's snapshot closes that gap.
class ChangeHistory {
 public:
  void note(uint32_t xid, const std::string& table, std::vector<std::string> key);
  void note_truncate(uint32_t xid, const std::string& table);
  /// The keys of `table` changed by transactions `snapshot` does not see.
  StaleKeys unseen(const std::string& table, const XidSnapshot& snapshot) const;
  /// Forgets the transactions `snapshot` sees: every later chunk's snapshot sees them too.
  void forget_seen(const XidSnapshot& snapshot);
  void clear() { entries_.clear(); }
  std::size_t transactions() const { return entries_.size(); }

 private:
  struct Entry {
    uint32_t xid = 0;
    std::map<std::string, std::set<std::vector<std::string>>> keys;  ///< by table
    std::set<std::string> truncated;
  };
  Entry& entry(uint32_t xid);
  std::vector<Entry> entries_;  ///< in stream order; a transaction's changes arrive together
};

}  // namespace tributary::source::postgres
