// SourcePosition: how far a pipeline has durably emitted, as stored in checkpoints and Kafka.
#pragma once

#include <cstdint>
#include <string>

namespace tributary::event {

/// The point reached in the source. A Kafka transaction may end inside a source transaction, so a
/// position is (last fully emitted source transaction, events already emitted of the next one).
struct SourcePosition {
  /// false until the initial snapshot has been fully emitted; while false, a restart must snapshot
  /// again (the exported snapshot is gone).
  bool snapshot_completed = false;
  /// PostgreSQL: end LSN of the last fully emitted source transaction (or the slot's consistent
  /// point right after the snapshot). Streaming resumes after it.
  uint64_t lsn = 0;
  /// PostgreSQL: commit LSN (Begin's final_lsn) of the source transaction emitted in part, 0 if
  /// none.
  uint64_t partial_commit_lsn = 0;
  /// events of that partial transaction already emitted (to skip on resume).
  uint64_t partial_events = 0;

  bool operator==(const SourcePosition&) const = default;
};

/// "16/B374D848" style, as PostgreSQL prints LSNs.
std::string format_lsn(uint64_t lsn);
/// Parses "X/Y"; returns false on malformed input.
bool parse_lsn(const std::string& text, uint64_t& out);

}  // namespace tributary::event
