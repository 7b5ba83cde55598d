// Topic administration with librdkafka's Admin API (CreateTopics, DescribeConfigs, Metadata).
#include "sink/kafka/topic_admin.hpp"

#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <thread>

#include "base/log.hpp"
#include "sink/kafka/properties.hpp"

namespace tributary::sink {
namespace {

using Clock = std::chrono::steady_clock;

int remaining_ms(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return static_cast<int>(std::clamp<int64_t>(left.count(), 0, 1 << 30));
}

std::string error_text(rd_kafka_resp_err_t code, const char* detail) {
  std::string text = rd_kafka_err2name(code);
  text += ": ";
  text += detail != nullptr && *detail != '\0' ? detail : rd_kafka_err2str(code);
  return text;
}

/// Failures that go away by themselves: the broker or controller is busy, moving or unreachable.
bool is_transient(rd_kafka_resp_err_t code) {
  switch (code) {
    case RD_KAFKA_RESP_ERR__TIMED_OUT:
    case RD_KAFKA_RESP_ERR__TRANSPORT:
    case RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN:
    case RD_KAFKA_RESP_ERR__RESOLVE:
    case RD_KAFKA_RESP_ERR__WAIT_COORD:
    case RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT:
    case RD_KAFKA_RESP_ERR_NOT_CONTROLLER:
    case RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_BROKER_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_NETWORK_EXCEPTION:
    case RD_KAFKA_RESP_ERR_THROTTLING_QUOTA_EXCEEDED:
    case RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS:
      return true;
    default:
      return false;
  }
}

/// How to get past a refused CreateTopics, by the broker's error.
std::string creation_fix(rd_kafka_resp_err_t code) {
  switch (code) {
    case RD_KAFKA_RESP_ERR_INVALID_REPLICATION_FACTOR:
    case RD_KAFKA_RESP_ERR_INVALID_REPLICA_ASSIGNMENT:
      return "set kafka.topics.replication_factor (or the matching override's) to at most the "
             "number of brokers, or -1 for the broker's default";
    case RD_KAFKA_RESP_ERR_INVALID_PARTITIONS:
      return "set kafka.topics.partitions (or the matching override's) to at least 1, or -1 for "
             "the broker's default";
    case RD_KAFKA_RESP_ERR_INVALID_CONFIG:
      return "correct kafka.topics.config (or the matching override's config): the broker's "
             "message names the key";
    case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED:
      return "grant tributary's principal the CREATE operation on the topic or the cluster, or "
             "create the topic yourself";
    case RD_KAFKA_RESP_ERR_POLICY_VIOLATION:
      return "the cluster's create.topic.policy refused the settings: change kafka.topics, or "
             "create the topic yourself";
    case RD_KAFKA_RESP_ERR_TOPIC_EXCEPTION:
      return "the name is not a legal Kafka topic name: change topic_prefix or offsets.topic";
    case RD_KAFKA_RESP_ERR__UNSUPPORTED_FEATURE:
    case RD_KAFKA_RESP_ERR_UNSUPPORTED_VERSION:
      return "the cluster does not support creating topics through the Admin API: create the "
             "topic yourself";
    default:
      return "create the topic yourself, or change kafka.topics";
  }
}

/// Owners of librdkafka objects, so every return path frees them.
struct QueueHandle {
  rd_kafka_queue_t* queue;
  explicit QueueHandle(rd_kafka_t* rk) : queue(rd_kafka_queue_new(rk)) {}
  ~QueueHandle() { rd_kafka_queue_destroy(queue); }
};
struct EventHandle {
  rd_kafka_event_t* event = nullptr;
  ~EventHandle() {
    if (event) rd_kafka_event_destroy(event);
  }
};
struct OptionsHandle {
  rd_kafka_AdminOptions_t* options;
  OptionsHandle(rd_kafka_t* rk, rd_kafka_admin_op_t op)
      : options(rd_kafka_AdminOptions_new(rk, op)) {}
  ~OptionsHandle() { rd_kafka_AdminOptions_destroy(options); }
};
struct MetadataHandle {
  const rd_kafka_metadata_t* metadata = nullptr;
  ~MetadataHandle() {
    if (metadata) rd_kafka_metadata_destroy(metadata);
  }
};

std::string join(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& name : names) out += (out.empty() ? "" : ", ") + name;
  return out;
}

}  // namespace

