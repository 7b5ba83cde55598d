// Source: the seam between the pipeline (src/app) and one database's change stream.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "event/capture_set.hpp"
#include "event/source_identity.hpp"
#include "event/source_position.hpp"

namespace tributary::source {

/// What a source tells its pipeline. Every callback may be empty.
struct SourceCallbacks {
  /// loop thread; the source stopped. kRetriable: reconnect from the last committed position.
  std::function<void(Error)> failed;
  /// loop thread; the snapshot ended and the mode says not to stream (initial_only).
  std::function<void()> finished;
  /// loop thread; the source is connected and reading (snapshotting or streaming).
  std::function<void(bool streaming)> reading;
  /// any thread; snapshot rows read from a table (just now, so far, estimate).
  std::function<void(const std::string&, uint64_t, uint64_t, uint64_t)> snapshot_rows;
  /// any thread; the snapshot read a table ("schema.table" / "database.table") to its end, and
  /// this many rows.
  std::function<void(const std::string&, uint64_t)> snapshot_table_done;
  /// set-up thread: the tables to capture, before any of their events is queued (so the sink can
  /// prepare their topics).
  std::function<void(const std::vector<event::TableId>&)> tables;
  /// loop thread, now and then while streaming: bytes of change log the server keeps for this
  /// pipeline (PostgreSQL: WAL the slot retains; MySQL: binlog bytes from the position on).
  std::function<void(uint64_t)> retained_bytes;
  /// set-up thread: the server passed the resume checks and this is its identity, to record with
  /// every position from now on. Called before any event is queued.
  std::function<void(const event::SourceIdentity&)> identified;
};

/// Where and how a source round starts.
struct StartOptions {
  /// The last committed position (nullopt: none recorded: a first start).
  std::optional<event::SourcePosition> resume;
  /// The source `resume` was recorded from (nullopt: not recorded). Set-up refuses (kConfig) a
  /// server that is another source, or that never had `resume`, before changing anything on it.
  std::optional<event::SourceIdentity> recorded_identity;
  /// The capture set recorded with `resume` (nullopt: none recorded; the tables that match now
  /// are adopted). Tables that match now but are not in it join (snapshotted, then streamed).
  std::optional<event::CaptureSet> recorded_tables;
  /// false on reconnects (snapshot mode `always` snapshots only on the process's first start).
  bool first_start = true;
};

/// One connection round to a source database: set-up (checks, snapshot) then streaming, pushing
/// events and position markers into the pipeline's EventQueue in source order. A failed source
/// is destroyed and a new one started from the last committed position (the pipeline does that).
/// @locality the pipeline's io_context thread, except where a callback says otherwise.
class Source {
 public:
  virtual ~Source() = default;
  /// Starts set-up (blocking work on a worker thread), then streaming; returns at once.
  virtual void start(StartOptions options) = 0;
  /// The position is durably in Kafka and the checkpoint file: the server may drop what lies
  /// before it.
  virtual void acknowledge(const event::SourcePosition& position) = 0;
  /// Stops reading; returns at once. Worker threads are joined in the destructor.
  virtual void stop() = 0;
};

}  // namespace tributary::source
