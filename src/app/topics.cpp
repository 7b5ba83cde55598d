// Topic names and creation settings from the configuration.
#include "app/topics.hpp"

#include "envelope/serializer.hpp"
#include "envelope/topic_router.hpp"

namespace tributary::app {
namespace {

sink::TopicSettings settings(int partitions, int replication_factor,
                             const std::map<std::string, std::string>& config) {
  return {partitions, replication_factor, config};
}

}  // namespace

sink::TopicPolicy topic_policy(const config::Config& config) {
  const config::TopicsConfig& topics = config.kafka.topics;
  std::vector<sink::TopicRule> rules;
  rules.reserve(topics.overrides.size());
  for (const auto& rule : topics.overrides) {
    rules.push_back({rule.match, settings(rule.partitions, rule.replication_factor, rule.config)});
  }
  return sink::TopicPolicy(topics.create,
                           settings(topics.partitions, topics.replication_factor, topics.config),
                           rules, config.offsets.topic);
}

std::string data_topic(const config::PipelineConfig& pipeline, const event::TableId& table) {
  const std::string& prefix = pipeline.topic_prefix.empty() ? pipeline.name : pipeline.topic_prefix;
  return envelope::TopicRouter(prefix, pipeline.topic_naming.delimiter, pipeline.routes)
      .route(table)
      .topic;
}

}  // namespace tributary::app