// ------------------------------------------------------------------------- TopicPolicy

TopicPolicy::TopicPolicy(bool create, TopicSettings defaults, const std::vector<TopicRule>& rules,
                         std::string offsets_topic)
    : create_(create), defaults_(std::move(defaults)), offsets_topic_(std::move(offsets_topic)) {
  for (const auto& rule : rules) {
    rules_.push_back({std::regex(rule.match, std::regex::ECMAScript), rule.settings});
  }
}

TopicSettings TopicPolicy::settings_for(const std::string& topic) const {
  TopicSettings settings = defaults_;
  for (const auto& rule : rules_) {
    if (!std::regex_match(topic, rule.pattern)) continue;
    if (rule.settings.partitions != 0) settings.partitions = rule.settings.partitions;
    if (rule.settings.replication_factor != 0) {
      settings.replication_factor = rule.settings.replication_factor;
    }
    for (const auto& [key, value] : rule.settings.config) settings.config[key] = value;
    break;  // the first match wins
  }
  if (topic == offsets_topic_) {
    settings.partitions = 1;
    settings.config["cleanup.policy"] = "compact";
  }
  return settings;
}

std::string describe_settings(const TopicSettings& settings) {
  auto number = [](int value) {
    return value == -1 ? std::string("the broker's default") : std::to_string(value);
  };
  std::string text = "partitions " + number(settings.partitions) + ", replication factor " +
                     number(settings.replication_factor);
  if (!settings.config.empty()) {
    text += ", config";
    for (const auto& [key, value] : settings.config) text += " " + key + "=" + value;
  }
  return text;
}

std::string create_topic_command(const std::string& bootstrap_servers, const std::string& topic,
                                 const TopicSettings& settings) {
  std::string command =
      "kafka-topics.sh --bootstrap-server " + bootstrap_servers + " --create --topic " + topic;
  if (settings.partitions != -1) command += " --partitions " + std::to_string(settings.partitions);
  if (settings.replication_factor != -1) {
    command += " --replication-factor " + std::to_string(settings.replication_factor);
  }
  for (const auto& [key, value] : settings.config) command += " --config " + key + "=" + value;
  return command;
}

// ------------------------------------------------------------------------- TopicAdmin

TopicAdmin::TopicAdmin(std::string bootstrap_servers, std::string log_scope)
    : bootstrap_servers_(std::move(bootstrap_servers)), log_scope_(std::move(log_scope)) {}

TopicAdmin::~TopicAdmin() {
  if (client_) rd_kafka_destroy(client_);
}

/// librdkafka's own warnings, under the admin's log scope (its threads; log::write is thread-safe),
/// secret property values masked.
void log_from_librdkafka(const rd_kafka_t* rk, int level, const char* facility, const char* text) {
  const auto* admin = static_cast<const TopicAdmin*>(rd_kafka_opaque(rk));
  if (admin == nullptr || admin->log_scope_.empty() || level > 4) return;
  const std::string message = mask_secret_values(
      std::string("librdkafka admin ") + facility + ": " + text, admin->properties_);
  if (level <= 3) {
    log::error(admin->log_scope_, message);
  } else {
    log::warn(admin->log_scope_, message);
  }
}

/// librdkafka's error events (its threads): the last one is kept for describe_cluster's message.
void error_from_librdkafka(rd_kafka_t* /*rk*/, int /*err*/, const char* reason, void* opaque) {
  auto* admin = static_cast<TopicAdmin*>(opaque);
  if (admin == nullptr || reason == nullptr) return;
  std::string masked = mask_secret_values(reason, admin->properties_);
  std::lock_guard lock(admin->last_error_mu_);
  admin->last_error_ = std::move(masked);
}

