// The option table's rows for pipelines[].types (how column values are encoded).
#include "config/option_rows.hpp"

namespace tributary::config::detail {

std::vector<Option> type_options() {
  return {};
}

}  // namespace tributary::config::detail
