// Whether a recorded position can be resumed on the server connected to: same source, a position
// the server had, a slot nobody else advanced. Pure functions over what the server reported.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "checkpoint/position_json.hpp"
#include "event/source_identity.hpp"
#include "event/source_position.hpp"

namespace tributary::checkpoint {

/// One line of a PostgreSQL timeline history file: `timeline` (a parent of the server's current
/// timeline) ended at `end_lsn`, where its child begins.
struct TimelineSwitch {
  uint32_t timeline = 0;
  uint64_t end_lsn = 0;
  bool operator==(const TimelineSwitch&) const = default;
};

/// What the server says about itself on the replication connection.
struct ServerState {
  event::SourceIdentity identity;
  /// IDENTIFY_SYSTEM's xlogpos: WAL flushed (primary) or replayed (standby). Every position a
  /// consumer of this server was ever sent lies at or before it.
  uint64_t wal_end = 0;
  /// The current timeline's parents (TIMELINE_HISTORY), oldest first; empty on timeline 1.
  std::vector<TimelineSwitch> timeline_history;
};

/// Parses a timeline history file: lines `parent_timeline<TAB>switch_lsn<TAB>reason`; blank
/// lines and `#` comments are skipped. Anything else -> Error::corrupt.
Result<std::vector<TimelineSwitch>> parse_timeline_history(std::string_view content);

/// The furthest WAL position `position` claims: its lsn or its partial transaction's commit.
uint64_t furthest_lsn(const event::SourcePosition& position);

/// The same source, timelines aside (PostgreSQL: system identifier, database, slot).
bool same_source(const event::SourceIdentity& a, const event::SourceIdentity& b);

/// The commands that get a pipeline out of a refused position, for error texts.
std::string reset_hint(const std::string& pipeline);

/// Checks `recorded` against `server`:
/// - the identity: system identifier, database and slot must be equal; a different timeline is
///   accepted only when the server's history passed through the recorded timeline at or after
///   the position (a promoted replica that had replayed it), never a newer timeline recorded than
///   the server's;
/// - the position: at or before the server's WAL end.
/// A record without identity (format 1) skips the identity check. Refusals are Error::config and
/// say what differs (recorded vs. server) and how to proceed. On success, a note worth logging
/// (empty when none).
Result<std::string> check_resume(const PositionRecord& recorded, const ServerState& server);

/// Checks that the slot was not confirmed beyond `recorded` (tributary confirms only positions it
/// recorded first, so anything further was advanced by someone else and the changes in between
/// are gone from the slot). Only meaningful when resuming from the slot (a completed snapshot).
Result<void> check_slot(const PositionRecord& recorded, const std::string& slot,
                        uint64_t confirmed_flush_lsn);

}  // namespace tributary::checkpoint
