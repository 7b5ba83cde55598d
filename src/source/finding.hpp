// Finding: one line of `tributary check`, a problem or a fact, from a source or from Kafka.
#pragma once

#include <string>

namespace tributary::source {

struct Finding {
  bool problem = false;  ///< false: a fact worth telling (e.g. "slot will be created")
  std::string scope;     ///< pipeline name, or "kafka"
  std::string text;
};

}  // namespace tributary::source
