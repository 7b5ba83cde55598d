// Signals a pipeline accepts (options_signals.cpp): a signal table, a Kafka signal topic.
#pragma once

#include <string>

namespace tributary::config {

struct SignalsConfig {};

}  // namespace tributary::config
