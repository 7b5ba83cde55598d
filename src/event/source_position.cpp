// Position accessors and text forms.
#include "event/source_position.hpp"

#include <cinttypes>
#include <cstdio>

namespace tributary::event {

const PostgresPosition& SourcePosition::postgres() const {
  static const PostgresPosition kNone;
  const auto* pg = std::get_if<PostgresPosition>(&at);
  return pg ? *pg : kNone;
}

const MysqlPosition& SourcePosition::mysql() const {
  static const MysqlPosition kNone;
  const auto* my = std::get_if<MysqlPosition>(&at);
  return my ? *my : kNone;
}

std::string describe(const SourcePosition& position) {
  std::string text;
  if (position.is_postgres()) {
    text = format_lsn(position.lsn());
  } else {
    const auto& my = position.mysql();
    text = my.file + ":" + std::to_string(my.pos);
    if (!my.gtid_set.empty()) text += " gtid " + my.gtid_set;
  }
  if (position.partial_events > 0) {
    text += " +" + std::to_string(position.partial_events) + " events";
  }
  return text;
}

std::string format_lsn(uint64_t lsn) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%X/%X", static_cast<unsigned>(lsn >> 32),
                static_cast<unsigned>(lsn & 0xffffffffu));
  return buffer;
}

bool parse_lsn(const std::string& text, uint64_t& out) {
  unsigned high = 0, low = 0;
  int consumed = 0;
  if (std::sscanf(text.c_str(), "%X/%X%n", &high, &low, &consumed) != 2) return false;
  if (static_cast<std::size_t>(consumed) != text.size()) return false;
  out = (static_cast<uint64_t>(high) << 32) | low;
  return true;
}

}  // namespace tributary::event
