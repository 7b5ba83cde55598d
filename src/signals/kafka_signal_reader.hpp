// The Kafka signal channel (Debezium's signal.kafka.topic): a read_committed consumer on its own
// thread that hands each signal of this pipeline to the dispatcher, then commits its offset.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "config/config.hpp"
#include "signals/signal.hpp"

namespace tributary::signals {

class KafkaSignalReader {
 public:
  KafkaSignalReader(const config::KafkaConfig& kafka, const config::PipelineConfig& pipeline,
                    std::shared_ptr<const SignalDispatcher> dispatcher);
  ~KafkaSignalReader();  ///< stops and joins
  void start();
  void stop();
  /// librdkafka's log lines (on its threads), secrets of kafka.properties masked.
  void log_librdkafka(int level, const char* facility, const char* text) const;

 private:
  void run();

  const config::KafkaConfig kafka_;
  const std::string pipeline_;
  const std::string topic_;
  const std::string key_;  ///< the topic prefix: records with another key are not ours
  const std::string group_;
  std::shared_ptr<const SignalDispatcher> dispatcher_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace tributary::signals
