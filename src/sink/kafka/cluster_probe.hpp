// Reachability check of a Kafka cluster, for `tributary check` (no transactional state touched).
#pragma once

#include <chrono>
#include <map>
#include <string>

#include "base/result.hpp"

namespace tributary::sink {

/// Fetches cluster metadata with a plain, non-transactional client: it never fences a running
/// instance. Returns the number of brokers seen, or an error naming the servers and the cause
/// (bad `kafka.properties` -> kConfig, unreachable -> kRetriable).
Result<int> probe_cluster(const std::string& bootstrap_servers,
                          const std::map<std::string, std::string>& properties,
                          std::chrono::milliseconds timeout);

}  // namespace tributary::sink
