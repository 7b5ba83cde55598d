// The option table's rows for pipelines[].routes and pipelines[].topic_naming.
#include "config/option_rows.hpp"

namespace tributary::config::detail {

std::vector<Option> route_options() {
  return {};
}

}  // namespace tributary::config::detail
