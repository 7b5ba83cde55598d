// The MySQL/MariaDB side of the source seam's read-only looks: `tributary check` and
// `tributary offsets reset --to-slot` (source/factory.cpp dispatches here by source.type).
#pragma once

#include <optional>

#include "source/factory.hpp"

namespace tributary::source::mysql {

/// The server's prerequisites (preflight.hpp), the tables run would capture, and, given
/// `resume`, whether this server is the recorded one and still has the position's binlog.
PreflightReport preflight_report(const config::PipelineConfig& pipeline,
                                 const std::optional<checkpoint::PositionRecord>& resume);

/// The server's identity and its current binlog position ("from now on"): what
/// `offsets reset --to-slot` records for a MySQL pipeline.
Result<CurrentPosition> current_position(const config::PipelineConfig& pipeline,
                                         bool need_position);

}  // namespace tributary::source::mysql
