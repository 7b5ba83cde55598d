// The option table's rows for pipelines[].signals.
#include "config/option_rows.hpp"

namespace tributary::config::detail {

std::vector<Option> signal_options() {
  return {};
}

}  // namespace tributary::config::detail
