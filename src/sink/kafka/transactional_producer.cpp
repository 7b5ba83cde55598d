// Transactional producer (librdkafka): one transaction per batch, the offsets record inside it.
#include "sink/kafka/transactional_producer.hpp"

#include <librdkafka/rdkafka.h>
#include <rapidjson/document.h>

#include <algorithm>
#include <thread>
#include <vector>

#include "base/log.hpp"
#include "sink/kafka/error_classifier.hpp"
#include "sink/kafka/librdkafka_conf.hpp"
#include "sink/kafka/properties.hpp"

namespace tributary::sink {

using namespace detail;  // Clock, ConfHolder, set_internal... (librdkafka_conf.hpp)

struct TransactionalProducer::Callbacks {
  static void delivery(rd_kafka_t*, const rd_kafka_message_t* message, void* opaque) {
    auto* self = static_cast<TransactionalProducer*>(opaque);
    auto sequence = reinterpret_cast<std::uintptr_t>(message->_private);
    if (message->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      self->transport_ok_.store(true, std::memory_order_relaxed);
      return;
    }
    // Purged records of an aborted transaction report late; only the open one counts.
    if (!self->in_transaction_ || sequence != self->transaction_sequence_) return;
    if (self->delivery_failures_++ == 0) {
      self->first_delivery_failure_ =
          std::string("delivery to ") + rd_kafka_topic_name(message->rkt) + " [" +
          std::to_string(message->partition) + "] failed: " + rd_kafka_err2name(message->err) +
          ": " + rd_kafka_err2str(message->err);
    }
  }

  static void error(rd_kafka_t* rk, int code, const char* reason, void* opaque) {
    auto* self = static_cast<TransactionalProducer*>(opaque);
    auto err = static_cast<rd_kafka_resp_err_t>(code);
    if (err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN) {
      self->transport_ok_.store(false, std::memory_order_relaxed);
    }
    if (err == RD_KAFKA_RESP_ERR__FATAL) {
      char cause[512] = "";
      auto original = rd_kafka_fatal_error(rk, cause, sizeof cause);
      log::error(self->options_.pipeline,
                 std::string("kafka fatal error: ") + rd_kafka_err2name(original) + ": " + cause);
      return;
    }
    log::warn(self->options_.pipeline,
              std::string("kafka: ") + rd_kafka_err2name(err) + ": " + reason);
  }

  /// Any broker connection in state UP (bootstrap, learned or coordinator) means reachable.
  static int stats(rd_kafka_t*, char* json, size_t length, void* opaque) {
    auto* self = static_cast<TransactionalProducer*>(opaque);
    rapidjson::Document document;
    document.Parse(json, length);
    if (document.HasParseError() || !document.IsObject()) return 0;
    auto brokers = document.FindMember("brokers");
    if (brokers == document.MemberEnd() || !brokers->value.IsObject()) return 0;
    bool any_up = false;
    for (const auto& broker : brokers->value.GetObject()) {
      const auto& b = broker.value;
      if (!b.IsObject()) continue;
      auto source = b.FindMember("source");
      auto state = b.FindMember("state");
      if (source == b.MemberEnd() || state == b.MemberEnd() || !source->value.IsString() ||
          !state->value.IsString()) {
        continue;
      }
      if (std::string_view(source->value.GetString()) != "internal" &&
          std::string_view(state->value.GetString()) == "UP") {
        any_up = true;
      }
    }
    self->transport_ok_.store(any_up, std::memory_order_relaxed);
    return 0;  // librdkafka frees json
  }

