// Debezium's transaction metadata records (provide.transaction.metadata, TransactionMonitor and
// TransactionStructMaker): topic <topic_prefix>.transaction, key
// io.debezium.connector.common.TransactionMetadataKey {id}, value
// io.debezium.connector.common.TransactionMetadataValue {status, id, event_count,
// data_collections [event.collection {data_collection, event_count}], ts_ms}, all version 1,
// with or without the JsonConverter schema part; no headers; partitioned by key.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sink/kafka/message.hpp"

namespace tributary::envelope {

/// "<topic_prefix>.transaction" (Debezium's topic.transaction default "transaction").
std::string transaction_topic(std::string_view topic_prefix);

/// One table's share of a transaction: data_collection is schema.table (MySQL: database.table).
struct DataCollectionCount {
  std::string data_collection;
  int64_t event_count = 0;
  bool operator==(const DataCollectionCount&) const = default;
};

/// The BEGIN record (event_count and data_collections null) of transaction `id`.
sink::Message transaction_begin_record(std::string_view topic_prefix, bool schemas,
                                       std::string_view id, int64_t ts_ms);

/// The END record of transaction `id`: `event_count` events in all, per table in `collections`'
/// order.
sink::Message transaction_end_record(std::string_view topic_prefix, bool schemas,
                                     std::string_view id, int64_t event_count,
                                     const std::vector<DataCollectionCount>& collections,
                                     int64_t ts_ms);

}  // namespace tributary::envelope
