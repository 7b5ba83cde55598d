// The option table's rows for pipelines[].transactions and pipelines[].heartbeat.
#include "config/option_rows.hpp"

namespace tributary::config::detail {

std::vector<Option> transaction_options() {
  return {};
}

}  // namespace tributary::config::detail
