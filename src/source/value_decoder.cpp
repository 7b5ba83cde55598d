#include "source/value_decoder.hpp"

namespace tributary::source {
namespace {

/// Values are typed already (or, until the PostgreSQL decoder exists, still read by the envelope).
class PassThrough final : public ValueDecoder {
 public:
  Result<void> decode(event::ChangeEvent&) override { return {}; }
};

}  // namespace

std::unique_ptr<ValueDecoder> make_value_decoder(const config::PipelineConfig&) {
  return std::make_unique<PassThrough>();
}

}  // namespace tributary::source
