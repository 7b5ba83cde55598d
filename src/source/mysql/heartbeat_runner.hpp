// The heartbeat action query's MySQL/MariaDB connection.
#pragma once

#include <memory>

#include "config/config.hpp"
#include "source/heartbeat_query.hpp"

namespace tributary::source::mysql {

std::unique_ptr<QueryRunner> make_query_runner(const config::PipelineConfig& pipeline);

}  // namespace tributary::source::mysql
