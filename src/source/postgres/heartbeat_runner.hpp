// The heartbeat action query's PostgreSQL connection (application_name
// tributary-<pipeline>-heartbeat).
#pragma once

#include <memory>

#include "config/config.hpp"
#include "source/heartbeat_query.hpp"

namespace tributary::source::postgres {

std::unique_ptr<QueryRunner> make_query_runner(const config::PipelineConfig& pipeline);

}  // namespace tributary::source::postgres
