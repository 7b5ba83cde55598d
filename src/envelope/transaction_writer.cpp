// Transaction metadata records as Debezium's TransactionStructMaker and Kafka Connect's
// JsonConverter write them (schema shapes learnt from Debezium 3.6 with
// provide.transaction.metadata=true).
#include "envelope/transaction_writer.hpp"

#include "envelope/json_util.hpp"

namespace tributary::envelope {
namespace {

using detail::JsonWriter;
using detail::key;
using detail::primitive_field;
using detail::string;
using detail::struct_tail;

void key_schema(JsonWriter& json) {
  json.StartObject();
  key(json, "type");
  string(json, "struct");
  key(json, "fields");
  json.StartArray();
  primitive_field(json, "string", false, "id");
  json.EndArray();
  struct_tail(json, false, "io.debezium.connector.common.TransactionMetadataKey", "");
}

void value_schema(JsonWriter& json) {
  json.StartObject();
  key(json, "type");
  string(json, "struct");
  key(json, "fields");
  json.StartArray();
  primitive_field(json, "string", false, "status");
  primitive_field(json, "string", false, "id");
  primitive_field(json, "int64", true, "event_count");
  json.StartObject();
  key(json, "type");
  string(json, "array");
  key(json, "items");
  json.StartObject();
  key(json, "type");
  string(json, "struct");
  key(json, "fields");
  json.StartArray();
  primitive_field(json, "string", false, "data_collection");
  primitive_field(json, "int64", false, "event_count");
  json.EndArray();
  struct_tail(json, true, "event.collection", "");
  key(json, "optional");
  json.Bool(true);
  key(json, "field");
  string(json, "data_collections");
  json.EndObject();
  primitive_field(json, "int64", false, "ts_ms");
  json.EndArray();
  struct_tail(json, false, "io.debezium.connector.common.TransactionMetadataValue", "");
}

std::string key_document(bool schemas, std::string_view id) {
  rapidjson::StringBuffer buffer;
  JsonWriter json(buffer);
  if (schemas) {
    json.StartObject();
    key(json, "schema");
    key_schema(json);
    key(json, "payload");
  }
  json.StartObject();
  key(json, "id");
  string(json, id);
  json.EndObject();
  if (schemas) json.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

/// collections null: a BEGIN (event_count and data_collections null).
sink::Message record(std::string_view topic_prefix, bool schemas, std::string_view id,
                     int64_t event_count, const std::vector<DataCollectionCount>* collections,
                     int64_t ts_ms) {
  sink::Message message;
  message.topic = transaction_topic(topic_prefix);
  message.key = key_document(schemas, id);
  rapidjson::StringBuffer buffer;
  JsonWriter json(buffer);
  if (schemas) {
    json.StartObject();
    key(json, "schema");
    value_schema(json);
    key(json, "payload");
  }
  json.StartObject();
  key(json, "status");
  string(json, collections == nullptr ? "BEGIN" : "END");
  key(json, "id");
  string(json, id);
  key(json, "event_count");
  if (collections == nullptr) {
    json.Null();
  } else {
    json.Int64(event_count);
  }
  key(json, "data_collections");
  if (collections == nullptr) {
    json.Null();
  } else {
    json.StartArray();
    for (const auto& collection : *collections) {
      json.StartObject();
      key(json, "data_collection");
      string(json, collection.data_collection);
      key(json, "event_count");
      json.Int64(collection.event_count);
      json.EndObject();
    }
    json.EndArray();
  }
  key(json, "ts_ms");
  json.Int64(ts_ms);
  json.EndObject();
  if (schemas) json.EndObject();
  message.value = std::string(buffer.GetString(), buffer.GetSize());
  return message;
}

}  // namespace

std::string transaction_topic(std::string_view topic_prefix) {
  std::string topic(topic_prefix);
  topic += ".transaction";
  return topic;
}

sink::Message transaction_begin_record(std::string_view topic_prefix, bool schemas,
                                       std::string_view id, int64_t ts_ms) {
  return record(topic_prefix, schemas, id, 0, nullptr, ts_ms);
}

sink::Message transaction_end_record(std::string_view topic_prefix, bool schemas,
                                     std::string_view id, int64_t event_count,
                                     const std::vector<DataCollectionCount>& collections,
                                     int64_t ts_ms) {
  return record(topic_prefix, schemas, id, event_count, &collections, ts_ms);
}

}  // namespace tributary::envelope
