// The heartbeat action query on its own Connector/C connection (autocommit, as the server's
// default), so that a statement such as an UPDATE of a heartbeat table reaches the binlog.
#include "source/mysql/heartbeat_runner.hpp"

#include "source/mysql/connection.hpp"

namespace tributary::source::mysql {
namespace {

class MysqlQueryRunner final : public QueryRunner {
 public:
  explicit MysqlQueryRunner(const config::PipelineConfig& pipeline) : pipeline_(pipeline) {}

  Result<void> run(const std::string& sql) override {
    if (!connection_) {
      auto connected = Connection::connect(ConnectionOptions::from(pipeline_.source));
      if (!connected.ok()) return connected.error();
      connection_ = std::move(connected.value());
    }
    return connection_->execute(sql);
  }

  void reset() override { connection_.reset(); }

 private:
  const config::PipelineConfig& pipeline_;
  std::unique_ptr<Connection> connection_;
};

}  // namespace

std::unique_ptr<QueryRunner> make_query_runner(const config::PipelineConfig& pipeline) {
  return std::make_unique<MysqlQueryRunner>(pipeline);
}

}  // namespace tributary::source::mysql
