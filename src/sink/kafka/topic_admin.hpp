// Topics through Kafka's Admin API: which are missing, creating them, and the configs check reads.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "base/result.hpp"

struct rd_kafka_s;

namespace tributary::sink {

/// How a topic is created; -1 asks the broker for its default.
struct TopicSettings {
  int partitions = -1;
  int replication_factor = -1;
  std::map<std::string, std::string> config;  ///< topic-level configs (cleanup.policy, ...)
};

/// Settings for topics whose whole name matches `match`; 0 and absent config keys mean "as the
/// defaults".
struct TopicRule {
  std::string match;  ///< ECMAScript regex, already validated by the configuration
  TopicSettings settings;
};

/// Which topics may be created and with what: the first rule whose pattern matches the whole
/// name applies over the defaults. The offsets topic is always created compacted with 1
/// partition: the offsets reader needs only each pipeline's last record, and compaction keeps it
/// however old it is.
class TopicPolicy {
 public:
  TopicPolicy(bool create, TopicSettings defaults, const std::vector<TopicRule>& rules,
              std::string offsets_topic);

  bool create() const { return create_; }
  const std::string& offsets_topic() const { return offsets_topic_; }
  TopicSettings settings_for(const std::string& topic) const;

 private:
  struct CompiledRule {
    std::regex pattern;
    TopicSettings settings;
  };
  bool create_;
  TopicSettings defaults_;
  std::vector<CompiledRule> rules_;
  std::string offsets_topic_;
};

/// "3 partitions, replication factor 2, config cleanup.policy=compact" ("broker default" for -1).
std::string describe_settings(const TopicSettings& settings);
/// The kafka-topics.sh line that creates `topic` with `settings`, for the fix in messages.
std::string create_topic_command(const std::string& bootstrap_servers, const std::string& topic,
                                 const TopicSettings& settings);

/// What one metadata request says about the cluster.
struct ClusterView {
  std::vector<int32_t> broker_ids;  ///< ascending
  std::set<std::string> topics;     ///< every topic, internal ones (__transaction_state) too
};

/// A plain librdkafka client for metadata and admin requests. It never produces and has no
/// transactional.id, so it fences nothing; `tributary check` uses it read-only.
///
/// Metadata is always requested for all topics: asking for named ones would make a broker with
/// `auto.create.topics.enable=true` create them with its defaults instead of our settings.
///
/// @locality Every call blocks (up to its timeout): call from one thread at a time, never from
/// the io_context thread (the committer's sink thread, or the `check` command).
class TopicAdmin {
 public:
  /// `log_scope`: librdkafka's warnings and errors are logged under it; "" keeps them quiet
  /// (for `check`, whose report would be interleaved with them).
  static Result<std::unique_ptr<TopicAdmin>> create(
      const std::string& bootstrap_servers, const std::map<std::string, std::string>& properties,
      const std::string& client_id, const std::string& log_scope);
  ~TopicAdmin();
  TopicAdmin(const TopicAdmin&) = delete;
  TopicAdmin& operator=(const TopicAdmin&) = delete;

  /// Brokers and topics; kRetriable "cannot reach Kafka at ..." when no broker answers.
  Result<ClusterView> describe_cluster(std::chrono::milliseconds timeout);

  /// Makes sure every topic in `topics` exists. Missing ones are created with
  /// `policy.settings_for(name)` when `policy.create()`; a topic that appears meanwhile
  /// (TOPIC_ALREADY_EXISTS: another instance raced us) counts as created. Returns the names it
  /// created once the metadata shows each with a leader for every partition. Errors: kConfig when
  /// a topic is missing and may not be created (naming each and the fix), or when the cluster
  /// refuses to create it (replication factor, policy, authorization, config); kRetriable for
  /// timeouts (also while waiting for the metadata) and unreachable brokers: call again.
  Result<std::vector<std::string>> ensure(const std::vector<std::string>& topics,
                                          const TopicPolicy& policy,
                                          std::chrono::milliseconds timeout);

  /// The configuration of a topic or of a broker (by id) as the cluster describes it, every
  /// entry that has a value. kConfig for an unknown topic or missing authorization.
  Result<std::map<std::string, std::string>> topic_config(const std::string& topic,
                                                          std::chrono::milliseconds timeout);
  Result<std::map<std::string, std::string>> broker_config(int32_t broker_id,
                                                           std::chrono::milliseconds timeout);

 private:
  TopicAdmin(std::string bootstrap_servers, std::string log_scope);

  Result<void> create_topics(const std::vector<std::string>& names, const TopicPolicy& policy,
                             std::chrono::steady_clock::time_point deadline);
  Result<void> wait_visible(const std::vector<std::string>& names,
                            std::chrono::steady_clock::time_point deadline);
  Result<std::map<std::string, std::string>> describe_configs(int resource_type,
                                                              const std::string& name,
                                                              std::chrono::milliseconds timeout);

  rd_kafka_s* client_ = nullptr;
  const std::string bootstrap_servers_;  ///< for messages
  const std::string log_scope_;          ///< owned here: librdkafka's log callback reads it
  std::map<std::string, std::string> properties_;  ///< to mask secrets in librdkafka's log lines
  /// librdkafka's last error event (authentication, TLS, resolution), masked; for the message of
  /// a failed describe_cluster, which otherwise only says "transport failure".
  mutable std::mutex last_error_mu_;
  std::string last_error_;

  friend void log_from_librdkafka(const rd_kafka_s*, int, const char*, const char*);
  friend void error_from_librdkafka(rd_kafka_s*, int, const char*, void*);
};

}  // namespace tributary::sink
