// `tributary check`: everything `run` would trip over, found up front, each with its fix.
#pragma once

#include <string>
#include <vector>

#include "config/config.hpp"
#include "source/finding.hpp"

namespace tributary::app {

using Finding = source::Finding;

/// First the local checks (local_checks.hpp: offsets.directory, checkpoint files, http.listen).
/// Then, per pipeline, the position run would resume from (the checkpoint file and Kafka's offsets
/// record) and the source's own checks through the seam (source::preflight: PostgreSQL's are
/// wal_level, the REPLICATION privilege, slot capacity, the included tables and their column
/// types, the publication, the slot, and the position against the server: the same source,
/// within its WAL, the slot not advanced past it). Then Kafka's reachability, the topics run needs
/// (missing ones: a problem with kafka.topics.create false, a fact otherwise), the offsets topic's
/// cleanup.policy, and the brokers' transaction.state.log.replication.factor / min.isr against the
/// number of brokers. Read-only: creates nothing, fences nothing.
std::vector<Finding> preflight(const config::Config& config);

}  // namespace tributary::app
