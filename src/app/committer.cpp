// The exactly-once loop: Kafka transaction per batch, offsets record last, then checkpoint.
#include "app/committer.hpp"

#include <stdexcept>

#include "app/offsets_command.hpp"
#include "app/topics.hpp"
#include "base/clock.hpp"
#include "base/log.hpp"
#include "checkpoint/position_json.hpp"
#include "checkpoint/resume_check.hpp"
#include "envelope/column_masks.hpp"

namespace tributary::app {
namespace {

using Clock = std::chrono::steady_clock;
/// One init_transactions call at start: short, so a stop request and an unreachable Kafka are
/// noticed within seconds (a call that timed out resumes where it was when made again).
constexpr auto kInitAttemptTimeout = std::chrono::seconds(5);
/// Position-only advances (keepalives, filtered transactions) become a Kafka transaction each:
/// at most this often, which is plenty for the server to recycle WAL.
constexpr auto kPositionOnlyInterval = std::chrono::seconds(1);

envelope::Options envelope_options(const config::PipelineConfig& pipeline) {
  envelope::Options options;
  options.topic_prefix = pipeline.topic_prefix.empty() ? pipeline.name : pipeline.topic_prefix;
  options.topic_delimiter = pipeline.topic_naming.delimiter;
  options.routes = pipeline.routes;
  options.schemas = pipeline.envelope.schemas;
  options.tombstones_on_delete = pipeline.envelope.tombstones_on_delete;
  options.connector =
      pipeline.source.type == config::SourceType::kPostgres ? "postgresql" : "mysql";
  options.unavailable_value_placeholder = pipeline.envelope.unavailable_value_placeholder;
  options.version = std::string("tributary-") + TRIBUTARY_VERSION;
  options.decimal_handling = pipeline.types.decimal_handling;
  options.time_precision = pipeline.types.time_precision;
  options.binary_handling = pipeline.types.binary_handling;
  options.hstore_handling = pipeline.types.hstore_handling;
  options.interval_handling = pipeline.types.interval_handling;
  auto columns = envelope::ColumnRules::make(pipeline.columns);
  if (!columns.ok()) throw std::invalid_argument(columns.error().message);
  options.columns = std::move(*columns);
  return options;
}

}  // namespace

Committer::Committer(const config::Config& config, const config::PipelineConfig& pipeline,
                     event::EventQueue& queue, metrics::PipelineProbe& probe,
                     CommitterCallbacks callbacks)
    : config_(config),
      pipeline_(pipeline),
      queue_(queue),
      probe_(probe),
      callbacks_(std::move(callbacks)),
      decoder_(source::make_value_decoder(pipeline)),
      serializer_(std::make_unique<envelope::Serializer>(envelope_options(pipeline))),
      store_(config.offsets.directory, pipeline.name),
      topic_policy_(topic_policy(config)) {}

Committer::~Committer() {
  request_stop();
  if (thread_.joinable()) thread_.join();
}

void Committer::start() {
  thread_ = std::thread([this] { run(); });
}

bool Committer::kafka_healthy() const {
  const sink::TransactionalProducer* producer = producer_view_.load();
  return producer != nullptr && producer->transport_ok() && !kafka_failing_.load();
}

std::string Committer::kafka_error() const {
  std::lock_guard lock(kafka_error_mutex_);
  return kafka_error_;
}

void Committer::set_kafka_error(std::string text) {
  std::lock_guard lock(kafka_error_mutex_);
  kafka_error_ = std::move(text);
}

void Committer::expect_tables(const std::vector<event::TableId>& tables) {
  std::vector<std::string> topics;
  topics.reserve(tables.size() + 1);
  for (const auto& table : tables) topics.push_back(data_topic(pipeline_, table));
  topics.push_back(config_.offsets.topic);
  std::lock_guard lock(expected_mutex_);
  expected_topics_.insert(expected_topics_.end(), topics.begin(), topics.end());
  topics_expected_ = true;
}

void Committer::set_source_identity(const event::SourceIdentity& identity) {
  std::lock_guard lock(identity_mutex_);
  pending_identity_ = identity;
  identity_pending_ = true;
}

std::optional<event::SourceIdentity> Committer::recorded_identity() const {
  std::lock_guard lock(identity_mutex_);
  return pending_identity_ ? pending_identity_ : identity_;
}

void Committer::apply_source_identity() {
  bool changed = false;
  {
    std::lock_guard lock(identity_mutex_);
    identity_pending_ = false;
    if (!pending_identity_) return;
    changed = identity_ != pending_identity_;
    identity_ = std::move(pending_identity_);
    pending_identity_.reset();
  }
  // MySQL and MariaDB share the source type; the envelope's connector follows the flavour found.
  if (const auto* mysql = std::get_if<event::MysqlIdentity>(&*identity_)) {
    const std::string connector = event::to_string(mysql->flavour);
    if (serializer_->options().connector != connector) {
      envelope::Options options = serializer_->options();
      options.connector = connector;
      serializer_ = std::make_unique<envelope::Serializer>(std::move(options));
    }
  }
  // Written now, not with the next position: an idle source would otherwise leave the file and
  // Kafka's record without the identity (or with the old timeline) for as long as it idles.
  if (changed && have_committed_position_ && !batch_.open) {
    if (!batch_.position_dirty) batch_.position = committed_position_;
    batch_.position_dirty = true;
    record_now_ = true;
  }
}

std::optional<event::CaptureSet> Committer::recorded_tables() const {
  std::lock_guard lock(tables_mutex_);
  return committed_tables_;
}

checkpoint::PositionRecord Committer::record_of(const event::SourcePosition& position) const {
  checkpoint::PositionRecord record;
  record.pipeline = pipeline_.name;
  record.epoch = epoch_;
  {
    std::lock_guard lock(identity_mutex_);
    record.source = identity_;
  }
  if (capture_set_) record.tables = event::reduce_join_points(*capture_set_, position.lsn());
  record.position = position;
  return record;
}

void Committer::request_flush() {
  flush_requested_ = true;
  queue_.wake_all();
}

void Committer::request_stop() {
  stop_requested_ = true;
  queue_.wake_all();
}

void Committer::set_shutdown_deadline(Clock::time_point deadline) {
  shutdown_deadline_ns_ = deadline.time_since_epoch().count();
}

bool Committer::give_up() const {
  if (!stop_requested_) return false;
  int64_t deadline = shutdown_deadline_ns_.load();
  return deadline != 0 && Clock::now().time_since_epoch().count() >= deadline;
}

void Committer::pause(std::chrono::milliseconds duration) {
  // Waiting on the queue keeps the wait interruptible; nothing is taken from it.
  auto until = Clock::now() + duration;
  while (Clock::now() < until && !give_up()) {
    if (producer_) producer_->poll();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

Result<std::optional<event::SourcePosition>> Committer::initialize() {
  const sink::ProducerOptions options = producer_options(config_, pipeline_);
  auto producer = sink::TransactionalProducer::create(options);
  if (!producer.ok()) return producer.error();
  producer_ = std::move(producer.value());
  auto admin = sink::TopicAdmin::create(config_.kafka.bootstrap_servers, config_.kafka.properties,
                                        "tributary-" + pipeline_.name + "-admin", pipeline_.name);
  if (!admin.ok()) return admin.error();
  topic_admin_ = std::move(admin.value());

  auto backoff = std::chrono::milliseconds(250);
  while (true) {
    auto initialized = producer_->init_transactions(kInitAttemptTimeout);
    if (initialized.ok()) break;
    if (initialized.error().kind != ErrorKind::kRetriable) return initialized.error();
    kafka_failing_ = true;
    set_kafka_error(initialized.error().message);
    log::warn(pipeline_.name,
              "Kafka init_transactions failed, retrying: " + initialized.error().message);
    if (stop_requested_) return Error::retriable("stopped while waiting for Kafka");
    pause(backoff);
    backoff = std::min(backoff * 2, std::chrono::milliseconds(5000));
  }
  kafka_failing_ = false;
  set_kafka_error({});
  producer_view_ = producer_.get();

  std::optional<checkpoint::PositionRecord> from_kafka;
  while (true) {
    auto record = producer_->read_last_offsets_record(kCommitTimeout);
    if (record.ok()) {
      if (*record) {
        auto parsed = checkpoint::position_record_from_json(**record);
        if (!parsed.ok()) {
          return Error::fatal("the last offsets record of pipeline " + pipeline_.name +
                              " in topic " + config_.offsets.topic +
                              " is unreadable: " + parsed.error().message);
        }
        from_kafka = *parsed;
      }
      break;
    }
    if (record.error().kind != ErrorKind::kRetriable || stop_requested_) return record.error();
    log::warn(pipeline_.name,
              "reading the offsets record failed, retrying: " + record.error().message);
    pause(backoff);
  }

  auto from_file = store_.load_record();
  std::optional<checkpoint::PositionRecord> file_position;
  if (!from_file.ok()) {
    if (!from_kafka) {
      return Error::config("checkpoint file " + store_.path() + " is unreadable (" +
                           from_file.error().message +
                           ") and Kafka holds no offsets record for pipeline " + pipeline_.name +
                           " (fix: restore the file, or delete it to start over with a new "
                           "snapshot, which emits every row again)");
    }
    log::warn(pipeline_.name, "checkpoint file " + store_.path() + " is unreadable (" +
                                  from_file.error().message +
                                  "); resuming from the offsets record in Kafka");
    // Falls through: the position must become the committed one like any other resume point,
    // or a source reconnect before the first commit would start over with a new snapshot.
  } else {
    file_position = *from_file;
  }
  std::optional<checkpoint::PositionRecord> resume;
  if (file_position && from_kafka) {
    if (file_position->epoch == from_kafka->epoch && file_position->source && from_kafka->source &&
        !checkpoint::same_source(*file_position->source, *from_kafka->source)) {
      return Error::config(
          "checkpoint file " + store_.path() + " and the offsets record in Kafka topic " +
          config_.offsets.topic + " were recorded from different sources (file: " +
          checkpoint::describe(*file_position->source) +
          "; Kafka: " + checkpoint::describe(*from_kafka->source) +
          "): two deployments share this pipeline name and offsets topic, or a file was copied "
          "from elsewhere (fix: give each deployment its own pipeline name or offsets.topic; "
          "or, to choose this configuration's source, " +
          checkpoint::reset_hint(pipeline_.name) + ")");
    }
    resume = checkpoint::further(*file_position, *from_kafka);
  } else if (file_position) {
    resume = file_position;
  } else {
    resume = from_kafka;
    if (from_kafka && from_file.ok()) {
      log::warn(pipeline_.name, "checkpoint file " + store_.path() +
                                    " is missing; resuming from the offsets record in Kafka");
    }
  }
  if (!resume) {
    log::info(pipeline_.name, "no checkpoint: starting from the beginning");
    return std::optional<event::SourcePosition>();
  }
  committed_position_ = resume->position;
  have_committed_position_ = true;
  epoch_ = resume->epoch;
  capture_set_ = resume->tables;
  {
    std::lock_guard lock(tables_mutex_);
    committed_tables_ = resume->tables;
  }
  {
    std::lock_guard lock(identity_mutex_);
    identity_ = resume->source;
  }
  log::info(pipeline_.name, "resuming from " + checkpoint::record_to_json_as_read(*resume));
  return std::optional<event::SourcePosition>(resume->position);
}

void Committer::run() {
  probe_.inflight_bytes(0);  // what an earlier committer of this pipeline left open is gone
  auto initialized = initialize();
  if (!initialized.ok()) {
    if (callbacks_.stopped) callbacks_.stopped(initialized.error());
    return;
  }
  if (callbacks_.ready) callbacks_.ready(*initialized);

  std::vector<event::QueueItem> items;
  items.reserve(1024);
  const auto max_wait = std::chrono::milliseconds(config_.kafka.batch.max_ms);
  while (true) {
    auto deadline =
        batch_.open ? batch_.started + max_wait : Clock::now() + std::chrono::milliseconds(100);
    items.clear();
    queue_.pop(items, 1024, deadline);
    // Set before the new source queued anything: applies to every item popped from here on.
    if (identity_pending_.load()) apply_source_identity();
    // Announced before their tables' events were queued: seen here before those are handled.
    if (topics_expected_.load()) {
      auto ensured = ensure_expected_topics();
      if (!ensured.ok()) {
        if (callbacks_.stopped) callbacks_.stopped(ensured.error());
        return;
      }
    }
    for (auto& item : items) {
      auto handled = handle(item);
      if (!handled.ok()) {
        if (callbacks_.stopped) callbacks_.stopped(handled.error());
        return;
      }
    }
    if (auto beat = beat_if_due(); !beat.ok()) {
      if (callbacks_.stopped) callbacks_.stopped(beat.error());
      return;
    }
    producer_->poll();
    const bool drained = queue_.empty();
    const bool stopping = stop_requested_.load() && drained;
    const bool flushing = flush_requested_.load() && drained;
    const bool position_due =
        !batch_.open && batch_.position_dirty &&
        (record_now_ || Clock::now() >= last_position_commit_ + kPositionOnlyInterval);
    if ((batch_.open && !inside_snapshot_chunk_ && Clock::now() >= batch_.started + max_wait) ||
        stopping || flushing || position_due) {
      auto committed = commit_batch();
      if (!committed.ok()) {
        if (callbacks_.stopped) callbacks_.stopped(committed.error());
        return;
      }
    }
    if (flushing) {
      flush_requested_ = false;
      if (callbacks_.flushed) {
        callbacks_.flushed(have_committed_position_ ? std::optional(committed_position_)
                                                    : std::nullopt);
      }
    }
    if (stopping) {
      if (callbacks_.stopped) callbacks_.stopped(Result<void>{});
      return;
    }
  }
}

Result<void> Committer::handle(event::QueueItem& item) {
  if (auto* change = std::get_if<event::ChangeEvent>(&item)) {
    if (change->replayed) return replay(*change);
    // A resumable snapshot chunk's rows and the marker recording it share one transaction.
    inside_snapshot_chunk_ = change->op == event::Op::kRead &&
                             !change->position.snapshot_completed &&
                             change->position.snapshot_progress != nullptr;
    if (config::operation_skipped(pipeline_, static_cast<char>(change->op))) {
      // pipelines[].skipped_operations: nothing written, the position moves on as for a marker.
      if (pipeline_.transactions.topic && change->op != event::Op::kRead) {
        if (auto begun = begin_for_skipped(*change); !begun.ok()) return begun;
      }
      batch_.position = change->position;
      batch_.position_dirty = true;
      return {};
    }
    // The snapshot readers mark their rows themselves (first, per table, last).
    return emit(*change, change->source.snapshot);
  }
  if (auto* message = std::get_if<event::LogicalMessage>(&item)) return write_message(*message);
  if (auto* ddl = std::get_if<event::SchemaChange>(&item)) {
    scratch_.clear();
    auto serialized = serializer_->serialize_schema_change(*ddl, unix_now_us(), scratch_);
    if (!serialized.ok()) {
      return Error::fatal("cannot write the schema change of database " + ddl->database +
                          " as a record: " + serialized.error().message);
    }
    return add_to_batch(ddl->position);
  }
  auto& marker = std::get<event::PositionMarker>(item);
  const bool chunk_ended = std::exchange(inside_snapshot_chunk_, false);
  // Recorded from this position on, in the same Kafka transaction as a joining table's last
  // snapshot row (or a later one): never a join point without its snapshot, nor the reverse.
  if (marker.tables) capture_set_ = *marker.tables;
  batch_.position = marker.position;
  batch_.position_dirty = true;
  if (marker.transaction_end && transaction_) {
    if (auto ended = end_transaction(marker.position); !ended.ok()) return ended;
  }
  // The size limit, not looked at inside the chunk, applies again at its end.
  if (chunk_ended && (batch_.events >= static_cast<std::size_t>(config_.kafka.batch.max_events) ||
                      batch_.bytes >= static_cast<std::size_t>(config_.kafka.batch.max_bytes))) {
    return commit_batch();
  }
  return {};
}

Result<void> Committer::emit(event::ChangeEvent& change, event::SnapshotMarker marker) {
  change.source.snapshot = marker;
  if (auto decoded = decoder_->decode(change); !decoded.ok()) {
    return Error::fatal("cannot read a value of table " + change.schema->id.qualified() + ": " +
                        decoded.error().message);
  }
  bool ordered = false;
  if (change.op != event::Op::kRead) {
    auto order = order_in_transaction(change.source, &change.schema->id, change.transaction);
    if (!order.ok()) return order.error();
    ordered = *order;
  }
  scratch_.clear();
  auto serialized = serializer_->serialize(change, unix_now_us(), scratch_);
  if (!serialized.ok()) {
    return Error::fatal("cannot write the event of table " + change.schema->id.qualified() +
                        " as an envelope: " + serialized.error().message);
  }
  if (ordered) count_in_transaction(change.source, &change.schema->id, /*replayed=*/false);
  auto added = add_to_batch(change.position);
  if (!added.ok()) return added;
  // Labelled schema.table (database.table), as the snapshot's series are.
  probe_.event_emitted(change.schema->id.schema, change.schema->id.table,
                       static_cast<char>(change.op));
  if (change.op != event::Op::kRead) {
    probe_.source_lag(static_cast<double>(unix_now_us() - change.source.commit_time_us) / 1e6);
  }
  if (inside_snapshot_chunk_) return {};  // the chunk's marker closes it (bounded by chunk_rows)
  if (batch_.events >= static_cast<std::size_t>(config_.kafka.batch.max_events) ||
      batch_.bytes >= static_cast<std::size_t>(config_.kafka.batch.max_bytes)) {
    return commit_batch();
  }
  return {};
}

Result<void> Committer::add_to_batch(const event::SourcePosition& position) {
  for (const auto& message : scratch_) {
    if (known_topics_.contains(message.topic)) continue;
    // A table first seen while streaming: its topic exists before its first record is produced.
    if (auto ensured = ensure_topics({message.topic}); !ensured.ok()) return ensured;
  }
  if (!batch_.open) {
    auto begun = producer_->begin();
    if (!begun.ok()) return begun.error();
    batch_.open = true;
    batch_.started = Clock::now();
  }
  for (auto& message : scratch_) {
    auto produced = producer_->produce(message);
    if (!produced.ok() && produced.error().kind != ErrorKind::kAbortTransaction &&
        !producer_->fenced()) {
      return produced.error();
    }
    // An abortable failure surfaces again at commit, which aborts and resends the whole batch;
    // so does a fence (recover_from_fence decides there whether the batch is sent again).
    batch_.bytes += message.byte_size();
    batch_.messages.push_back(std::move(message));
  }
  ++batch_.events;
  batch_.position = position;
  batch_.position_dirty = true;
  probe_.inflight_bytes(batch_.bytes);
  return {};
}

Result<void> Committer::commit_batch() {
  if (!batch_.open) {
    if (!batch_.position_dirty) return {};
    // Only the position moved (commits of filtered transactions, keepalives): a transaction of
    // the offsets record alone. The source is acknowledged only what both Kafka and the file
    // hold, so a lost file never resumes from a Kafka record the slot has passed.
    auto begun = producer_->begin();
    if (!begun.ok()) return begun.error();
    batch_.open = true;
    batch_.started = Clock::now();
    last_position_commit_ = batch_.started;
    record_now_ = false;
  }
  if (!known_topics_.contains(config_.offsets.topic)) {
    if (auto ensured = ensure_topics({config_.offsets.topic}); !ensured.ok()) return ensured;
  }
  const checkpoint::PositionRecord record = record_of(batch_.position);
  const std::string offsets = checkpoint::record_to_json(record);
  auto started = Clock::now();
  auto backoff = std::chrono::milliseconds(250);
  while (true) {
    auto committed = producer_->commit(offsets, kCommitTimeout);
    if (committed.ok()) break;
    const Error& error = committed.error();
    kafka_failing_ = true;
    set_kafka_error(error.message);
    if (give_up()) {
      return Error::retriable("shutdown deadline passed with a Kafka transaction not committed (" +
                              error.message + "); it is resent on restart");
    }
    if (error.kind == ErrorKind::kRetriable) {
      log::warn(pipeline_.name, "Kafka commit failed, retrying: " + error.message);
      pause(backoff);
      backoff = std::min(backoff * 2, std::chrono::milliseconds(5000));
      continue;
    }
    if (error.kind == ErrorKind::kAbortTransaction) {
      log::warn(pipeline_.name, "Kafka transaction must be aborted (" + error.message +
                                    "); aborting and sending its " +
                                    std::to_string(batch_.messages.size()) + " records again");
      auto resent = resend_batch();
      if (!resent.ok()) {
        if (resent.error().kind == ErrorKind::kRetriable ||
            resent.error().kind == ErrorKind::kAbortTransaction) {
          pause(backoff);
          backoff = std::min(backoff * 2, std::chrono::milliseconds(5000));
          continue;
        }
        if (!producer_->fenced()) return resent.error();
        // The abort was refused with the epoch bumped: the coordinator rolled the transaction
        // back on its timeout meanwhile, or a second instance fenced this one.
        auto recovered = recover_from_fence(resent.error());
        if (!recovered.ok() && recovered.error().kind != ErrorKind::kRetriable &&
            recovered.error().kind != ErrorKind::kAbortTransaction) {
          return recovered.error();
        }
      }
      continue;
    }
    if (producer_->fenced()) {
      auto recovered = recover_from_fence(error);
      if (!recovered.ok() && recovered.error().kind != ErrorKind::kRetriable &&
          recovered.error().kind != ErrorKind::kAbortTransaction) {
        return recovered.error();
      }
      continue;
    }
    return error;
  }
  kafka_failing_ = false;
  set_kafka_error({});
  probe_.transaction_committed(batch_.events, batch_.bytes,
                               std::chrono::duration<double>(Clock::now() - started).count());
  log::debug(pipeline_.name, "committed Kafka transaction of " + std::to_string(batch_.events) +
                                 " events at " + event::format_lsn(batch_.position.lsn()));
  const std::size_t events = batch_.events;
  batch_.open = false;
  batch_.messages.clear();
  batch_.events = 0;
  batch_.bytes = 0;
  batch_.position_dirty = false;
  probe_.inflight_bytes(0);
  return save_checkpoint(record, events);
}

Result<void> Committer::save_checkpoint(const checkpoint::PositionRecord& record,
                                        std::size_t events) {
  const event::SourcePosition& position = record.position;
  auto saved = store_.save(record);
  if (!saved.ok()) return Error::fatal(saved.error().message);
  capture_set_ = record.tables;  // with the join points it reached dropped
  {
    std::lock_guard lock(tables_mutex_);
    committed_tables_ = record.tables;
  }
  committed_position_ = position;
  have_committed_position_ = true;
  probe_.checkpoint_written(static_cast<double>(unix_now_us()) / 1e6);
  if (position.snapshot_completed && position.is_mysql()) {
    probe_.source_binlog_position(position.mysql().file, position.mysql().pos);
  } else if (position.snapshot_completed) {
    probe_.source_position(position.lsn());
  }
  if (callbacks_.committed) callbacks_.committed(position, events);
  return {};
}

}  // namespace tributary::app
