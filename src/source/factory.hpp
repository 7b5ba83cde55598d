// The source seam's entry points: a Source for a pipeline by source.type, and the read-only looks
// at the server that `tributary check` and `tributary offsets reset` take.
#pragma once

#include <boost/asio/io_context.hpp>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "checkpoint/position_json.hpp"
#include "config/config.hpp"
#include "event/event_queue.hpp"
#include "source/finding.hpp"
#include "source/source.hpp"

namespace tributary::source {

/// The source implementation for `pipeline.source.type`. `pipeline` and `queue` outlive it.
/// Error::config for a type this build cannot read.
Result<std::unique_ptr<Source>> make_source(boost::asio::io_context& io,
                                            const config::PipelineConfig& pipeline,
                                            event::EventQueue& queue, SourceCallbacks callbacks);

/// What `check` learns from a pipeline's source, read-only.
struct PreflightReport {
  /// About the server: settings, privileges, tables, the replication stream's state.
  std::vector<Finding> findings;
  /// About resuming from the recorded position on this server (after the caller's facts about
  /// the recorded records themselves).
  std::vector<Finding> resume_findings;
  /// The tables run would capture (to name their topics); empty when the source was not reached.
  std::vector<event::TableId> tables;
};

/// Connects to the pipeline's source and checks everything run would trip over there (settings,
/// privileges, tables and column types, the replication stream's state), and, given `resume`
/// (the record run would resume from, nullopt: none), whether this server can resume from it.
/// Read-only: creates nothing, moves nothing.
PreflightReport preflight(const config::PipelineConfig& pipeline,
                          const std::optional<checkpoint::PositionRecord>& resume);

/// The source's current state for `offsets reset`.
struct CurrentPosition {
  event::SourceIdentity identity;
  /// Where streaming would continue from now (PostgreSQL: the slot's confirmed_flush_lsn), as a
  /// completed-snapshot position. nullopt when the source holds none (no slot yet).
  std::optional<event::SourcePosition> position;
  /// "replication slot s at 0/16B3748" (for `--to-slot` output).
  std::string where;
  /// How the next start takes a new snapshot, e.g. " (dropping and recreating replication slot
  /// s)"; may be empty.
  std::string snapshot_note;
};

/// Reads the source's identity and current position. Error::config (with the fix) when the
/// source is in use by a running stream, or, with `need_position`, holds no usable position.
Result<CurrentPosition> current_position(const config::PipelineConfig& pipeline,
                                         bool need_position);

}  // namespace tributary::source
