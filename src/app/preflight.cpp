// Read-only checks behind `tributary check`.
#include "app/preflight.hpp"

#include <algorithm>

#include "app/local_checks.hpp"
#include "app/offsets_command.hpp"
#include "app/topics.hpp"
#include "checkpoint/checkpoint_store.hpp"
#include "checkpoint/resume_check.hpp"
#include "sink/kafka/topic_admin.hpp"
#include "source/factory.hpp"

namespace tributary::app {
namespace {

/// The record run would resume from (the checkpoint file or Kafka's offsets record, the further
/// one), with what is worth saying about the two; the source's checks of it come after.
std::optional<checkpoint::PositionRecord> check_recorded(const config::PipelineConfig& pipeline,
                                                         const config::Config& config,
                                                         std::vector<Finding>& out) {
  auto problem = [&](std::string text) { out.push_back({true, pipeline.name, std::move(text)}); };
  auto fact = [&](std::string text) { out.push_back({false, pipeline.name, std::move(text)}); };
  const RecordedPositions recorded =
      read_recorded_positions(config, pipeline, std::chrono::seconds(10));
  checkpoint::CheckpointStore store(config.offsets.directory, pipeline.name);
  if (recorded.file_error) {
    problem(recorded.file_error->message +
            " (run resumes from the offsets record in Kafka if there is one)");
  } else if (!recorded.file) {
    fact("no checkpoint file " + store.path() + " yet");
  }
  if (recorded.kafka_error) {
    if (recorded.kafka_error->kind == ErrorKind::kCorrupt) {
      problem(recorded.kafka_error->message);
    } else {
      fact("the offsets record in Kafka was not read (" + recorded.kafka_error->message + ")");
    }
  }
  std::optional<checkpoint::PositionRecord> resume;
  std::string resume_from;
  if (recorded.file && recorded.kafka) {
    const auto& file = *recorded.file;
    const auto& kafka = *recorded.kafka;
    if (file.epoch == kafka.epoch && file.source && kafka.source &&
        !checkpoint::same_source(*file.source, *kafka.source)) {
      problem("checkpoint file " + store.path() +
              " and the offsets record in Kafka were recorded from different sources (file: " +
              checkpoint::describe(*file.source) +
              "; Kafka: " + checkpoint::describe(*kafka.source) +
              ") (fix: give each deployment its own pipeline name or offsets.topic, or " +
              checkpoint::reset_hint(pipeline.name) + ")");
    }
    const bool file_wins = &checkpoint::further(file, kafka) == &file;
    resume = file_wins ? file : kafka;
    resume_from = file_wins ? "the checkpoint file" : "the offsets record in Kafka";
  } else if (recorded.file) {
    resume = recorded.file;
    resume_from = "the checkpoint file";
  } else if (recorded.kafka) {
    resume = recorded.kafka;
    resume_from = "the offsets record in Kafka";
  }
  if (resume) {
    fact("run resumes from " + resume_from + ": " + checkpoint::record_to_json_as_read(*resume));
  }
  return resume;
}

/// The source's findings (through the seam) and the recorded position's; appends to `topics`
/// the data topic of every table the pipeline would capture.
void check_pipeline(const config::PipelineConfig& pipeline, const config::Config& config,
                    std::vector<Finding>& out, std::vector<std::string>& topics) {
  std::vector<Finding> recorded;
  const auto resume = check_recorded(pipeline, config, recorded);
  source::PreflightReport report = source::preflight(pipeline, resume);
  for (const auto& table : report.tables) topics.push_back(data_topic(pipeline, table));
  // The source's facts first, then the recorded position, then the source's checks of it.
  out.insert(out.end(), report.findings.begin(), report.findings.end());
  out.insert(out.end(), recorded.begin(), recorded.end());
  out.insert(out.end(), report.resume_findings.begin(), report.resume_findings.end());
}

/// An integer broker setting, or -1 when absent or not a number.
int broker_setting(const std::map<std::string, std::string>& configs, const std::string& name) {
  auto found = configs.find(name);
  if (found == configs.end()) return -1;
  try {
    return std::stoi(found->second);
  } catch (const std::exception&) {
    return -1;
  }
}

/// Reachability, the topics run needs, the offsets topic's cleanup policy, and the brokers'
/// transaction state log settings against the number of brokers. Metadata and DescribeConfigs
/// only: nothing is created, and no transactional producer is made.
void check_kafka(const config::Config& config, std::vector<std::string> topics,
                 std::vector<Finding>& out) {
  auto problem = [&](std::string text) { out.push_back({true, "kafka", std::move(text)}); };
  auto fact = [&](std::string text) { out.push_back({false, "kafka", std::move(text)}); };
  const std::string& servers = config.kafka.bootstrap_servers;
  constexpr auto kTimeout = std::chrono::seconds(10);
  auto admin =
      sink::TopicAdmin::create(servers, config.kafka.properties, "tributary-check", /*quiet*/ "");
  if (!admin.ok()) return problem(admin.error().message);
  auto cluster = (*admin)->describe_cluster(kTimeout);
  if (!cluster.ok()) return problem(cluster.error().message);
  const int brokers = static_cast<int>(cluster->broker_ids.size());
  fact("reached Kafka at " + servers + " (" + std::to_string(brokers) + " broker(s))");

  const sink::TopicPolicy policy = topic_policy(config);
  const std::string& offsets_topic = config.offsets.topic;
  topics.push_back(offsets_topic);
  std::sort(topics.begin(), topics.end());
  topics.erase(std::unique(topics.begin(), topics.end()), topics.end());
  for (const auto& topic : topics) {
    if (cluster->topics.count(topic) > 0) continue;
    const sink::TopicSettings settings = policy.settings_for(topic);
    if (!policy.create()) {
      problem("topic " + topic +
              " does not exist and kafka.topics.create is false (fix: create it: " +
              sink::create_topic_command(servers, topic, settings) +
              ", or set kafka.topics.create: true)");
    } else if (settings.replication_factor > brokers) {
      problem("topic " + topic +
              " does not exist, and run cannot create it with replication "
              "factor " +
              std::to_string(settings.replication_factor) + ": the cluster has " +
              std::to_string(brokers) +
              " broker(s) (fix: set kafka.topics.replication_factor, "
              "or the matching override's, to at most " +
              std::to_string(brokers) + ", or -1 for the broker's default)");
    } else {
      fact("topic " + topic + " does not exist yet: run creates it (" +
           sink::describe_settings(settings) + ")");
    }
  }

  if (cluster->topics.count(offsets_topic) > 0) {
    auto configs = (*admin)->topic_config(offsets_topic, kTimeout);
    if (!configs.ok()) {
      // Not knowing is no fault of the deployment (an ACL, or a cluster without DescribeConfigs).
      fact("cannot tell whether offsets topic " + offsets_topic +
           " is compacted: " + configs.error().message);
    } else {
      auto found = configs->find("cleanup.policy");
      const std::string cleanup = found == configs->end() ? "delete" : found->second;
      if (cleanup != "compact") {
        problem("offsets topic " + offsets_topic + " has cleanup.policy=" + cleanup +
                ", not compact: Kafka deletes offsets records once they are older than the "
                "topic's retention, and a pipeline whose checkpoint file is lost then starts over "
                "(fix: kafka-configs.sh --bootstrap-server " +
                servers + " --alter --entity-type topics --entity-name " + offsets_topic +
                " --add-config cleanup.policy=compact)");
      } else {
        fact("offsets topic " + offsets_topic + " is compacted");
      }
    }
  }

  if (cluster->broker_ids.empty()) return;
  const int32_t broker = cluster->broker_ids.front();
  auto configs = (*admin)->broker_config(broker, kTimeout);
  if (!configs.ok()) {
    return fact("cannot read the brokers' transaction.state.log settings: " +
                configs.error().message);
  }
  const std::string count = std::to_string(brokers) + " broker(s)";
  const int replication = broker_setting(*configs, "transaction.state.log.replication.factor");
  // Once the transaction state topic exists its replication is settled; the setting only
  // matters for creating it, on the first transaction.
  if (replication > brokers && cluster->topics.count("__transaction_state") == 0) {
    problem("broker " + std::to_string(broker) + " has transaction.state.log.replication.factor=" +
            std::to_string(replication) + " but the cluster has " + count +
            ": Kafka cannot create its transaction state topic, so every transaction would hang "
            "(fix: set transaction.state.log.replication.factor to at most " +
            std::to_string(brokers) +
            " in the brokers' configuration and restart them, or add brokers)");
  }
  const int min_isr = broker_setting(*configs, "transaction.state.log.min.isr");
  if (min_isr > brokers) {
    problem("broker " + std::to_string(broker) + " has transaction.state.log.min.isr=" +
            std::to_string(min_isr) + " but the cluster has " + count +
            ": writes to the transaction state log fail, so no transaction can commit (fix: set "
            "transaction.state.log.min.isr to at most " +
            std::to_string(brokers) +
            " in the brokers' configuration and restart them, or add brokers)");
  }
}

}  // namespace

std::vector<Finding> preflight(const config::Config& config) {
  std::vector<Finding> findings = local_checks(config);
  std::vector<std::string> topics;
  for (const auto& pipeline : config.pipelines) {
    check_pipeline(pipeline, config, findings, topics);
  }
  check_kafka(config, std::move(topics), findings);
  return findings;
}

}  // namespace tributary::app