Result<std::unique_ptr<TopicAdmin>> TopicAdmin::create(
    const std::string& bootstrap_servers, const std::map<std::string, std::string>& properties,
    const std::string& client_id, const std::string& log_scope) {
  std::unique_ptr<TopicAdmin> self(new TopicAdmin(bootstrap_servers, log_scope));
  char reason[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  auto set = [&](const std::string& name, const std::string& value,
                 const std::string& key) -> Result<void> {
    if (rd_kafka_conf_set(conf, name.c_str(), value.c_str(), reason, sizeof reason) !=
        RD_KAFKA_CONF_OK) {
      return Error::config(key + ": " + mask_secret_values(reason, properties));
    }
    return {};
  };
  Result<void> ok = set("bootstrap.servers", bootstrap_servers, "kafka.bootstrap_servers");
  for (const auto& [name, value] : properties) {
    if (!ok.ok()) break;
    ok = set(name, value, "kafka.properties." + name);
  }
  if (ok.ok()) ok = set("client.id", client_id, "client.id");
  if (!ok.ok()) {
    rd_kafka_conf_destroy(conf);
    return ok.error();
  }
  self->properties_ = properties;
  rd_kafka_conf_set_opaque(conf, self.get());
  rd_kafka_conf_set_log_cb(conf, &log_from_librdkafka);
  rd_kafka_conf_set_error_cb(conf, &error_from_librdkafka);
  // A producer handle is librdkafka's usual admin client; this one never produces.
  self->client_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, reason, sizeof reason);
  if (self->client_ == nullptr) {
    rd_kafka_conf_destroy(conf);
    return Error::config("kafka admin client: " + mask_secret_values(reason, properties));
  }
  return self;
}

Result<ClusterView> TopicAdmin::describe_cluster(std::chrono::milliseconds timeout) {
  MetadataHandle md;
  const int wait = static_cast<int>(std::clamp<int64_t>(timeout.count(), 1, 1 << 30));
  rd_kafka_resp_err_t err = rd_kafka_metadata(client_, 1, nullptr, &md.metadata, wait);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    std::string last;
    {
      std::lock_guard lock(last_error_mu_);
      last = last_error_;
    }
    if (!last.empty()) last = "; last broker error: " + last;
    return Error::retriable("cannot reach Kafka at " + bootstrap_servers_ + ": " +
                            error_text(err, nullptr) + last +
                            " (fix: check kafka.bootstrap_servers, the network, and the security "
                            "settings in kafka.properties)");
  }
  ClusterView view;
  for (int i = 0; i < md.metadata->broker_cnt; ++i) {
    view.broker_ids.push_back(md.metadata->brokers[i].id);
  }
  std::sort(view.broker_ids.begin(), view.broker_ids.end());
  for (int i = 0; i < md.metadata->topic_cnt; ++i) {
    const auto& topic = md.metadata->topics[i];
    if (topic.err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) continue;
    view.topics.insert(topic.topic);
  }
  return view;
}

Result<std::vector<std::string>> TopicAdmin::ensure(const std::vector<std::string>& topics,
                                                    const TopicPolicy& policy,
                                                    std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  auto cluster = describe_cluster(timeout);
  if (!cluster.ok()) return cluster.error();
  std::vector<std::string> missing;
  for (const auto& topic : topics) {
    if (cluster->topics.count(topic) > 0) continue;
    if (std::find(missing.begin(), missing.end(), topic) != missing.end()) continue;
    missing.push_back(topic);
  }
  if (missing.empty()) return missing;
  if (!policy.create()) {
    const bool one = missing.size() == 1;
    return Error::config(std::string(one ? "Kafka topic " : "Kafka topics ") + join(missing) +
                         (one ? " does not exist" : " do not exist") +
                         " and kafka.topics.create is false (fix: create " + (one ? "it" : "them") +
                         ", e.g. " +
                         create_topic_command(bootstrap_servers_, missing.front(),
                                              policy.settings_for(missing.front())) +
                         ", or set kafka.topics.create: true)");
  }
  if (auto created = create_topics(missing, policy, deadline); !created.ok()) {
    return created.error();
  }
  if (auto visible = wait_visible(missing, deadline); !visible.ok()) return visible.error();
  return missing;
}

