// `tributary offsets reset`, and the side-effect-free read of recorded positions `check` uses.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "base/result.hpp"
#include "checkpoint/position_json.hpp"
#include "config/config.hpp"
#include "sink/kafka/transactional_producer.hpp"

namespace tributary::app {

/// The producer settings of a pipeline's committer (the same transactional.id).
sink::ProducerOptions producer_options(const config::Config& config,
                                       const config::PipelineConfig& pipeline);

/// The records a start chooses between (the further one wins, see checkpoint::further).
struct RecordedPositions {
  std::optional<checkpoint::PositionRecord> file;
  std::optional<Error> file_error;  ///< the file exists but cannot be used
  std::optional<checkpoint::PositionRecord> kafka;
  std::optional<Error> kafka_error;  ///< Kafka not reached, or its record unreadable
};

/// Reads the checkpoint file and the last committed offsets record without side effects: the
/// transactional producer that reads Kafka is never initialized, so nothing is fenced.
RecordedPositions read_recorded_positions(const config::Config& config,
                                          const config::PipelineConfig& pipeline,
                                          std::chrono::milliseconds kafka_timeout);

enum class ResetTarget {
  kToSlot,    ///< resume from the slot's confirmed_flush_lsn
  kSnapshot,  ///< take a new snapshot at the next start (the daemon drops and recreates the slot)
};

/// `tributary offsets reset --pipeline NAME (--to-slot | --snapshot)`: records, on purpose, a
/// position that passes the resume checks on the server the configuration names. Refuses while
/// the slot is in use. The new record carries the server's identity and an epoch one above every
/// record seen, so it wins over any older record whatever its position (a reset often goes back).
/// Order: fence the pipeline's transactional.id (init_transactions: a daemon still alive cannot
/// commit after this), read the last offsets record, write the new one there in a transaction
/// (only when Kafka holds one: otherwise there is nothing stale to beat), then the checkpoint file.
/// Prints what it replaced and what the next start does. Returns the exit code: 0 written,
/// 1 failed (says what was written), 2 refused (configuration, slot in use or missing).
int offsets_reset(const config::Config& config, const std::string& pipeline, ResetTarget target);

}  // namespace tributary::app
