// Kafka signal topic consumer: subscribe in the signal group, act on each record, commit it.
#include "signals/kafka_signal_reader.hpp"

#include <librdkafka/rdkafka.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <chrono>

#include "base/log.hpp"
#include "sink/kafka/librdkafka_conf.hpp"

namespace tributary::signals {
namespace {

void signal_log_cb(const rd_kafka_t* rk, int level, const char* facility, const char* text) {
  if (std::string_view(facility) == "CONFWARN") return;  // producer-only kafka.properties
  const auto* reader = static_cast<const KafkaSignalReader*>(rd_kafka_opaque(rk));
  if (reader != nullptr) reader->log_librdkafka(level, facility, text);
}

/// A record's value: {"type": "...", "data": {...}} (data may also be a JSON text, or absent).
/// False: not a signal (the reason in `why`).
bool parse_value(std::string_view value, Signal& signal, std::string& why) {
  rapidjson::Document document;
  document.Parse(value.data(), value.size());
  if (document.HasParseError() || !document.IsObject()) {
    why = "its value is not a JSON object";
    return false;
  }
  auto type = document.FindMember("type");
  if (type == document.MemberEnd() || !type->value.IsString()) {
    why = "its value has no string \"type\"";
    return false;
  }
  signal.type.assign(type->value.GetString(), type->value.GetStringLength());
  if (auto id = document.FindMember("id"); id != document.MemberEnd() && id->value.IsString()) {
    signal.id.assign(id->value.GetString(), id->value.GetStringLength());
  }
  auto data = document.FindMember("data");
  if (data == document.MemberEnd() || data->value.IsNull()) {
    signal.data.clear();
  } else if (data->value.IsString()) {
    signal.data.assign(data->value.GetString(), data->value.GetStringLength());
  } else {
    rapidjson::StringBuffer buffer;
    rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
    data->value.Accept(writer);
    signal.data.assign(buffer.GetString(), buffer.GetSize());
  }
  return true;
}

}  // namespace

KafkaSignalReader::KafkaSignalReader(const config::KafkaConfig& kafka,
                                     const config::PipelineConfig& pipeline,
                                     std::shared_ptr<const SignalDispatcher> dispatcher)
    : kafka_(kafka),
      pipeline_(pipeline.name),
      topic_(pipeline.signals.kafka_topic),
      key_(pipeline.topic_prefix.empty() ? pipeline.name : pipeline.topic_prefix),
      group_(pipeline.signals.kafka_group_id.empty() ? "tributary-signals-" + pipeline.name
                                                     : pipeline.signals.kafka_group_id),
      dispatcher_(std::move(dispatcher)) {}

KafkaSignalReader::~KafkaSignalReader() {
  stop();
  if (thread_.joinable()) thread_.join();
}

void KafkaSignalReader::start() {
  thread_ = std::thread([this] { run(); });
}

void KafkaSignalReader::stop() {
  stop_ = true;
}

void KafkaSignalReader::log_librdkafka(int level, const char* facility, const char* text) const {
  sink::detail::log_from_librdkafka(pipeline_, level, facility,
                                    sink::mask_secret_values(text, kafka_.properties).c_str());
}

void KafkaSignalReader::run() {
  using namespace sink::detail;
  ConfHolder holder;
  rd_kafka_conf_t* conf = holder.conf;
  auto failed = [this](const std::string& why) {
    log::error(pipeline_, "kafka signal topic " + topic_ + ": " + why +
                              "; signals from it are not read until the next start");
  };
  std::map<std::string, std::string> user = kafka_.properties;
  for (const char* producer_only : {"transaction.timeout.ms", "statistics.interval.ms"}) {
    user.erase(producer_only);
  }
  const std::pair<const char*, std::string> forced[] = {
      {"bootstrap.servers", kafka_.bootstrap_servers},
      {"client.id", "tributary-" + pipeline_ + "-signals"},
      {"group.id", group_},
      {"isolation.level", "read_committed"},
      {"enable.auto.commit", "false"},
      {"enable.auto.offset.store", "false"},
      {"auto.offset.reset", "earliest"},
      {"allow.auto.create.topics", "false"},
  };
  if (auto set = set_user_properties(conf, user); !set) return failed(set.error().message);
  for (const auto& [name, value] : forced) {
    if (auto set = set_internal(conf, name, value); !set) return failed(set.error().message);
  }
  rd_kafka_conf_set_opaque(conf, this);
  rd_kafka_conf_set_log_cb(conf, &signal_log_cb);
  char reason[512];
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, reason, sizeof reason);
  if (rk == nullptr) return failed(sink::mask_secret_values(reason, kafka_.properties));
  holder.release();
  rd_kafka_poll_set_consumer(rk);
  rd_kafka_topic_partition_list_t* topics = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(topics, topic_.c_str(), RD_KAFKA_PARTITION_UA);
  rd_kafka_resp_err_t err = rd_kafka_subscribe(rk, topics);
  rd_kafka_topic_partition_list_destroy(topics);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    failed(rd_kafka_err2str(err));
    rd_kafka_destroy(rk);
    return;
  }
  log::info(pipeline_, "reading signals from kafka topic " + topic_ + " (group " + group_ +
                           ", records keyed " + key_ + ")");
  std::string last_error;
  while (!stop_) {
    rd_kafka_message_t* message = rd_kafka_consumer_poll(rk, 200);
    if (message == nullptr) continue;
    if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      if (message->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        std::string error = rd_kafka_message_errstr(message);
        if (error != last_error) {  // e.g. the topic is missing: said once, not every poll
          log::warn(pipeline_, "kafka signal topic " + topic_ + ": " + error + "; retrying");
          last_error = std::move(error);
        }
      }
      rd_kafka_message_destroy(message);
      continue;
    }
    last_error.clear();
    Signal signal;
    signal.channel = "kafka";
    const std::string where =
        topic_ + "/" + std::to_string(message->partition) + "@" + std::to_string(message->offset);
    std::string_view key(static_cast<const char*>(message->key), message->key_len);
    if (message->key == nullptr || key != key_) {
      log::debug(pipeline_, "kafka signal " + where + " skipped: its key is not " + key_);
    } else {
      std::string why;
      std::string_view value(static_cast<const char*>(message->payload), message->len);
      if (message->payload == nullptr || !parse_value(value, signal, why)) {
        log::warn(pipeline_, "signal '" + where + "' (kafka) skipped: " +
                                 (message->payload == nullptr ? "it has no value" : why));
      } else {
        if (signal.id.empty()) signal.id = where;
        dispatcher_->dispatch(signal);
      }
    }
    // Acted on (or skipped): the group's offset moves past it, so a restart does not repeat it.
    err = rd_kafka_commit_message(rk, message, 0);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      log::warn(pipeline_, "kafka signal " + where +
                               ": cannot commit its offset (it may be acted on again after a "
                               "restart): " +
                               rd_kafka_err2str(err));
    }
    rd_kafka_message_destroy(message);
  }
  rd_kafka_consumer_close(rk);
  rd_kafka_destroy(rk);
}

}  // namespace tributary::signals
