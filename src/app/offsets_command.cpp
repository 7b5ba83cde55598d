// `tributary offsets reset` and the read-only look at recorded positions behind `check`.
#include "app/offsets_command.hpp"

#include <algorithm>
#include <iostream>
#include <thread>

#include "checkpoint/checkpoint_store.hpp"
#include "checkpoint/resume_check.hpp"
#include "source/factory.hpp"

namespace tributary::app {
namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kKafkaTimeout = std::chrono::seconds(60);

/// Calls `attempt` until it succeeds, fails other than kRetriable, or `deadline` passes.
template <class Attempt>
auto retry_until(Clock::time_point deadline, Attempt attempt) -> decltype(attempt()) {
  auto backoff = std::chrono::milliseconds(250);
  while (true) {
    auto result = attempt();
    if (result.ok() || result.error().kind != ErrorKind::kRetriable || Clock::now() >= deadline) {
      return result;
    }
    std::this_thread::sleep_for(backoff);
    backoff = std::min(backoff * 2, std::chrono::milliseconds(2000));
  }
}

std::string describe_record(const std::optional<checkpoint::PositionRecord>& record) {
  return record ? checkpoint::record_to_json_as_read(*record) : "none";
}

}  // namespace

sink::ProducerOptions producer_options(const config::Config& config,
                                       const config::PipelineConfig& pipeline) {
  sink::ProducerOptions options;
  options.pipeline = pipeline.name;
  options.bootstrap_servers = config.kafka.bootstrap_servers;
  options.properties = config.kafka.properties;
  options.transactional_id = config.kafka.transactional_id_prefix + pipeline.name;
  options.transaction_timeout_ms = config.kafka.transaction_timeout_ms;
  options.offsets_topic = config.offsets.topic;
  return options;
}

RecordedPositions read_recorded_positions(const config::Config& config,
                                          const config::PipelineConfig& pipeline,
                                          std::chrono::milliseconds kafka_timeout) {
  RecordedPositions positions;
  checkpoint::CheckpointStore store(config.offsets.directory, pipeline.name);
  auto file = store.load_record();
  if (file.ok()) {
    positions.file = *file;
  } else {
    positions.file_error = file.error();
  }
  // Created, never initialized: no InitProducerId, so a running daemon is not fenced.
  auto producer = sink::TransactionalProducer::create(producer_options(config, pipeline));
  if (!producer.ok()) {
    positions.kafka_error = producer.error();
    return positions;
  }
  auto raw = (*producer)->read_last_offsets_record(kafka_timeout);
  if (!raw.ok()) {
    positions.kafka_error = raw.error();
  } else if (*raw) {
    auto parsed = checkpoint::position_record_from_json(**raw);
    if (parsed.ok()) {
      positions.kafka = *parsed;
    } else {
      positions.kafka_error =
          Error::corrupt("the last offsets record in Kafka topic " + config.offsets.topic +
                         " is unreadable: " + parsed.error().message);
    }
  }
  return positions;
}

