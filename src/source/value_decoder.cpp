#include "source/value_decoder.hpp"

#include "source/postgres/values/postgres_value_decoder.hpp"

namespace tributary::source {
namespace {

/// Values are typed already (MySQL's binlog decoder builds them while reading).
class PassThrough final : public ValueDecoder {
 public:
  Result<void> decode(event::ChangeEvent&) override { return {}; }
};

}  // namespace

std::unique_ptr<ValueDecoder> make_value_decoder(const config::PipelineConfig& pipeline) {
  switch (pipeline.source.type) {
    case config::SourceType::kPostgres:
      return std::make_unique<PostgresValueDecoder>(pipeline.types.decimal_handling);
    case config::SourceType::kMysql:
      break;
  }
  return std::make_unique<PassThrough>();
}

}  // namespace tributary::source
