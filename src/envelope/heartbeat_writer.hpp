// Debezium's heartbeat records (HeartbeatImpl): topic __debezium-heartbeat.<topic_prefix>, key
// io.debezium.connector.common.ServerNameKey {serverName: <topic_prefix>}, value
// io.debezium.connector.common.Heartbeat {ts_ms}, both version 1 (SchemaFactory), with or
// without the JsonConverter schema part. No headers: Debezium's context headers are added to
// data change records only.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "sink/kafka/message.hpp"

namespace tributary::envelope {

/// Debezium's default heartbeat.topics.prefix.
inline constexpr std::string_view kHeartbeatTopicPrefix = "__debezium-heartbeat";

/// "__debezium-heartbeat.<topic_prefix>".
std::string heartbeat_topic(std::string_view topic_prefix);

/// The heartbeat record of `topic_prefix` at `now_ms` (ms since the epoch), partitioned by its
/// key as Debezium's (a SourceRecord without a partition).
sink::Message heartbeat_record(std::string_view topic_prefix, bool schemas, int64_t now_ms);

}  // namespace tributary::envelope
