// GTID set arithmetic for positions: MariaDB domain-server-sequence lists, MySQL uuid intervals.
#include "source/mysql/gtid_set.hpp"

#include <charconv>
#include <cstdint>
#include <optional>
#include <vector>

namespace tributary::source::mysql {
namespace {

std::vector<std::string> split(std::string_view text, char by) {
  std::vector<std::string> parts;
  while (!text.empty()) {
    auto end = text.find(by);
    std::string_view part = text.substr(0, end);
    while (!part.empty() && (part.front() == ' ' || part.front() == '\n')) part.remove_prefix(1);
    if (!part.empty()) parts.emplace_back(part);
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
  return parts;
}

std::string join(const std::vector<std::string>& parts, char by) {
  std::string text;
  for (const auto& part : parts) {
    if (!text.empty()) text += by;
    text += part;
  }
  return text;
}

std::string advance_mariadb(std::string_view set, std::string_view gtid) {
  auto entries = split(set, ',');
  const std::string domain(gtid.substr(0, gtid.find('-')));
  for (auto& entry : entries) {
    if (entry.substr(0, entry.find('-')) == domain) {
      entry = std::string(gtid);
      return join(entries, ',');
    }
  }
  entries.emplace_back(gtid);
  return join(entries, ',');
}

std::string advance_mysql(std::string_view set, std::string_view gtid) {
  const auto colon = gtid.find(':');
  if (colon == std::string_view::npos) return std::string(set);
  const std::string uuid(gtid.substr(0, colon));
  int64_t gno = 0;
  const auto number = gtid.substr(colon + 1);
  std::from_chars(number.data(), number.data() + number.size(), gno);
  auto entries = split(set, ',');
  for (auto& entry : entries) {
    auto parts = split(entry, ':');
    if (parts.empty() || parts[0] != uuid) continue;
    auto& last = parts.back();
    const auto dash = last.find('-');
    int64_t end = 0;
    const std::string end_text = dash == std::string::npos ? last : last.substr(dash + 1);
    std::from_chars(end_text.data(), end_text.data() + end_text.size(), end);
    if (parts.size() > 1 && end + 1 == gno) {
      last = (dash == std::string::npos ? last : last.substr(0, dash)) + "-" + std::to_string(gno);
    } else if (parts.size() == 1 || end < gno) {
      parts.push_back(std::to_string(gno));
    }
    entry = join(parts, ':');
    return join(entries, ',');
  }
  entries.push_back(uuid + ":" + std::to_string(gno));
  return join(entries, ',');
}

struct DomainGtid {
  std::string domain;
  uint64_t seq = 0;
  std::string text;
};

/// "0-1-100" -> {0, 100}; nullopt when not of that form.
std::optional<DomainGtid> parse_mariadb_gtid(const std::string& text) {
  const auto first = text.find('-');
  const auto last = text.rfind('-');
  if (first == std::string::npos || last == first) return std::nullopt;
  DomainGtid gtid{text.substr(0, first), 0, text};
  const std::string_view seq = std::string_view(text).substr(last + 1);
  auto [end, ec] = std::from_chars(seq.data(), seq.data() + seq.size(), gtid.seq);
  if (ec != std::errc() || end != seq.data() + seq.size()) return std::nullopt;
  return gtid;
}

}  // namespace

std::string mariadb_gtid_missing(std::string_view position_set, std::string_view oldest_state) {
  std::vector<DomainGtid> position;
  for (const auto& entry : split(position_set, ',')) {
    if (auto gtid = parse_mariadb_gtid(entry)) position.push_back(*gtid);
  }
  std::string missing;
  for (const auto& entry : split(oldest_state, ',')) {
    auto oldest = parse_mariadb_gtid(entry);
    if (!oldest) continue;
    const DomainGtid* ours = nullptr;
    for (const auto& gtid : position) {
      if (gtid.domain == oldest->domain) ours = &gtid;
    }
    if (ours != nullptr && ours->seq >= oldest->seq) continue;
    if (!missing.empty()) missing += ", ";
    missing += "domain " + oldest->domain + " (at " + (ours ? ours->text : std::string("none")) +
               ", the oldest binlog starts after " + oldest->text + ")";
  }
  return missing;
}

std::string advance_gtid_set(std::string_view set, std::string_view gtid, bool mariadb) {
  if (gtid.empty()) return std::string(set);
  return mariadb ? advance_mariadb(set, gtid) : advance_mysql(set, gtid);
}

}  // namespace tributary::source::mysql
