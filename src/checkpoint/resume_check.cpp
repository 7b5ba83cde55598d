// Resume checks: identity, WAL end, slot; each refusal says what differs and the way out.
#include "checkpoint/resume_check.hpp"

#include <algorithm>
#include <charconv>

namespace tributary::checkpoint {
namespace {

std::string lsn(uint64_t value) {
  return event::format_lsn(value);
}

Error refuse(const std::string& what, const std::string& pipeline) {
  return Error::config(
      what + "; nothing was read and the slot was not moved (fix: " + reset_hint(pipeline) + ")");
}

/// The identity check for PostgreSQL; empty note when nothing worth saying.
Result<std::string> check_postgres(const event::PostgresIdentity& recorded,
                                   const event::PostgresIdentity& server, const ServerState& state,
                                   const PositionRecord& record) {
  const std::string at = lsn(furthest_lsn(record.position));
  std::vector<std::string> differences;
  if (recorded.system_identifier != server.system_identifier) {
    differences.push_back("system identifier " + recorded.system_identifier + " recorded, " +
                          server.system_identifier + " on the server");
  }
  if (recorded.database != server.database) {
    differences.push_back("database " + recorded.database + " recorded, " + server.database +
                          " on the server");
  }
  if (recorded.slot != server.slot) {
    differences.push_back("slot " + recorded.slot + " recorded, " + server.slot + " configured");
  }
  if (!differences.empty()) {
    if (recorded.timeline != server.timeline) {
      differences.push_back("timeline " + std::to_string(recorded.timeline) + " recorded, " +
                            std::to_string(server.timeline) + " on the server");
    }
    std::string listed;
    for (const auto& difference : differences) {
      listed += (listed.empty() ? "" : "; ") + difference;
    }
    return refuse("the recorded position " + at +
                      " belongs to another source than the one connected to (" + listed +
                      "): a database replaced by another cluster, or a configuration pointed "
                      "elsewhere, and an LSN of one means nothing on the other",
                  record.pipeline);
  }
  if (recorded.timeline == server.timeline) return std::string();

  const std::string timelines = "timeline " + std::to_string(recorded.timeline) + " recorded, " +
                                std::to_string(server.timeline) + " on the server";
  if (recorded.timeline > server.timeline) {
    return refuse("the recorded position " + at +
                      " was read on a newer timeline than the server's (" + timelines +
                      "): the server was restored from a backup older than the position",
                  record.pipeline);
  }
  auto parent = std::find_if(
      state.timeline_history.begin(), state.timeline_history.end(),
      [&](const TimelineSwitch& entry) { return entry.timeline == recorded.timeline; });
  if (parent == state.timeline_history.end()) {
    return refuse("the recorded position " + at +
                      " was read on a timeline the server's history "
                      "does not pass through (" +
                      timelines + ")",
                  record.pipeline);
  }
  if (furthest_lsn(record.position) > parent->end_lsn) {
    return refuse("the recorded position " + at + " lies after " + lsn(parent->end_lsn) +
                      ", where the server's history left timeline " +
                      std::to_string(recorded.timeline) + " (" + timelines +
                      "): the server never had the WAL that position was read from (a replica "
                      "promoted before replaying it, or a point-in-time restore to before it)",
                  record.pipeline);
  }
  return "the server is on timeline " + std::to_string(server.timeline) +
         "; the recorded position " + at + " (timeline " + std::to_string(recorded.timeline) +
         ") precedes the switch at " + lsn(parent->end_lsn) +
         ", so it is part of the server's history: resuming, and recording the new timeline";
}

/// The identity check for MySQL / MariaDB: same flavour, same server (uuid on MySQL, server_id
/// and GTID domain on MariaDB).
Result<std::string> check_mysql(const event::MysqlIdentity& recorded,
                                const event::MysqlIdentity& server, const PositionRecord& record) {
  if (recorded == server) return std::string();
  return refuse("the recorded position " + event::describe(record.position) +
                    " belongs to another source than the one connected to (" +
                    describe(event::SourceIdentity(recorded)) + " recorded, " +
                    describe(event::SourceIdentity(server)) +
                    " on the server): a binlog position of one server means nothing on another",
                record.pipeline);
}

}  // namespace

uint64_t furthest_lsn(const event::SourcePosition& position) {
  return std::max(position.lsn(), position.partial_commit_lsn());
}

bool same_source(const event::SourceIdentity& a, const event::SourceIdentity& b) {
  const auto* x = std::get_if<event::PostgresIdentity>(&a);
  const auto* y = std::get_if<event::PostgresIdentity>(&b);
  if (x != nullptr && y != nullptr) {
    return x->system_identifier == y->system_identifier && x->database == y->database &&
           x->slot == y->slot;
  }
  return a == b;
}

std::string reset_hint(const std::string& pipeline) {
  const std::string command = "tributary offsets reset --config <file> --pipeline " + pipeline;
  return "to stream from what the server's slot still holds, accepting that changes missing "
         "from it are not emitted: " +
         command + " --to-slot; to emit every row again from a new snapshot: " + command +
         " --snapshot; or point the pipeline back at the source it was recorded from; see "
         "README \"Recovering from a changed database\"";
}

Result<std::vector<TimelineSwitch>> parse_timeline_history(std::string_view content) {
  std::vector<TimelineSwitch> history;
  std::size_t line_number = 0;
  while (!content.empty()) {
    auto end = content.find('\n');
    std::string_view line = content.substr(0, end);
    content = end == std::string_view::npos ? std::string_view() : content.substr(end + 1);
    ++line_number;
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
    auto first = line.find_first_not_of(" \t");
    if (first == std::string_view::npos || line[first] == '#') continue;
    line.remove_prefix(first);
    auto bad = [&] {
      return Error::corrupt("timeline history line " + std::to_string(line_number) +
                            " is not \"timeline<TAB>lsn<TAB>reason\": \"" + std::string(line) +
                            "\"");
    };
    TimelineSwitch entry;
    auto [after_timeline, timeline_error] =
        std::from_chars(line.data(), line.data() + line.size(), entry.timeline);
    if (timeline_error != std::errc() || entry.timeline == 0) return bad();
    std::string_view rest = line.substr(static_cast<std::size_t>(after_timeline - line.data()));
    if (rest.empty() || (rest.front() != '\t' && rest.front() != ' ')) return bad();
    rest.remove_prefix(rest.find_first_not_of(" \t"));
    std::string lsn_text(rest.substr(0, rest.find_first_of(" \t")));
    if (!event::parse_lsn(lsn_text, entry.end_lsn)) return bad();
    history.push_back(entry);
  }
  return history;
}

Result<std::string> check_resume(const PositionRecord& recorded, const ServerState& server) {
  std::string note;
  if (!recorded.source) {
    note =
        "the recorded position carries no source identity (written by an older tributary): "
        "accepting it; from now on positions are recorded with this server's identity (" +
        describe(server.identity) + ")";
  } else if (recorded.source->index() != server.identity.index() ||
             recorded.position.is_postgres() !=
                 std::holds_alternative<event::PostgresIdentity>(server.identity)) {
    return refuse(std::string("the recorded position ") + event::describe(recorded.position) +
                      " was recorded from a " + recorded.position.type_name() +
                      " source, this is " + event::type_name(server.identity) + " (" +
                      describe(server.identity) + "; recorded: " + describe(*recorded.source) +
                      "): a position of one source type means nothing on the other",
                  recorded.pipeline);
  } else {
    Result<std::string> checked = std::string();
    if (const auto* mine = std::get_if<event::PostgresIdentity>(&*recorded.source)) {
      checked = check_postgres(*mine, std::get<event::PostgresIdentity>(server.identity), server,
                               recorded);
    } else {
      checked = check_mysql(std::get<event::MysqlIdentity>(*recorded.source),
                            std::get<event::MysqlIdentity>(server.identity), recorded);
    }
    if (!checked) return checked.error();
    note = std::move(*checked);
  }
  if (!recorded.position.is_postgres()) return note;
  const uint64_t furthest = furthest_lsn(recorded.position);
  if (furthest > server.wal_end) {
    return refuse("the recorded position " + lsn(furthest) +
                      " is beyond the end of the server's WAL (" + lsn(server.wal_end) +
                      "): the server never had it; typically it was restored from a backup, or "
                      "replaced, after the position was recorded, and streaming from there would "
                      "skip every change up to it",
                  recorded.pipeline);
  }
  return note;
}

Result<void> check_slot(const PositionRecord& recorded, const std::string& slot,
                        uint64_t confirmed_flush_lsn) {
  if (confirmed_flush_lsn <= recorded.position.lsn()) return {};
  return refuse("replication slot " + slot + " is confirmed up to " + lsn(confirmed_flush_lsn) +
                    ", beyond the recorded position " + lsn(recorded.position.lsn()) +
                    ": something other than this pipeline advanced it (pg_replication_slot_"
                    "advance, another consumer of the slot), and the changes between the two "
                    "are gone from the slot",
                recorded.pipeline);
}

}  // namespace tributary::checkpoint
