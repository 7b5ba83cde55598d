// The local checkpoint file: where a pipeline resumes without asking Kafka (atomic replace).
#pragma once

#include <optional>
#include <string>

#include "base/result.hpp"
#include "checkpoint/position_json.hpp"
#include "event/source_position.hpp"

namespace tributary::checkpoint {

/// `<directory>/<pipeline>.offsets`, holding record_to_json's text. Written only after the Kafka
/// transaction carrying the same position committed (ARCHITECTURE.md, exactly-once protocol).
/// @locality one pipeline's sink thread; not synchronized (one store per pipeline).
class CheckpointStore {
 public:
  CheckpointStore(std::string directory, std::string pipeline);

  std::string path() const;

  /// nullopt when the file does not exist. A file of another pipeline or unparsable content ->
  /// Error::corrupt naming the path; an unreadable file -> Error::config or kRetriable.
  Result<std::optional<PositionRecord>> load_record() const;
  /// load_record's position alone.
  Result<std::optional<event::SourcePosition>> load() const;

  /// Writes `<path>.tmp`, fsyncs it, renames it over `<path>`, fsyncs the directory, so a crash
  /// leaves either the old or the new content. Creates the directory if missing. Errors name the
  /// path and errno text: permission-like ones are Error::config, the rest kRetriable.
  /// `record.pipeline` is ignored (the store's pipeline is written).
  Result<void> save(const PositionRecord& record);

 private:
  Result<void> check_pipeline_name() const;

  std::string directory_;
  std::string pipeline_;
};

/// The position further along: a completed snapshot beats any incomplete one, then the higher
/// `lsn`, then the further partial transaction (none < some; then commit LSN, then events).
/// MySQL: a completed snapshot, then the later binlog file, then pos, then partial_events.
/// Positions of different source types: `b` (they cannot be compared).
/// Ties return `a`.
event::SourcePosition further(const event::SourcePosition& a, const event::SourcePosition& b);
/// The record to resume from: the higher epoch (a reset replaces everything before it, even a
/// position further along), then further() of the positions. Ties return `a`.
const PositionRecord& further(const PositionRecord& a, const PositionRecord& b);

}  // namespace tributary::checkpoint