Result<void> TopicAdmin::create_topics(const std::vector<std::string>& names,
                                       const TopicPolicy& policy, Clock::time_point deadline) {
  char reason[512];
  std::vector<rd_kafka_NewTopic_t*> new_topics;
  struct Owner {
    std::vector<rd_kafka_NewTopic_t*>& topics;
    ~Owner() { rd_kafka_NewTopic_destroy_array(topics.data(), topics.size()); }
  } owner{new_topics};
  std::map<std::string, TopicSettings> settings_of;
  for (const auto& name : names) {
    const TopicSettings settings = policy.settings_for(name);
    rd_kafka_NewTopic_t* topic = rd_kafka_NewTopic_new(
        name.c_str(), settings.partitions, settings.replication_factor, reason, sizeof reason);
    if (topic == nullptr) {
      return Error::config("cannot create Kafka topic " + name + " (" +
                           describe_settings(settings) + "): " + reason +
                           " (fix: change kafka.topics)");
    }
    new_topics.push_back(topic);
    for (const auto& [key, value] : settings.config) {
      if (rd_kafka_NewTopic_set_config(topic, key.c_str(), value.c_str()) !=
          RD_KAFKA_RESP_ERR_NO_ERROR) {
        return Error::config("cannot create Kafka topic " + name + ": config " + key + "=" + value +
                             " is not accepted (fix: correct kafka.topics.config)");
      }
    }
    log::info(log_scope_,
              "creating Kafka topic " + name + " (" + describe_settings(settings) + ")");
    settings_of.emplace(name, settings);
  }

  OptionsHandle options(client_, RD_KAFKA_ADMIN_OP_CREATETOPICS);
  // The controller answers once the topics are created, or at the operation timeout.
  const int wait = std::max(1, remaining_ms(deadline));
  if (rd_kafka_AdminOptions_set_request_timeout(options.options, wait, reason, sizeof reason) ||
      rd_kafka_AdminOptions_set_operation_timeout(options.options, wait, reason, sizeof reason)) {
    return Error::fatal(std::string("kafka admin options: ") + reason);
  }
  QueueHandle queue(client_);
  rd_kafka_CreateTopics(client_, new_topics.data(), new_topics.size(), options.options,
                        queue.queue);
  EventHandle result;
  // librdkafka posts the result by the request timeout; the margin only guards against a bug.
  result.event = rd_kafka_queue_poll(queue.queue, wait + 5000);
  const std::string what = "creating Kafka topic(s) " + join(names);
  if (result.event == nullptr) return Error::retriable(what + ": no answer in time");
  if (rd_kafka_resp_err_t err = rd_kafka_event_error(result.event)) {
    const std::string text =
        what + ": " + error_text(err, rd_kafka_event_error_string(result.event));
    if (is_transient(err)) return Error::retriable(text);
    return Error::config(text + " (fix: " + creation_fix(err) + ")");
  }
  size_t count = 0;
  const rd_kafka_topic_result_t** results =
      rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(result.event), &count);
  std::string refused;
  std::string transient;
  for (size_t i = 0; i < count; ++i) {
    const rd_kafka_resp_err_t err = rd_kafka_topic_result_error(results[i]);
    const std::string name = rd_kafka_topic_result_name(results[i]);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) continue;
    if (err == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
      log::info(log_scope_, "Kafka topic " + name + " was created meanwhile by someone else");
      continue;
    }
    const std::string text =
        "cannot create Kafka topic " + name + " (" + describe_settings(settings_of[name]) +
        "): " + error_text(err, rd_kafka_topic_result_error_string(results[i]));
    if (is_transient(err)) {
      transient += (transient.empty() ? "" : "; ") + text;
    } else {
      refused += (refused.empty() ? "" : "; ") + text + " (fix: " + creation_fix(err) + ")";
    }
  }
  if (!refused.empty()) return Error::config(refused);
  if (!transient.empty()) return Error::retriable(transient);
  return {};
}

