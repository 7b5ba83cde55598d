// librdkafka configuration helpers shared by the transactional producer and the offsets reader
// (internal to the Kafka sink).
#pragma once

#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <string>
#include <utility>

#include "base/log.hpp"
#include "base/result.hpp"
#include "sink/kafka/properties.hpp"

namespace tributary::sink::detail {

using Clock = std::chrono::steady_clock;

inline int remaining_ms(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return static_cast<int>(std::clamp<int64_t>(left.count(), 0, 1 << 30));
}

inline int to_ms(std::chrono::milliseconds timeout) {
  return static_cast<int>(std::clamp<int64_t>(timeout.count(), 0, 1 << 30));
}

/// Owns an rd_kafka_conf_t until rd_kafka_new takes it.
struct ConfHolder {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  ~ConfHolder() {
    if (conf) rd_kafka_conf_destroy(conf);
  }
  rd_kafka_conf_t* release() { return std::exchange(conf, nullptr); }
};

/// Our own settings: a failure here is a bug, not the user's doing.
inline Result<void> set_internal(rd_kafka_conf_t* conf, const char* name,
                                 const std::string& value) {
  char reason[512];
  if (rd_kafka_conf_set(conf, name, value.c_str(), reason, sizeof reason) != RD_KAFKA_CONF_OK) {
    return Error::fatal(std::string("kafka: cannot set ") + name + "=" + value + ": " + reason);
  }
  return {};
}

/// The user's kafka.properties: errors name the property.
inline Result<void> set_user_properties(rd_kafka_conf_t* conf,
                                        const std::map<std::string, std::string>& properties) {
  for (const auto& [name, value] : properties) {
    char reason[512];
    if (rd_kafka_conf_set(conf, name.c_str(), value.c_str(), reason, sizeof reason) !=
        RD_KAFKA_CONF_OK) {
      return Error::config("kafka.properties." + name + ": " +
                           mask_secret_values(reason, properties));
    }
  }
  return {};
}

/// librdkafka's syslog levels onto ours. Runs on librdkafka's threads (log::write is thread-safe).
inline void log_from_librdkafka(const std::string& pipeline, int level, const char* facility,
                                const char* text) {
  std::string message = std::string("librdkafka ") + facility + ": " + text;
  if (level <= 3) {
    log::error(pipeline, message);
  } else if (level == 4) {
    log::warn(pipeline, message);
  } else if (level <= 6) {
    log::info(pipeline, message);
  } else {
    log::debug(pipeline, message);
  }
}

}  // namespace tributary::sink::detail
