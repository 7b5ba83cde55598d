// The sink thread of a pipeline: batches events into Kafka transactions, then checkpoints.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

#include "app/committer_transactions.hpp"
#include "app/heartbeat.hpp"
#include "base/result.hpp"
#include "checkpoint/checkpoint_store.hpp"
#include "config/config.hpp"
#include "envelope/message_writer.hpp"
#include "envelope/serializer.hpp"
#include "event/event_queue.hpp"
#include "event/source_identity.hpp"
#include "metrics/metrics.hpp"
#include "sink/kafka/topic_admin.hpp"
#include "sink/kafka/transactional_producer.hpp"
#include "source/value_decoder.hpp"

namespace tributary::app {

struct CommitterCallbacks {
  /// sink thread: producer ready, checkpoint read; `resume` is where the source starts.
  std::function<void(std::optional<event::SourcePosition> resume)> ready;
  /// sink thread: `position` is committed in Kafka and written to the checkpoint file, by a
  /// transaction of `events` events (0: the offsets record alone).
  std::function<void(const event::SourcePosition& position, std::size_t events)> committed;
  /// sink thread: every queued item before the request is committed (see request_flush).
  std::function<void(std::optional<event::SourcePosition> position)> flushed;
  /// sink thread: the committer stopped for good (after request_stop, or on a fatal error).
  std::function<void(Result<void> outcome)> stopped;
};

/// Owns the transactional producer and the checkpoint store of one pipeline and runs the
/// exactly-once loop on its own thread (librdkafka's transactional calls block):
///   begin; produce each event's records; close on max_events / max_bytes / max_ms;
///   commit with the offsets record; write the checkpoint; report the position for the ack.
/// A position that moves without events (keepalives, filtered transactions) is committed the
/// same way, as a transaction of the offsets record alone, at most once per second: the source
/// is acknowledged nothing that Kafka's record and the file do not both hold.
/// Every record carries the source's identity (set_source_identity) and the epoch resumed from.
/// A batch is kept until committed: on an abortable error it is aborted and sent again.
/// Snapshot rows are held back by one so the last one can be marked `source.snapshot: last`.
/// No record is produced to a topic before it is known to exist: missing topics are created
/// (kafka.topics) or, with `create: false`, stop the pipeline with a kConfig error naming them.
class Committer {
 public:
  Committer(const config::Config& config, const config::PipelineConfig& pipeline,
            event::EventQueue& queue, metrics::PipelineProbe& probe, CommitterCallbacks callbacks);
  ~Committer();

  void start();
  /// Any thread: the source will capture these tables. Their topics and the offsets topic are
  /// made sure of (one Admin API round for all) before the next queued item is handled; call it
  /// before queueing their events. A table not announced gets its topic at its first record.
  void expect_tables(const std::vector<event::TableId>& tables);
  /// Any thread: the source connected to a server of this identity and passed its resume checks;
  /// positions are recorded with it from the next queued item on. A change from the identity
  /// recorded (none yet, a new timeline) is recorded at once, without waiting for a new position.
  void set_source_identity(const event::SourceIdentity& identity);
  /// Any thread: the identity of the source the committed position was read from (nullopt: not
  /// recorded), for the next source's resume checks.
  std::optional<event::SourceIdentity> recorded_identity() const;
  /// Any thread: the captured tables recorded with the committed position (nullopt: none
  /// recorded, e.g. a format 2 checkpoint), for the next source to tell which tables join.
  std::optional<event::CaptureSet> recorded_tables() const;
  /// Commit everything queued so far, then call `flushed` (used before a source reconnect).
  void request_flush();
  /// Commit everything queued, then stop the thread and call `stopped`.
  void request_stop();
  /// Gives up waiting for Kafka during shutdown after this long (the batch is resent on restart).
  void set_shutdown_deadline(std::chrono::steady_clock::time_point deadline);
  /// Any thread: the producer is initialized, its brokers are up, and the last commit (or init)
  /// did not fail. librdkafka updates the transport state while a commit blocks, so an outage is
  /// seen without waiting for the commit's timeout.
  bool kafka_healthy() const;
  /// Any thread: the text of the last Kafka failure ("" until one, and after a success), for
  /// /readyz and the logs of the pipeline.
  std::string kafka_error() const;
  /// Any thread: the committer stopped because another instance took over the transactional.id;
  /// starting again would fence that one in turn, so the process must end instead.
  bool fenced_by_another_instance() const { return fenced_by_another_instance_.load(); }

 private:
  /// How long one Kafka commit, abort or init call may block.
  static constexpr std::chrono::seconds kCommitTimeout{30};

  struct Batch {
    bool open = false;
    std::vector<sink::Message> messages;
    std::size_t events = 0;
    std::size_t bytes = 0;
    std::chrono::steady_clock::time_point started;
    event::SourcePosition position;
    bool position_dirty = false;
  };

