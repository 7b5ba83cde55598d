// PostgreSQL's part of `tributary check` and `tributary offsets reset`: read-only looks at the
// server (reached through source/factory.hpp).
#pragma once

#include <optional>

#include "source/factory.hpp"

namespace tributary::source::postgres {

/// wal_level, the REPLICATION privilege, slot capacity, the included tables and their column
/// types, the publication, the slot (plugin, in use), the server's identity and WAL end, and the
/// position `resume` against the server (the same source, within its WAL, the slot not advanced
/// past it), plus the tables that would join. Read-only.
PreflightReport preflight(const config::PipelineConfig& pipeline,
                          const std::optional<checkpoint::PositionRecord>& resume);

/// The server's identity and the slot's confirmed_flush_lsn. Refuses a slot in use; with
/// `need_position`, a missing slot or one of another plugin.
Result<CurrentPosition> current_position(const config::PipelineConfig& pipeline,
                                         bool need_position);

}  // namespace tributary::source::postgres