Result<void> TopicAdmin::wait_visible(const std::vector<std::string>& names,
                                      Clock::time_point deadline) {
  std::vector<std::string> pending = names;
  while (true) {
    MetadataHandle md;
    const int wait = std::clamp(remaining_ms(deadline), 1, 5000);
    if (rd_kafka_metadata(client_, 1, nullptr, &md.metadata, wait) == RD_KAFKA_RESP_ERR_NO_ERROR) {
      std::erase_if(pending, [&](const std::string& name) {
        for (int i = 0; i < md.metadata->topic_cnt; ++i) {
          const auto& topic = md.metadata->topics[i];
          if (name != topic.topic) continue;
          if (topic.err != RD_KAFKA_RESP_ERR_NO_ERROR || topic.partition_cnt == 0) return false;
          for (int p = 0; p < topic.partition_cnt; ++p) {
            if (topic.partitions[p].leader < 0) return false;
          }
          return true;
        }
        return false;
      });
      if (pending.empty()) return {};
    }
    if (remaining_ms(deadline) == 0) {
      return Error::retriable("Kafka topic(s) " + join(pending) +
                              " created but not yet in the metadata with a leader for every "
                              "partition");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(std::min(100, remaining_ms(deadline))));
  }
}

Result<std::map<std::string, std::string>> TopicAdmin::topic_config(
    const std::string& topic, std::chrono::milliseconds timeout) {
  return describe_configs(RD_KAFKA_RESOURCE_TOPIC, topic, timeout);
}

Result<std::map<std::string, std::string>> TopicAdmin::broker_config(
    int32_t broker_id, std::chrono::milliseconds timeout) {
  return describe_configs(RD_KAFKA_RESOURCE_BROKER, std::to_string(broker_id), timeout);
}

Result<std::map<std::string, std::string>> TopicAdmin::describe_configs(
    int resource_type, const std::string& name, std::chrono::milliseconds timeout) {
  const auto type = static_cast<rd_kafka_ResourceType_t>(resource_type);
  const std::string what = std::string("describing the configuration of Kafka ") +
                           (type == RD_KAFKA_RESOURCE_BROKER ? "broker " : "topic ") + name;
  char reason[512];
  const int wait = static_cast<int>(std::clamp<int64_t>(timeout.count(), 1, 1 << 30));
  OptionsHandle options(client_, RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS);
  if (rd_kafka_AdminOptions_set_request_timeout(options.options, wait, reason, sizeof reason)) {
    return Error::fatal(std::string("kafka admin options: ") + reason);
  }
  rd_kafka_ConfigResource_t* resource = rd_kafka_ConfigResource_new(type, name.c_str());
  QueueHandle queue(client_);
  rd_kafka_DescribeConfigs(client_, &resource, 1, options.options, queue.queue);
  rd_kafka_ConfigResource_destroy(resource);  // the request holds its own copy
  EventHandle result;
  result.event = rd_kafka_queue_poll(queue.queue, wait + 5000);
  if (result.event == nullptr) return Error::retriable(what + ": no answer in time");
  if (rd_kafka_resp_err_t err = rd_kafka_event_error(result.event)) {
    const std::string text =
        what + ": " + error_text(err, rd_kafka_event_error_string(result.event));
    return is_transient(err) ? Error::retriable(text) : Error::config(text);
  }
  size_t count = 0;
  const rd_kafka_ConfigResource_t** resources = rd_kafka_DescribeConfigs_result_resources(
      rd_kafka_event_DescribeConfigs_result(result.event), &count);
  if (count != 1) return Error::retriable(what + ": the answer holds no resource");
  if (rd_kafka_resp_err_t err = rd_kafka_ConfigResource_error(resources[0])) {
    const std::string text =
        what + ": " + error_text(err, rd_kafka_ConfigResource_error_string(resources[0]));
    return is_transient(err) ? Error::retriable(text) : Error::config(text);
  }
  std::map<std::string, std::string> entries;
  size_t entry_count = 0;
  const rd_kafka_ConfigEntry_t** configs =
      rd_kafka_ConfigResource_configs(resources[0], &entry_count);
  for (size_t i = 0; i < entry_count; ++i) {
    const char* value = rd_kafka_ConfigEntry_value(configs[i]);
    if (value != nullptr) entries.emplace(rd_kafka_ConfigEntry_name(configs[i]), value);
  }
  return entries;
}

}  // namespace tributary::sink