  void run();
  Result<std::optional<event::SourcePosition>> initialize();
  Result<void> handle(event::QueueItem& item);
  Result<void> emit(event::ChangeEvent& change, event::SnapshotMarker marker);
  /// pipelines[].transactions.topic (committer_transactions.cpp): sets `order` for an event of
  /// `table` (null: a logical decoding message) about to be written, opening its transaction;
  /// false when it has none (metadata off, snapshot rows).
  Result<bool> order_in_transaction(const event::SourceInfo& source, const event::TableId* table,
                                    event::TransactionOrder& order);
  /// After an ordered event's records are in scratch_: counts them, and puts the BEGIN record
  /// first if the transaction has none yet (unless the event was already in Kafka).
  void count_in_transaction(const event::SourceInfo& source, const event::TableId* table,
                            bool replayed);
  /// The open transaction's END record into the batch at `position` (its commit).
  Result<void> end_transaction(const event::SourcePosition& position);
  /// A skipped operation's transaction: its BEGIN, nothing counted.
  Result<void> begin_for_skipped(event::ChangeEvent& change);
  /// An event already in Kafka (resumed transaction prefix): counted, not written.
  Result<void> replay(event::ChangeEvent& change);
  /// pipelines[].messages: a logical decoding message's record, or only its position when the
  /// prefix filter leaves it out (committer_messages.cpp).
  Result<void> write_message(const event::LogicalMessage& message);
  /// Produces the records in scratch_ into the open transaction (begun if none; their topics
  /// made sure of first) and moves the batch's position to `position`.
  Result<void> add_to_batch(const event::SourcePosition& position);
  Result<void> commit_batch();
  /// pipelines[].heartbeat: a due heartbeat record joins the open transaction, or is committed
  /// at once with the offsets record (committer_heartbeat.cpp).
  Result<void> beat_if_due();
  Result<void> resend_batch();
  /// Begins a transaction and produces the kept batch into it again (after an abort or a rebuild).
  Result<void> reproduce_batch();
  /// The producer reported itself fenced while the batch was open: a transaction older than the
  /// transaction timeout (rolled back by the coordinator) is sent again from a new producer; a
  /// younger one, or an offsets record in Kafka this process did not commit, means a second
  /// instance took over (kFatal, exit 1).
  Result<void> recover_from_fence(const Error& cause);
  Result<void> save_checkpoint(const checkpoint::PositionRecord& record, std::size_t events);
  /// `position` with this pipeline's epoch, source identity and captured tables (join points it
  /// reached dropped), as written to Kafka and the file.
  checkpoint::PositionRecord record_of(const event::SourcePosition& position) const;
  void apply_source_identity();
  /// Makes sure the topics exist (retrying while Kafka is unreachable) and remembers them.
  Result<void> ensure_topics(const std::vector<std::string>& topics);
  Result<void> ensure_expected_topics();
  bool give_up() const;
  void pause(std::chrono::milliseconds duration);

  const config::Config& config_;
  const config::PipelineConfig& pipeline_;
  event::EventQueue& queue_;
  metrics::PipelineProbe& probe_;
  CommitterCallbacks callbacks_;
  std::unique_ptr<source::ValueDecoder> decoder_;  ///< the source's values -> typed, sink side
  /// Made anew when the source names its connector (MariaDB: "mariadb"), before any event.
  std::unique_ptr<envelope::Serializer> serializer_;
  checkpoint::CheckpointStore store_;
  std::unique_ptr<sink::TransactionalProducer> producer_;
  const sink::TopicPolicy topic_policy_;
  std::unique_ptr<sink::TopicAdmin> topic_admin_;
  /// Topics known to exist (found or created); a record's topic is looked up here before it is
  /// produced, and only a miss talks to Kafka. Sink thread only.
  std::unordered_set<std::string> known_topics_;
  std::mutex expected_mutex_;
  std::vector<std::string> expected_topics_;  ///< guarded by expected_mutex_
  std::atomic<bool> topics_expected_{false};  ///< expected_topics_ is not empty
  std::thread thread_;
  std::atomic<bool> stop_requested_{false};
  std::atomic<bool> flush_requested_{false};
  std::atomic<int64_t> shutdown_deadline_ns_{0};

  Batch batch_;
  HeartbeatSchedule heartbeat_{pipeline_};
  /// When a position-only advance was last committed; they are rate-limited. Sink thread only.
  std::chrono::steady_clock::time_point last_position_commit_{};
  bool record_now_ = false;  ///< commit the dirty position without waiting (identity changed)
  uint64_t epoch_ = 0;       ///< of the record resumed from; sink thread only
  mutable std::mutex identity_mutex_;
  std::optional<event::SourceIdentity> identity_;          ///< guarded by identity_mutex_
  std::optional<event::SourceIdentity> pending_identity_;  ///< guarded by identity_mutex_
  std::atomic<bool> identity_pending_{false};              ///< pending_identity_ is set
  /// The captured tables as of the last handled item (set by position markers). Sink thread only.
  std::optional<event::CaptureSet> capture_set_;
  mutable std::mutex tables_mutex_;
  std::optional<event::CaptureSet> committed_tables_;  ///< guarded by tables_mutex_
  std::vector<sink::Message> scratch_;
  /// The source transaction being written (pipelines[].transactions.topic). Sink thread only.
  std::optional<OpenTransaction> transaction_;
  /// pipelines[].messages.include / exclude, compiled once.
  envelope::MessageFilter message_filter_{pipeline_.messages.include, pipeline_.messages.exclude};
  /// The last item handled was a row of a resumable snapshot chunk whose marker (which records
  /// the chunk) is still to come: the transaction is not closed on size or time until it has.
  bool inside_snapshot_chunk_ = false;
  event::SourcePosition committed_position_;
  bool have_committed_position_ = false;
  std::atomic<const sink::TransactionalProducer*> producer_view_{nullptr};
  std::atomic<bool> kafka_failing_{false};
  void set_kafka_error(std::string text);
  mutable std::mutex kafka_error_mutex_;
  std::string kafka_error_;  ///< guarded by kafka_error_mutex_
  std::atomic<bool> fenced_by_another_instance_{false};
};

}  // namespace tributary::app