  static void log(const rd_kafka_t* rk, int level, const char* facility, const char* text) {
    auto* self = static_cast<const TransactionalProducer*>(rd_kafka_opaque(rk));
    if (self == nullptr) return log_from_librdkafka(std::string(), level, facility, text);
    log_from_librdkafka(self->options_.pipeline, level, facility,
                        mask_secret_values(text, self->options_.properties).c_str());
  }
};

TransactionalProducer::TransactionalProducer(ProducerOptions options)
    : options_(std::move(options)) {}

TransactionalProducer::~TransactionalProducer() {
  if (producer_ && in_transaction_ && !fatal_ && transport_ok()) {
    // Best effort: frees read_committed consumers now instead of at transaction.timeout.ms (or at
    // the next init_transactions with this transactional.id).
    if (rd_kafka_error_t* error = rd_kafka_abort_transaction(producer_, 2000)) {
      rd_kafka_error_destroy(error);
    }
  }
  if (offsets_topic_) rd_kafka_topic_destroy(offsets_topic_);
  if (producer_) rd_kafka_destroy(producer_);
}

Result<std::unique_ptr<TransactionalProducer>> TransactionalProducer::create(
    const ProducerOptions& options) {
  if (options.pipeline.empty()) return Error::config("kafka producer: pipeline name is empty");
  if (options.transactional_id.empty()) {
    return Error::config("kafka producer: transactional.id is empty");
  }
  if (options.offsets_topic.empty()) return Error::config("offsets.topic is empty");
  if (options.transaction_timeout_ms <= 0) {
    return Error::config("kafka.transaction_timeout_ms must be positive");
  }
  if (options.bootstrap_servers.empty() && !options.properties.count("bootstrap.servers")) {
    return Error::config("kafka.bootstrap_servers is empty");
  }
  if (options.properties.count("transactional.id")) {
    return Error::config(
        "kafka.properties.transactional.id: not settable, it is derived from the pipeline name "
        "(set kafka.transactional_id_prefix instead)");
  }
  if (auto it = options.properties.find("enable.idempotence");
      it != options.properties.end() && it->second != "true") {
    return Error::config(
        "kafka.properties.enable.idempotence: transactions require it; remove the property");
  }

  std::unique_ptr<TransactionalProducer> self(new TransactionalProducer(options));
  ConfHolder holder;
  rd_kafka_conf_t* conf = holder.conf;
  const std::pair<const char*, std::string> defaults[] = {
      {"client.id", "tributary-" + options.pipeline},
      {"transactional.id", options.transactional_id},
      {"enable.idempotence", "true"},
      {"acks", "all"},
      {"partitioner", "murmur2_random"},
      {"linger.ms", "5"},
      {"transaction.timeout.ms", std::to_string(options.transaction_timeout_ms)},
      {"statistics.interval.ms", "1000"},
  };
  if (!options.bootstrap_servers.empty()) {
    if (auto set = set_internal(conf, "bootstrap.servers", options.bootstrap_servers); !set) {
      return set.error();
    }
  }
  for (const auto& [name, value] : defaults) {
    if (auto set = set_internal(conf, name, value); !set) return set.error();
  }
  if (auto set = set_user_properties(conf, options.properties); !set) return set.error();
  // librdkafka refuses message.timeout.ms > transaction.timeout.ms; follow the effective one.
  if (!options.properties.count("message.timeout.ms")) {
    char value[64];
    size_t size = sizeof value;
    if (rd_kafka_conf_get(conf, "transaction.timeout.ms", value, &size) == RD_KAFKA_CONF_OK) {
      if (auto set = set_internal(conf, "message.timeout.ms", value); !set) return set.error();
    }
  }

  rd_kafka_conf_set_opaque(conf, self.get());
  rd_kafka_conf_set_dr_msg_cb(conf, &Callbacks::delivery);
  rd_kafka_conf_set_error_cb(conf, &Callbacks::error);
  rd_kafka_conf_set_stats_cb(conf, &Callbacks::stats);
  rd_kafka_conf_set_log_cb(conf, &Callbacks::log);

  char reason[512];
  self->producer_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, reason, sizeof reason);
  if (!self->producer_) {
    return Error::config("kafka producer: " + mask_secret_values(reason, options.properties));
  }
  holder.release();  // owned by the producer now

  // The offsets record's placement must not depend on the user's partitioner: the reader looks
  // for it in partition murmur2(pipeline).
  rd_kafka_topic_conf_t* topic_conf = rd_kafka_default_topic_conf_dup(self->producer_);
  if (rd_kafka_topic_conf_set(topic_conf, "partitioner", "murmur2", reason, sizeof reason) !=
      RD_KAFKA_CONF_OK) {
    rd_kafka_topic_conf_destroy(topic_conf);
    return Error::fatal(std::string("kafka: cannot set the offsets topic partitioner: ") + reason);
  }
  self->offsets_topic_ =
      rd_kafka_topic_new(self->producer_, options.offsets_topic.c_str(), topic_conf);
  if (!self->offsets_topic_) {
    // topic_conf is freed by rd_kafka_topic_new on failure too.
    return Error::config("offsets.topic \"" + options.offsets_topic +
                         "\": " + rd_kafka_err2str(rd_kafka_last_error()));
  }
  return self;
}

