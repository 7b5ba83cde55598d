// Logical decoding message records (see message_writer.hpp).
#include "envelope/message_writer.hpp"

#include "envelope/json_util.hpp"
#include "envelope/schema_json.hpp"
#include "envelope/source_block.hpp"
#include "envelope/text_codec.hpp"

namespace tributary::envelope {
namespace {

using detail::JsonWriter;
using detail::key;
using detail::primitive_field;
using detail::string;

constexpr const char* kKeySchemaName = "io.debezium.connector.postgresql.MessageKey";
constexpr const char* kValueSchemaName = "io.debezium.connector.postgresql.MessageValue";
constexpr const char* kBlockSchemaName = "io.debezium.connector.postgresql.Message";

/// The message block's schema (PostgresSchemaFactory.logicalDecodingMessageMonitorBlockSchema).
void write_block_schema(JsonWriter& json) {
  json.StartObject();
  key(json, "type");
  string(json, "struct");
  key(json, "fields");
  json.StartArray();
  primitive_field(json, "string", true, "prefix");
  primitive_field(json, "bytes", true, "content");
  json.EndArray();
  key(json, "optional");
  json.Bool(false);
  key(json, "name");
  string(json, kBlockSchemaName);
  key(json, "version");
  json.Int(1);
  key(json, "field");
  string(json, "message");
  json.EndObject();
}

void write_key_schema(JsonWriter& json) {
  json.StartObject();
  key(json, "type");
  string(json, "struct");
  key(json, "fields");
  json.StartArray();
  primitive_field(json, "string", true, "prefix");
  json.EndArray();
  key(json, "optional");
  json.Bool(false);
  key(json, "name");
  string(json, kKeySchemaName);
  key(json, "version");
  json.Int(1);
  json.EndObject();
}

/// PostgresSchemaFactory.logicalDecodingMessageMonitorValueSchema: op, ts_ms, source,
/// transaction, message.
void write_value_schema(JsonWriter& json) {
  json.StartObject();
  key(json, "type");
  string(json, "struct");
  key(json, "fields");
  json.StartArray();
  primitive_field(json, "string", false, "op");
  primitive_field(json, "int64", true, "ts_ms");
  detail::write_source_schema(json, detail::SourceLayout::kPostgres);
  detail::write_transaction_block_schema(json);
  write_block_schema(json);
  json.EndArray();
  key(json, "optional");
  json.Bool(false);
  key(json, "name");
  string(json, kValueSchemaName);
  key(json, "version");
  json.Int(1);
  json.EndObject();
}

std::vector<std::regex> compile(const std::vector<std::string>& patterns) {
  std::vector<std::regex> compiled;
  compiled.reserve(patterns.size());
  for (const auto& pattern : patterns) {
    compiled.emplace_back(pattern, std::regex::ECMAScript | std::regex::icase);
  }
  return compiled;
}

bool any_matches(const std::vector<std::regex>& patterns, const std::string& text) {
  for (const auto& pattern : patterns) {
    if (std::regex_match(text, pattern)) return true;
  }
  return false;
}

}  // namespace

std::string message_topic(std::string_view topic_prefix) {
  std::string topic(topic_prefix);
  topic += kMessageTopicSuffix;
  return topic;
}

MessageFilter::MessageFilter(const std::vector<std::string>& include,
                             const std::vector<std::string>& exclude)
    : include_(compile(include)), exclude_(compile(exclude)) {}

bool MessageFilter::included(const std::string& prefix) const {
  if (!include_.empty()) return any_matches(include_, prefix);
  return !any_matches(exclude_, prefix);
}

Result<sink::Message> message_record(const Options& options, const event::LogicalMessage& message,
                                     int64_t now_us) {
  if (!detail::valid_utf8(message.prefix)) {
    return Error::corrupt("logical decoding message: the prefix " +
                          detail::quote_for_error(message.prefix) + " is not valid UTF-8");
  }
  sink::Message record;
  record.topic = message_topic(options.topic_prefix);

  rapidjson::StringBuffer buffer;
  JsonWriter json(buffer);
  if (options.schemas) {
    json.StartObject();
    key(json, "schema");
    write_key_schema(json);
    key(json, "payload");
  }
  json.StartObject();
  key(json, "prefix");
  string(json, message.prefix);
  json.EndObject();
  if (options.schemas) json.EndObject();
  record.key = std::string(buffer.GetString(), buffer.GetSize());

  // The message has no table: the source block names none (Debezium's SourceInfo sets "").
  static const event::TableSchema kNoTable;
  buffer.Clear();
  json.Reset(buffer);
  if (options.schemas) {
    json.StartObject();
    key(json, "schema");
    write_value_schema(json);
    key(json, "payload");
  }
  json.StartObject();
  key(json, "op");
  string(json, "m");
  key(json, "ts_ms");
  json.Int64(detail::floor_div(now_us, 1000));
  key(json, "source");
  std::string scratch;
  detail::BadSourceText bad;
  detail::write_source(json, detail::SourceLayout::kPostgres,
                       {options.version, options.connector, options.topic_prefix}, kNoTable,
                       message.source, scratch, bad);
  if (bad.what != nullptr) {
    return Error::corrupt("logical decoding message with prefix " +
                          detail::quote_for_error(message.prefix) + ": the " + bad.what + " " +
                          detail::quote_for_error(bad.text) + " is not valid UTF-8");
  }
  key(json, "transaction");
  json.Null();
  key(json, "message");
  json.StartObject();
  key(json, "prefix");
  string(json, message.prefix);
  key(json, "content");
  scratch.clear();
  codec::append_base64(message.content, scratch);
  string(json, scratch);
  json.EndObject();
  json.EndObject();
  if (options.schemas) json.EndObject();
  record.value = std::string(buffer.GetString(), buffer.GetSize());
  return record;
}

}  // namespace tributary::envelope
