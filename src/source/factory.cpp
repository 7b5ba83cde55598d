// Source implementations by source.type.
#include "source/factory.hpp"

#include "source/mysql/mysql_source.hpp"
#include "source/mysql/seam.hpp"
#include "source/postgres/postgres_source.hpp"
#include "source/postgres/preflight.hpp"

namespace tributary::source {

Result<std::unique_ptr<Source>> make_source(boost::asio::io_context& io,
                                            const config::PipelineConfig& pipeline,
                                            event::EventQueue& queue, SourceCallbacks callbacks) {
  switch (pipeline.source.type) {
    case config::SourceType::kPostgres:
      return std::unique_ptr<Source>(
          std::make_unique<postgres::PostgresSource>(io, pipeline, queue, std::move(callbacks)));
    case config::SourceType::kMysql:
      break;
  }
  return std::unique_ptr<Source>(
      std::make_unique<mysql::MysqlSource>(io, pipeline, queue, std::move(callbacks)));
}

PreflightReport preflight(const config::PipelineConfig& pipeline,
                          const std::optional<checkpoint::PositionRecord>& resume) {
  switch (pipeline.source.type) {
    case config::SourceType::kPostgres:
      return postgres::preflight(pipeline, resume);
    case config::SourceType::kMysql:
      break;
  }
  return mysql::preflight_report(pipeline, resume);
}

Result<CurrentPosition> current_position(const config::PipelineConfig& pipeline,
                                         bool need_position) {
  switch (pipeline.source.type) {
    case config::SourceType::kPostgres:
      return postgres::current_position(pipeline, need_position);
    case config::SourceType::kMysql:
      break;
  }
  return mysql::current_position(pipeline, need_position);
}

}  // namespace tributary::source