int offsets_reset(const config::Config& config, const std::string& name, ResetTarget target) {
  auto found = std::find_if(config.pipelines.begin(), config.pipelines.end(),
                            [&](const config::PipelineConfig& p) { return p.name == name; });
  if (found == config.pipelines.end()) {
    std::string names;
    for (const auto& p : config.pipelines) names += (names.empty() ? "" : ", ") + p.name;
    std::cerr << "tributary: no pipeline named \"" << name
              << "\" in the configuration (it has: " << names << ")\n";
    return 2;
  }
  const config::PipelineConfig& pipeline = *found;
  auto refuse = [&](const Error& error) {
    std::cerr << "tributary: offsets reset of pipeline " << name << ": " << error.message
              << "\nnothing was changed\n";
    return error.kind == ErrorKind::kConfig ? 2 : 1;
  };
  if (target == ResetTarget::kSnapshot && pipeline.snapshot.mode == config::SnapshotMode::kNever) {
    return refuse(Error::config(
        "snapshot.mode is never, so the next start would not take the snapshot (fix: set "
        "snapshot.mode: initial, then run the reset again)"));
  }

  // The source: not in use by a running stream and, for --to-slot, holding a position.
  auto current = source::current_position(pipeline, target == ResetTarget::kToSlot);
  if (!current.ok()) return refuse(current.error());

  // Kafka: fence the pipeline's transactional.id first, so that nothing a daemon still alive
  // commits can land after the new record; then read the record to replace.
  const auto deadline = Clock::now() + kKafkaTimeout;
  auto producer = sink::TransactionalProducer::create(producer_options(config, pipeline));
  if (!producer.ok()) return refuse(producer.error());
  auto fenced = retry_until(
      deadline, [&] { return (*producer)->init_transactions(std::chrono::seconds(10)); });
  if (!fenced.ok()) {
    return refuse(Error{
        fenced.error().kind,
        "cannot reach Kafka to replace the pipeline's offsets record: " + fenced.error().message});
  }
  auto raw = retry_until(
      deadline, [&] { return (*producer)->read_last_offsets_record(std::chrono::seconds(10)); });
  if (!raw.ok()) return refuse(raw.error());
  std::optional<checkpoint::PositionRecord> kafka_record;
  if (*raw) {
    auto parsed = checkpoint::position_record_from_json(**raw);
    if (parsed.ok()) {
      kafka_record = *parsed;
    } else {
      std::cerr << "tributary: the last offsets record in Kafka is unreadable ("
                << parsed.error().message << "); it is replaced\n";
    }
  }
  checkpoint::CheckpointStore store(config.offsets.directory, name);
  std::optional<checkpoint::PositionRecord> file_record;
  if (auto loaded = store.load_record(); loaded.ok()) {
    file_record = *loaded;
  } else {
    std::cerr << "tributary: " << loaded.error().message << "; it is replaced\n";
  }

  checkpoint::PositionRecord record;
  record.pipeline = name;
  record.epoch =
      std::max(file_record ? file_record->epoch : 0, kafka_record ? kafka_record->epoch : 0) + 1;
  record.source = current->identity;
  if (target == ResetTarget::kToSlot) record.position = *current->position;
  const std::string json = checkpoint::record_to_json(record);
  if (auto parsed = checkpoint::position_record_from_json(json); parsed.ok()) {
    record = *parsed;  // with the updated_at written
  }

  bool kafka_written = false;
  if (*raw) {
    // As the committer does: retry a retriable commit as is; abort and begin again when the
    // transaction must be aborted.
    Result<void> written = (*producer)->begin();
    while (written.ok()) {
      written = (*producer)->commit(json, std::chrono::seconds(30));
      if (written.ok() || Clock::now() >= deadline) break;
      if (written.error().kind == ErrorKind::kRetriable) {
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
        written = Result<void>();
      } else if (written.error().kind == ErrorKind::kAbortTransaction) {
        written =
            retry_until(deadline, [&] { return (*producer)->abort(std::chrono::seconds(10)); });
        if (written.ok()) written = (*producer)->begin();
      } else {
        break;
      }
    }
    if (!written.ok()) {
      return refuse(
          Error{written.error().kind, "cannot write the new offsets record to Kafka topic " +
                                          config.offsets.topic + ": " + written.error().message});
    }
    kafka_written = true;
  }
  if (auto saved = store.save(record); !saved.ok()) {
    std::cerr << "tributary: offsets reset of pipeline " << name << ": "
              << (kafka_written ? "the new offsets record is in Kafka, but the checkpoint file "
                                  "was not written: "
                                : "the checkpoint file was not written: ")
              << saved.error().message
              << (kafka_written ? "\nthe next start resumes from Kafka's record (its epoch is "
                                  "higher than the file's); fix the file's directory or run the "
                                  "reset again\n"
                                : "\nnothing was changed\n");
    return kafka_written ? 1 : (saved.error().kind == ErrorKind::kConfig ? 2 : 1);
  }

  std::cout << "pipeline " << name << ": replaced\n  checkpoint file " << store.path() << ": "
            << describe_record(file_record) << "\n  Kafka offsets record (" << config.offsets.topic
            << "): " << describe_record(kafka_record) << "\nwith\n  "
            << checkpoint::record_to_json_as_read(record) << "\n"
            << (kafka_written ? "written to Kafka and the checkpoint file\n"
                              : "written to the checkpoint file (Kafka holds no record of this "
                                "pipeline to replace; the daemon writes one with its first "
                                "commit)\n");
  if (target == ResetTarget::kToSlot) {
    std::cout << "the next start streams from " << current->where << "; changes the "
              << (current->position->is_postgres() ? "slot" : "server")
              << " no longer holds are not emitted\n";
  } else {
    std::cout << "the next start takes a new snapshot" << current->snapshot_note
              << "; every row is emitted again (op r)\n";
  }
  return 0;
}

}  // namespace tributary::app
