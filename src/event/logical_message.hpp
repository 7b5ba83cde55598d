// A PostgreSQL logical decoding message (pg_logical_emit_message), as the source hands it to the
// sink: Debezium's `op: m` record on <topic_prefix>.message.
#pragma once

#include <string>

#include "event/change_event.hpp"
#include "event/source_position.hpp"

namespace tributary::event {

/// Transactional ones arrive between their transaction's Begin and Commit and are ordered with
/// its rows (and go into the same Kafka batch); non-transactional ones arrive on their own, at
/// the LSN they were written, and carry no txId (Debezium: no commit time either, the source
/// block keeps the last transaction's).
struct LogicalMessage {
  bool transactional = false;
  std::string prefix;
  std::string content;  ///< arbitrary bytes
  /// db, commit time, txid, lsn, last commit lsn (the source block's schema and table are "").
  SourceInfo source;
  SourcePosition position;  ///< position reached once this message is durably written
  /// Already in Kafka (a resumed transaction's prefix): passed on only so that transaction
  /// metadata counts it, never written, its position not recorded.
  bool replayed = false;
};

}  // namespace tributary::event