Result<void> TransactionalProducer::fail_if_fatal() const {
  if (fatal_) return *fatal_;
  return {};
}

Result<void> TransactionalProducer::remember(Error error) {
  if (error.kind == ErrorKind::kFatal) {
    fatal_ = error;
    char reason[512] = "";
    fenced_ = rd_kafka_fatal_error(producer_, reason, sizeof reason) == RD_KAFKA_RESP_ERR__FENCED;
  }
  return error;
}

std::optional<Error> TransactionalProducer::delivery_failure() const {
  if (delivery_failures_ == 0) return std::nullopt;
  return Error::abort_transaction(
      std::to_string(delivery_failures_) +
      " record(s) of this transaction failed; first: " + first_delivery_failure_);
}

Result<void> TransactionalProducer::init_transactions(std::chrono::milliseconds timeout) {
  if (auto failed = fail_if_fatal(); !failed) return failed;
  if (initialized_) return {};
  if (rd_kafka_error_t* error = rd_kafka_init_transactions(producer_, to_ms(timeout))) {
    Error classified = classify_kafka_error("kafka init_transactions", error);
    rd_kafka_error_destroy(error);
    return remember(std::move(classified));
  }
  initialized_ = true;
  transport_ok_.store(true, std::memory_order_relaxed);
  return {};
}

Result<void> TransactionalProducer::begin() {
  if (auto failed = fail_if_fatal(); !failed) return failed;
  if (!initialized_) return Error::fatal("kafka begin: init_transactions() has not succeeded");
  if (in_transaction_) return Error::fatal("kafka begin: a transaction is already open");
  if (rd_kafka_error_t* error = rd_kafka_begin_transaction(producer_)) {
    Error classified = classify_kafka_error("kafka begin_transaction", error);
    rd_kafka_error_destroy(error);
    return remember(std::move(classified));
  }
  in_transaction_ = true;
  transaction_began_ = Clock::now();
  offsets_record_produced_ = false;
  offsets_value_in_transaction_.clear();
  ++transaction_sequence_;
  delivery_failures_ = 0;
  first_delivery_failure_.clear();
  return {};
}

Result<void> TransactionalProducer::produce(const Message& message) {
  if (auto failed = fail_if_fatal(); !failed) return failed;
  if (!in_transaction_) return Error::fatal("kafka produce: no open transaction");
  if (offsets_record_produced_) {
    return Error::fatal("kafka produce: the offsets record must stay the last record");
  }
  if (auto failure = delivery_failure()) return *failure;
  return produce_to(nullptr, message, std::nullopt);
}

