// Committer: making sure the topics exist before a record is produced to them (kafka.topics).
#include <algorithm>

#include "app/committer.hpp"
#include "base/log.hpp"

namespace tributary::app {
namespace {

/// One attempt to find and create topics, including the wait for them in the metadata.
constexpr auto kTopicTimeout = std::chrono::seconds(30);

}  // namespace

Result<void> Committer::ensure_expected_topics() {
  std::vector<std::string> topics;
  {
    std::lock_guard lock(expected_mutex_);
    topics.swap(expected_topics_);
    topics_expected_ = false;
  }
  return ensure_topics(topics);
}

Result<void> Committer::ensure_topics(const std::vector<std::string>& topics) {
  std::vector<std::string> unknown;
  for (const auto& topic : topics) {
    if (!known_topics_.contains(topic)) unknown.push_back(topic);
  }
  if (unknown.empty()) return {};
  auto backoff = std::chrono::milliseconds(250);
  bool failed = false;
  while (true) {
    auto ensured = topic_admin_->ensure(unknown, topic_policy_, kTopicTimeout);
    if (ensured.ok()) break;
    const Error& error = ensured.error();
    if (error.kind != ErrorKind::kRetriable) return error;
    failed = true;
    kafka_failing_ = true;
    if (give_up()) {
      return Error::retriable(
          "shutdown deadline passed while making sure the Kafka topics exist (" + error.message +
          ")");
    }
    log::warn(pipeline_.name,
              "cannot make sure the Kafka topics exist yet, retrying: " + error.message);
    pause(backoff);
    backoff = std::min(backoff * 2, std::chrono::milliseconds(5000));
  }
  if (failed) kafka_failing_ = false;
  for (auto& topic : unknown) known_topics_.insert(std::move(topic));
  return {};
}

}  // namespace tributary::app
