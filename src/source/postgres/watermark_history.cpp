// Transaction visibility of a chunk's snapshot, and the streamed changes it may not have seen.
#include "source/postgres/watermark_history.hpp"

#include <algorithm>
#include <charconv>

namespace tributary::source::postgres {

namespace {

/// A 64-bit xid (xid8, with its epoch) as the 32-bit xid pgoutput sends.
std::optional<uint32_t> parse_xid(std::string_view text) {
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return static_cast<uint32_t>(value);
}

/// PostgreSQL's TransactionIdPrecedes for normal xids: modulo-2^32 order.
bool precedes(uint32_t a, uint32_t b) {
  return static_cast<int32_t>(a - b) < 0;
}

}  // namespace

std::optional<XidSnapshot> XidSnapshot::parse(std::string_view text) {
  const auto first = text.find(':');
  if (first == std::string_view::npos) return std::nullopt;
  const auto second = text.find(':', first + 1);
  if (second == std::string_view::npos) return std::nullopt;
  XidSnapshot snapshot;
  auto xmin = parse_xid(text.substr(0, first));
  auto xmax = parse_xid(text.substr(first + 1, second - first - 1));
  if (!xmin || !xmax) return std::nullopt;
  snapshot.xmin = *xmin;
  snapshot.xmax = *xmax;
  std::string_view list = text.substr(second + 1);
  while (!list.empty()) {
    const auto comma = list.find(',');
    auto xid = parse_xid(list.substr(0, comma));
    if (!xid) return std::nullopt;
    snapshot.in_progress.push_back(*xid);
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return snapshot;
}

bool XidSnapshot::sees(uint32_t xid) const {
  if (precedes(xid, xmin)) return true;
  if (!precedes(xid, xmax)) return false;
  return std::find(in_progress.begin(), in_progress.end(), xid) == in_progress.end();
}

ChangeHistory::Entry& ChangeHistory::entry(uint32_t xid) {
  if (entries_.empty() || entries_.back().xid != xid) entries_.push_back(Entry{xid, {}, {}});
  return entries_.back();
}

void ChangeHistory::note(uint32_t xid, const std::string& table, std::vector<std::string> key) {
  entry(xid).keys[table].insert(std::move(key));
}

void ChangeHistory::note_truncate(uint32_t xid, const std::string& table) {
  entry(xid).truncated.insert(table);
}

StaleKeys ChangeHistory::unseen(const std::string& table, const XidSnapshot& snapshot) const {
  StaleKeys stale;
  for (const auto& entry : entries_) {
    if (snapshot.sees(entry.xid)) continue;
    if (entry.truncated.contains(table)) stale.truncated = true;
    if (auto it = entry.keys.find(table); it != entry.keys.end()) {
      stale.keys.insert(it->second.begin(), it->second.end());
    }
  }
  return stale;
}

void ChangeHistory::forget_seen(const XidSnapshot& snapshot) {
  std::erase_if(entries_, [&](const Entry& entry) { return snapshot.sees(entry.xid); });
}

}  // namespace tributary::source::postgres
