// `tributary check`: everything `run` would trip over, found up front, each with its fix.
#pragma once

#include <string>
#include <vector>

#include "config/config.hpp"

namespace tributary::app {

struct Finding {
  bool problem = false;  ///< false: a fact worth telling (e.g. "slot will be created")
  std::string scope;     ///< pipeline name, or "kafka"
  std::string text;
};

/// First the local checks (local_checks.hpp: offsets.directory, checkpoint files, http.listen).
/// Then connects to every source (normal and replication connections) and to Kafka and checks:
/// wal_level, the REPLICATION privilege, slot capacity, the included tables and their column
/// types, the publication, the slot (plugin, in use), the position run would resume from (the
/// checkpoint file and Kafka's offsets record) against the server (the same source, within its
/// WAL, the slot not advanced past it), Kafka's reachability, the topics run needs (missing ones: a
/// problem with kafka.topics.create false, a fact otherwise), the offsets topic's cleanup.policy,
/// and the brokers' transaction.state.log.replication.factor / min.isr against the number of
/// brokers. Read-only: creates nothing, fences nothing.
std::vector<Finding> preflight(const config::Config& config);

}  // namespace tributary::app
