// Committer: heartbeat records, each in a Kafka transaction with the offsets record.
#include "app/committer.hpp"
#include "base/clock.hpp"
#include "base/log.hpp"
#include "envelope/heartbeat_writer.hpp"

namespace tributary::app {

Result<void> Committer::beat_if_due() {
  if (!heartbeat_.take_due(std::chrono::steady_clock::now())) return {};
  // As Debezium: no heartbeat before there is a position to record with it.
  if (!have_committed_position_ && !batch_.position_dirty && !batch_.open) return {};
  const envelope::Options& options = serializer_->options();
  scratch_.clear();
  scratch_.push_back(
      envelope::heartbeat_record(options.topic_prefix, options.schemas, unix_now_us() / 1000));
  const std::string& topic = scratch_.front().topic;
  if (!known_topics_.contains(topic)) {
    if (auto ensured = ensure_topics({topic}); !ensured.ok()) return ensured;
  }
  if (!batch_.open) {
    auto begun = producer_->begin();
    if (!begun.ok()) return begun.error();
    batch_.open = true;
    batch_.started = std::chrono::steady_clock::now();
  }
  sink::Message& message = scratch_.front();
  auto produced = producer_->produce(message);
  // As add_to_batch: an abortable failure or a fence is handled at commit (the batch resent).
  if (!produced.ok() && produced.error().kind != ErrorKind::kAbortTransaction &&
      !producer_->fenced()) {
    return produced.error();
  }
  probe_.heartbeat_written();
  batch_.bytes += message.byte_size();
  batch_.messages.push_back(std::move(message));
  scratch_.clear();
  if (!batch_.position_dirty) {
    batch_.position = committed_position_;
    batch_.position_dirty = true;
  }
  log::debug(pipeline_.name,
             "heartbeat written to " + envelope::heartbeat_topic(options.topic_prefix));
  // Idle: committed at once with the offsets record. Busy: committed with the open batch.
  if (batch_.events == 0) return commit_batch();
  return {};
}

}  // namespace tributary::app
