// The option table's rows for pipelines[].columns and row filters.
#include "config/option_rows.hpp"

namespace tributary::config::detail {

std::vector<Option> column_options() {
  return {};
}

}  // namespace tributary::config::detail