Result<void> TransactionalProducer::produce_to(
    rd_kafka_topic_s* topic, const Message& message,
    std::optional<std::chrono::steady_clock::time_point> deadline) {
  std::vector<rd_kafka_vu_t> fields;
  fields.reserve(7 + message.headers.size() +
                 (message.shared_headers ? message.shared_headers->size() : 0));
  auto add = [&](rd_kafka_vtype_t type) -> rd_kafka_vu_t& {
    fields.emplace_back();
    fields.back().vtype = type;
    return fields.back();
  };
  if (topic) {
    add(RD_KAFKA_VTYPE_RKT).u.rkt = topic;
  } else {
    add(RD_KAFKA_VTYPE_TOPIC).u.cstr = message.topic.c_str();
  }
  add(RD_KAFKA_VTYPE_MSGFLAGS).u.i = RD_KAFKA_MSG_F_COPY;
  if (message.partition) add(RD_KAFKA_VTYPE_PARTITION).u.i32 = *message.partition;
  if (message.key) {
    auto& key = add(RD_KAFKA_VTYPE_KEY).u.mem;
    key.ptr = const_cast<char*>(message.key->data());
    key.size = message.key->size();
  }
  if (message.value) {  // absent: tombstone (null value)
    auto& value = add(RD_KAFKA_VTYPE_VALUE).u.mem;
    value.ptr = const_cast<char*>(message.value->data());
    value.size = message.value->size();
  }
  auto add_headers = [&](const Headers& headers) {
    for (const auto& [name, value] : headers) {
      auto& header = add(RD_KAFKA_VTYPE_HEADER).u.header;
      header.name = name.c_str();
      header.val = value.data();
      header.size = static_cast<ssize_t>(value.size());
    }
  };
  add_headers(message.headers);
  if (message.shared_headers) add_headers(*message.shared_headers);
  add(RD_KAFKA_VTYPE_OPAQUE).u.ptr = reinterpret_cast<void*>(transaction_sequence_);

  for (;;) {
    rd_kafka_error_t* error = rd_kafka_produceva(producer_, fields.data(), fields.size());
    if (!error) return {};
    rd_kafka_resp_err_t code = rd_kafka_error_code(error);
    if (code == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
      rd_kafka_error_destroy(error);
      // Delivery reports free room; a broker outage ends in failed reports (message.timeout.ms).
      rd_kafka_poll(producer_, 100);
      if (auto failure = delivery_failure()) return *failure;
      if (deadline && Clock::now() >= *deadline) {
        return Error::retriable("kafka produce to " + message.topic +
                                ": local queue still full at the deadline (" +
                                rd_kafka_err2name(code) + ")");
      }
      continue;
    }
    // Flagged errors carry librdkafka's verdict; bare codes go through the code table.
    const std::string operation = "kafka produce to " + message.topic;
    Error classified = rd_kafka_error_is_fatal(error) || rd_kafka_error_txn_requires_abort(error) ||
                               rd_kafka_error_is_retriable(error)
                           ? classify_kafka_error(operation, error)
                           : classify_kafka_error_code(operation, code, producer_);
    rd_kafka_error_destroy(error);
    if (classified.kind == ErrorKind::kAbortTransaction) {
      // librdkafka refuses records (_STATE) before the failed delivery's report was served.
      rd_kafka_poll(producer_, 0);
      if (auto failure = delivery_failure()) classified.message += " (" + failure->message + ")";
    }
    return remember(std::move(classified));
  }
}

Result<void> TransactionalProducer::commit(const std::string& offsets_value,
                                           std::chrono::milliseconds timeout) {
  if (auto failed = fail_if_fatal(); !failed) return failed;
  if (!in_transaction_) return Error::fatal("kafka commit: no open transaction");
  if (auto failure = delivery_failure()) return *failure;
  auto deadline = Clock::now() + timeout;
  if (!offsets_record_produced_) {
    Message record{options_.offsets_topic, options_.pipeline, offsets_value, {}};
    if (auto produced = produce_to(offsets_topic_, record, deadline); !produced) return produced;
    offsets_record_produced_ = true;
    offsets_value_in_transaction_ = offsets_value;
  } else if (offsets_value != offsets_value_in_transaction_) {
    // The transaction already holds another position: committing it would lie.
    return Error::abort_transaction(
        "kafka commit retried with a different offsets record than the one already produced");
  }

  if (rd_kafka_error_t* error = rd_kafka_commit_transaction(producer_, remaining_ms(deadline))) {
    Error classified = classify_kafka_error("kafka commit_transaction", error);
    rd_kafka_error_destroy(error);
    if (classified.kind == ErrorKind::kAbortTransaction) {
      if (auto failure = delivery_failure()) classified.message += " (" + failure->message + ")";
    }
    return remember(std::move(classified));
  }
  rd_kafka_poll(producer_, 0);
  if (auto failure = delivery_failure()) {
    // librdkafka must not commit after a failed delivery; if it ever did, do not checkpoint.
    return remember(Error::fatal("kafka commit succeeded although " + failure->message));
  }
  in_transaction_ = false;
  offsets_record_produced_ = false;
  last_offsets_record_ = offsets_value;
  transport_ok_.store(true, std::memory_order_relaxed);
  return {};
}

Result<void> TransactionalProducer::abort(std::chrono::milliseconds timeout) {
  if (auto failed = fail_if_fatal(); !failed) return failed;
  if (!in_transaction_) return {};
  if (rd_kafka_error_t* error = rd_kafka_abort_transaction(producer_, to_ms(timeout))) {
    Error classified = classify_kafka_error("kafka abort_transaction", error);
    rd_kafka_error_destroy(error);
    return remember(std::move(classified));
  }
  rd_kafka_poll(producer_, 0);
  in_transaction_ = false;
  offsets_record_produced_ = false;
  return {};
}

void TransactionalProducer::poll() {
  rd_kafka_poll(producer_, 0);
}

}  // namespace tributary::sink
