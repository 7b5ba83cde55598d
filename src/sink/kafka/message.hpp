// The unit the sink writes: a Kafka record, independent of where it came from.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace tributary::sink {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct Message {
  std::string topic;
  std::optional<std::string> key;    ///< nullopt: null key (truncate events)
  std::optional<std::string> value;  ///< nullopt: tombstone
  Headers headers;
  /// Written after `headers`: a list that many records share (the envelope's Debezium context
  /// headers, the same on every record of a pipeline), so no record copies it; null: none.
  std::shared_ptr<const Headers> shared_headers;
  /// nullopt: placed by the producer's partitioner (murmur2 of the key); set: this partition
  /// (schema change records go to partition 0, as Debezium's single-partition schema topic).
  std::optional<int32_t> partition;

  std::size_t byte_size() const {
    std::size_t n = topic.size() + (key ? key->size() : 0) + (value ? value->size() : 0);
    for (const auto& [k, v] : headers) n += k.size() + v.size();
    if (shared_headers) {
      for (const auto& [k, v] : *shared_headers) n += k.size() + v.size();
    }
    return n;
  }
};

}  // namespace tributary::sink
