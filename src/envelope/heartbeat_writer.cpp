// Heartbeat records as Debezium's HeartbeatImpl and Kafka Connect's JsonConverter write them.
#include "envelope/heartbeat_writer.hpp"

#include "envelope/json_util.hpp"

namespace tributary::envelope {
namespace {

using detail::JsonWriter;
using detail::key;
using detail::primitive_field;
using detail::string;

/// {"type":"struct","fields":[<one field>],"optional":false,"name":<name>,"version":1}
void struct_schema(JsonWriter& json, std::string_view type, std::string_view field,
                   std::string_view name) {
  json.StartObject();
  key(json, "type");
  string(json, "struct");
  key(json, "fields");
  json.StartArray();
  primitive_field(json, type, false, field);
  json.EndArray();
  key(json, "optional");
  json.Bool(false);
  key(json, "name");
  string(json, name);
  key(json, "version");
  json.Int(1);
  json.EndObject();
}

}  // namespace

std::string heartbeat_topic(std::string_view topic_prefix) {
  std::string topic(kHeartbeatTopicPrefix);
  topic += '.';
  topic += topic_prefix;
  return topic;
}

sink::Message heartbeat_record(std::string_view topic_prefix, bool schemas, int64_t now_ms) {
  sink::Message message;
  message.topic = heartbeat_topic(topic_prefix);

  rapidjson::StringBuffer key_buffer;
  JsonWriter key_json(key_buffer);
  if (schemas) {
    key_json.StartObject();
    key(key_json, "schema");
    struct_schema(key_json, "string", "serverName", "io.debezium.connector.common.ServerNameKey");
    key(key_json, "payload");
  }
  key_json.StartObject();
  key(key_json, "serverName");
  string(key_json, topic_prefix);
  key_json.EndObject();
  if (schemas) key_json.EndObject();
  message.key = std::string(key_buffer.GetString(), key_buffer.GetSize());

  rapidjson::StringBuffer value_buffer;
  JsonWriter value_json(value_buffer);
  if (schemas) {
    value_json.StartObject();
    key(value_json, "schema");
    struct_schema(value_json, "int64", "ts_ms", "io.debezium.connector.common.Heartbeat");
    key(value_json, "payload");
  }
  value_json.StartObject();
  key(value_json, "ts_ms");
  value_json.Int64(now_ms);
  value_json.EndObject();
  if (schemas) value_json.EndObject();
  message.value = std::string(value_buffer.GetString(), value_buffer.GetSize());
  return message;
}

}  // namespace tributary::envelope
