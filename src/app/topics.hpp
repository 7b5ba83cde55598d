// Topic names and creation settings from the configuration, the same for `run` and `check`.
#pragma once

#include <string>

#include "config/config.hpp"
#include "event/change_event.hpp"
#include "sink/kafka/topic_admin.hpp"

namespace tributary::app {

/// kafka.topics and offsets.topic as the sink's policy.
sink::TopicPolicy topic_policy(const config::Config& config);

/// The topic a table's records go to, exactly as the envelope names it:
/// `<topic_prefix>.<schema>.<table>` (topic_naming.delimiter between), characters Kafka does not
/// allow turned into '_', renamed by the first of pipelines[].routes that matches it.
std::string data_topic(const config::PipelineConfig& pipeline, const event::TableId& table);

}  // namespace tributary::app
