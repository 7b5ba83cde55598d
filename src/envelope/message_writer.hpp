// PostgreSQL logical decoding messages as Debezium 3.6's LogicalDecodingMessageMonitor and Kafka
// Connect's JsonConverter write them:
//   topic  <topic_prefix>.message (not sanitized, as Debezium), partitioned by its key;
//   key    io.debezium.connector.postgresql.MessageKey {prefix} (version 1);
//   value  io.debezium.connector.postgresql.MessageValue (version 1) {op: "m", ts_ms (processing
//          time), source, transaction (null), message: io.debezium.connector.postgresql.Message
//          {prefix, content (bytes: base64 in JSON, binary.handling.mode bytes)}};
//   no headers (Debezium adds its context headers to data change records only).
// The source block is PostgreSQL's with schema and table "" (no table), txId null for a
// non-transactional message.
// The prefix filter is Debezium's LogicalDecodingMessageFilter: include patterns when any are
// set, else exclude patterns, each matched case-insensitively against the whole prefix.
#pragma once

#include <cstdint>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "envelope/serializer.hpp"
#include "event/logical_message.hpp"
#include "sink/kafka/message.hpp"

namespace tributary::envelope {

/// LogicalDecodingMessageMonitor.LOGICAL_DECODING_MESSAGE_TOPIC_SUFFIX.
inline constexpr std::string_view kMessageTopicSuffix = ".message";

/// "<topic_prefix>.message".
std::string message_topic(std::string_view topic_prefix);

/// Which prefixes are written. The patterns were validated at config load (a pattern that does
/// not compile throws std::regex_error here).
class MessageFilter {
 public:
  MessageFilter(const std::vector<std::string>& include, const std::vector<std::string>& exclude);
  bool included(const std::string& prefix) const;

 private:
  std::vector<std::regex> include_;
  std::vector<std::regex> exclude_;
};

/// The record of `message`, written with `options` (topic prefix, schemas, version) at `now_us`
/// (processing time). kCorrupt when the prefix or a source string is not valid UTF-8.
Result<sink::Message> message_record(const Options& options, const event::LogicalMessage& message,
                                     int64_t now_us);

}  // namespace tributary::envelope
