// Source implementations by source.type.
#include "source/factory.hpp"

#include "source/postgres/postgres_source.hpp"
#include "source/postgres/preflight.hpp"

namespace tributary::source {
namespace {

Error mysql_not_built() {
  return Error::config(
      "source.type mysql is not built into this tributary yet (fix: use source.type: postgres, "
      "or a build with the MySQL source)");
}

}  // namespace

Result<std::unique_ptr<Source>> make_source(boost::asio::io_context& io,
                                            const config::PipelineConfig& pipeline,
                                            event::EventQueue& queue, SourceCallbacks callbacks) {
  switch (pipeline.source.type) {
    case config::SourceType::kPostgres:
      return std::unique_ptr<Source>(
          std::make_unique<postgres::PostgresSource>(io, pipeline, queue, std::move(callbacks)));
    case config::SourceType::kMysql:
      return mysql_not_built();
  }
  return mysql_not_built();
}

PreflightReport preflight(const config::PipelineConfig& pipeline,
                          const std::optional<checkpoint::PositionRecord>& resume) {
  switch (pipeline.source.type) {
    case config::SourceType::kPostgres:
      return postgres::preflight(pipeline, resume);
    case config::SourceType::kMysql:
      break;
  }
  PreflightReport report;
  report.findings.push_back({true, pipeline.name, mysql_not_built().message});
  return report;
}

Result<CurrentPosition> current_position(const config::PipelineConfig& pipeline,
                                         bool need_position) {
  switch (pipeline.source.type) {
    case config::SourceType::kPostgres:
      return postgres::current_position(pipeline, need_position);
    case config::SourceType::kMysql:
      break;
  }
  return mysql_not_built();
}

}  // namespace tributary::source
