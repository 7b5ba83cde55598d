// Committer: PostgreSQL logical decoding messages (pipelines[].messages), produced into the open
// Kafka transaction in stream order, as rows are: a transactional message is committed with its
// transaction's rows, and its position is recorded with it.
#include "app/committer.hpp"
#include "base/clock.hpp"
#include "envelope/message_writer.hpp"

namespace tributary::app {

Result<void> Committer::write_message(const event::LogicalMessage& message) {
  if (message.replayed) {
    // Already in Kafka: only counted by transaction metadata (its one record, as written).
    if (!message_filter_.included(message.prefix)) return {};
    event::TransactionOrder order;
    auto counted = order_in_transaction(message.source, nullptr, order);
    if (!counted.ok()) return counted.error();
    if (!*counted) return {};
    scratch_.clear();
    scratch_.push_back(sink::Message{.value = std::string()});
    count_in_transaction(message.source, nullptr, /*replayed=*/true);
    scratch_.clear();
    return {};
  }
  if (!message_filter_.included(message.prefix)) {
    // Left out by messages.include / exclude: nothing written, the position moves on.
    batch_.position = message.position;
    batch_.position_dirty = true;
    return {};
  }
  // A transactional message counts in transaction metadata as Debezium's does (its own record
  // keeps a null transaction block).
  event::TransactionOrder order;
  bool ordered = false;
  if (message.transactional) {
    auto counted = order_in_transaction(message.source, nullptr, order);
    if (!counted.ok()) return counted.error();
    ordered = *counted;
  }
  auto record = envelope::message_record(serializer_->options(), message, unix_now_us());
  if (!record.ok()) {
    return Error::fatal("cannot write the logical decoding message with prefix '" + message.prefix +
                        "' as a record: " + record.error().message);
  }
  scratch_.clear();
  scratch_.push_back(std::move(*record));
  if (ordered) count_in_transaction(message.source, nullptr, /*replayed=*/false);
  auto added = add_to_batch(message.position);
  if (!added.ok()) return added;
  if (batch_.events >= static_cast<std::size_t>(config_.kafka.batch.max_events) ||
      batch_.bytes >= static_cast<std::size_t>(config_.kafka.batch.max_bytes)) {
    return commit_batch();
  }
  return {};
}

}  // namespace tributary::app
