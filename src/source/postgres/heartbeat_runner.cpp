// The heartbeat action query on its own libpq connection.
#include "source/postgres/heartbeat_runner.hpp"

#include "source/postgres/pg_connection.hpp"

namespace tributary::source::postgres {
namespace {

class PgQueryRunner final : public QueryRunner {
 public:
  explicit PgQueryRunner(const config::PipelineConfig& pipeline) : pipeline_(pipeline) {}

  Result<void> run(const std::string& sql) override {
    if (!connection_) {
      auto connected = PgConnection::connect(pipeline_.source, PgConnection::Mode::kNormal,
                                             "tributary-" + pipeline_.name + "-heartbeat");
      if (!connected.ok()) return connected.error();
      connection_ = std::move(connected.value());
    }
    auto done = connection_->exec(sql);
    if (!done.ok()) return done.error();
    return {};
  }

  void reset() override { connection_.reset(); }

 private:
  const config::PipelineConfig& pipeline_;
  std::unique_ptr<PgConnection> connection_;
};

}  // namespace

std::unique_ptr<QueryRunner> make_query_runner(const config::PipelineConfig& pipeline) {
  return std::make_unique<PgQueryRunner>(pipeline);
}

}  // namespace tributary::source::postgres
