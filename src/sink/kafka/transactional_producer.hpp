// Exactly-once Kafka writer: one transaction per batch, closed by the pipeline's offsets record.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "base/result.hpp"
#include "sink/kafka/message.hpp"

struct rd_kafka_s;
struct rd_kafka_topic_s;

namespace tributary::sink {

struct ProducerOptions {
  std::string pipeline;  ///< key of the offsets record
  std::string bootstrap_servers;
  /// The user's kafka.properties, applied last via rd_kafka_conf_set (they override the defaults
  /// below). `transactional.id` and `enable.idempotence=false` are refused.
  std::map<std::string, std::string> properties;
  std::string transactional_id;  ///< derived by the caller from the pipeline name
  int transaction_timeout_ms = 60000;
  std::string offsets_topic;  ///< where the offsets record goes
};

/// A librdkafka transactional producer following examples/transactions.c:
///
///   create -> init_transactions -> { begin -> produce* -> commit(offsets) } ...
///
/// Every failure comes back classified (see error_classifier.hpp) and the caller acts on it:
/// - kRetriable: call the same function again (init/commit/abort resume where they were);
/// - kAbortTransaction: abort(), then begin() and resend the same batch (repeat while the resend
///   fails with kAbortTransaction again);
/// - kFatal: destroy this producer, build a new one (its init fences the old epoch), resume from
///   the last checkpoint. Sticky: every later call on this instance returns it again.
/// A record whose delivery failed makes commit() fail (librdkafka puts the transaction into the
/// abortable state; this class also fails fast in produce()): nothing is lost silently.
///
/// Defaults: enable.idempotence (implied by transactions), acks=all, partitioner=murmur2_random
/// (Java's placement for keyed records), linger.ms=5, transaction.timeout.ms from the options,
/// message.timeout.ms = transaction.timeout.ms unless the user set it, statistics.interval.ms=1000
/// (feeds transport_ok()), compression.type left to the user.
///
/// @locality All member functions except transport_ok() must be called from one thread (the
/// pipeline's sink thread); librdkafka's delivery-report, error and stats callbacks are served
/// from poll()/produce()/commit() on that same thread. transport_ok() may be called from any
/// thread (the /readyz handler). librdkafka's log callback runs on its own threads and only logs.
class TransactionalProducer {
 public:
  static Result<std::unique_ptr<TransactionalProducer>> create(const ProducerOptions& options);
  ~TransactionalProducer();
  TransactionalProducer(const TransactionalProducer&) = delete;
  TransactionalProducer& operator=(const TransactionalProducer&) = delete;

  /// Once, before the first begin(). Fences older producers with the same transactional.id and
  /// aborts their open transaction. Timeouts and coordinator trouble are kRetriable.
  Result<void> init_transactions(std::chrono::milliseconds timeout);
  Result<void> begin();
  /// Copies key, value and headers. On a full local queue, serves callbacks and retries; fails
  /// with kAbortTransaction as soon as a delivery report of this transaction reported a failure.
  Result<void> produce(const Message& message);
  /// Produces the offsets record (key = pipeline, value = offsets_value) as the LAST record of
  /// the transaction, then commits. After a kRetriable failure call again with the same value: the
  /// offsets record is not produced twice.
  Result<void> commit(const std::string& offsets_value, std::chrono::milliseconds timeout);
  /// Aborts the open transaction (no-op when none is open). kRetriable: call again.
  Result<void> abort(std::chrono::milliseconds timeout);
  /// The value of the last committed offsets record of this pipeline: a read_committed consumer
  /// on offsets_topic, partition murmur2(pipeline) (where commit() puts it whatever the user's
  /// partitioner), read backwards from the end. nullopt when the topic is missing or empty, the
  /// pipeline has no record, or its last record is a tombstone. Call after init_transactions(),
  /// which aborts a predecessor's open transaction that would otherwise hold back the
  /// read_committed end, and never while a transaction of this producer is open (kFatal). Waits
  /// (up to `timeout`, then kRetriable) while other producers' open transactions hold the stable
  /// end of that partition below its high watermark. Uses a short-lived consumer of its own.
  Result<std::optional<std::string>> read_last_offsets_record(std::chrono::milliseconds timeout);

  /// false while the brokers are unreachable: set by the ALL_BROKERS_DOWN error and by statistics
  /// reports without any broker connection UP; true again on a report with one UP or a successful
  /// init/commit/delivery. false until the first connection. Thread-safe.
  bool transport_ok() const { return transport_ok_.load(std::memory_order_relaxed); }
  /// A kFatal error was returned and librdkafka's fatal error is _FENCED: the coordinator bumped
  /// this producer's epoch. librdkafka 2.0.2 reports both causes so: a newer producer's
  /// init_transactions (a second instance), and the coordinator's rollback of a transaction that
  /// outlived transaction.timeout.ms. The caller tells them apart (Committer::recover_from_fence).
  bool fenced() const { return fenced_; }
  /// When the last begin() succeeded (the open transaction's start, or the last one's).
  std::chrono::steady_clock::time_point transaction_began() const { return transaction_began_; }
  /// The pipeline's last offsets record as this producer knows it: read by
  /// read_last_offsets_record() or committed by commit() (nullopt: none found, or neither yet).
  const std::optional<std::string>& last_offsets_record() const { return last_offsets_record_; }
  /// Serves delivery reports and callbacks without blocking; call regularly from the sink thread.
  void poll();

  const ProducerOptions& options() const { return options_; }

 private:
  explicit TransactionalProducer(ProducerOptions options);

  struct Callbacks;  // librdkafka trampolines (transactional_producer.cpp)
  friend struct Callbacks;

  /// `topic` null: by message.topic. Waits on a full local queue until `deadline` (kRetriable),
  /// or without one until the queued records are delivered or fail (message.timeout.ms).
  Result<void> produce_to(rd_kafka_topic_s* topic, const Message& message,
                          std::optional<std::chrono::steady_clock::time_point> deadline);
  Result<void> fail_if_fatal() const;
  Result<void> remember(Error error);
  std::optional<Error> delivery_failure() const;

  const ProducerOptions options_;
  rd_kafka_s* producer_ = nullptr;
  rd_kafka_topic_s* offsets_topic_ = nullptr;  ///< partitioner fixed to murmur2

  /// Set once a kFatal error was returned: every later call returns it again.
  std::optional<Error> fatal_;
  bool fenced_ = false;  ///< fatal_ is librdkafka's _FENCED
  std::chrono::steady_clock::time_point transaction_began_{};
  std::optional<std::string> last_offsets_record_;
  bool initialized_ = false;
  bool in_transaction_ = false;
  /// The offsets record of the open transaction was produced (commit() is being retried).
  bool offsets_record_produced_ = false;
  std::string offsets_value_in_transaction_;
  /// Tags records (msg_opaque) so late delivery reports of an aborted transaction are ignored.
  std::uintptr_t transaction_sequence_ = 0;
  uint64_t delivery_failures_ = 0;  ///< of the open transaction
  std::string first_delivery_failure_;

  std::atomic<bool> transport_ok_{false};
};

}  // namespace tributary::sink
