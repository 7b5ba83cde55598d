// Signals a pipeline accepts (options_signals.cpp): a signal table, a Kafka signal topic.
#pragma once

#include <string>

namespace tributary::config {

/// Debezium's signal.data.collection and signal.kafka.topic. Both may be set; "" is off.
struct SignalsConfig {
  /// "schema.table" whose inserted rows (columns id, type, data) are read from the stream as
  /// signals (PostgreSQL). Its rows are written to Kafka only when tables.include captures it.
  std::string table;
  /// A Kafka topic of signals: key = the pipeline's topic prefix, value {"type", "data"}.
  std::string kafka_topic;
  /// The consumer group that keeps the topic's offset ("": tributary-signals-<pipeline>).
  std::string kafka_group_id;
};

}  // namespace tributary::config
