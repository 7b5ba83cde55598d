// Resuming an interrupted snapshot while streaming: key-ordered chunks read between DBLog low and
// high watermarks (pg_logical_emit_message), deduplicated against the stream by the stream.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "base/result.hpp"
#include "config/config.hpp"
#include "event/change_event.hpp"
#include "event/source_position.hpp"
#include "source/postgres/watermark_history.hpp"

namespace tributary::source::postgres {

class PgConnection;

/// The prefix of tributary's watermark messages; their content is "start:<run>" (once, before the
/// first window), "low:<run>:<n>" or "high:<run>:<n>", <run> unique to one reader (older runs'
/// watermarks, replayed from the slot, match no window).
inline constexpr const char* kWatermarkPrefix = "tributary.snapshot.watermark";

/// One chunk, read between its low and high watermark.
struct WatermarkChunk {
  event::TableId table;
  std::vector<std::size_t> key;          ///< the key columns chunks follow; empty: not deduplicable
  std::vector<event::ChangeEvent> rows;  ///< op r, in key order
  std::vector<std::string> last_key;     ///< the table's progress after this chunk
  bool table_done = false;               ///< no row of the table after this chunk
  bool snapshot_done = false;            ///< the last chunk of the snapshot
  /// The transactions the chunk's SELECT saw (nullopt: no rows were read).
  std::optional<XidSnapshot> snapshot;
};

enum class WatermarkKind { kStart, kLow, kHigh };

/// The hand-off between the reader thread and the stream (loop). The reader opens a window,
/// emits the low watermark, reads, deposits the chunk, emits the high watermark and waits until
/// the stream took the chunk at its high watermark: one chunk in memory at a time.
class WatermarkWindows {
 public:
  explicit WatermarkWindows(std::string run) : run_(std::move(run)) {}
  const std::string& run() const { return run_; }

  /// Reader: the window `id` (the next one) reads `table`.
  void open(uint64_t id, const event::TableId& table);
  /// Reader: the chunk of the open window, before its high watermark is written.
  void deposit(uint64_t id, WatermarkChunk chunk);
  /// Reader: waits until the stream took the chunk of window `id`; false when stopping.
  bool wait_taken(uint64_t id, const std::atomic<bool>& stop);
  /// Stream: the table window `id` reads (nullopt: not this run's window).
  std::optional<event::TableId> table_of(uint64_t id);
  /// Stream, at window `id`'s high watermark: its chunk (nullopt: none deposited, a broken
  /// invariant since the reader deposits before writing the high watermark).
  std::optional<WatermarkChunk> take(uint64_t id);
  /// Wakes a waiting reader (stopping).
  void wake();

  /// Parses a watermark message's content of this run: (kind, window id; 0 for start).
  std::optional<std::pair<WatermarkKind, uint64_t>> parse(std::string_view content) const;

 private:
  const std::string run_;
  std::mutex mutex_;
  std::condition_variable changed_;
  uint64_t open_id_ = 0;
  event::TableId open_table_;
  std::optional<WatermarkChunk> chunk_;
  uint64_t taken_id_ = 0;
};

struct WatermarkReaderOptions {
  std::string pipeline;
  config::SourceConfig source;
  int chunk_rows = 8096;
  std::set<std::string> key_overridden;  ///< tables keyed by message_key_columns: one chunk
  std::map<std::string, std::string> row_filters;  ///< pipelines[].tables.row_filters
  /// The tables of the capture set, in Debezium's order; those done in `progress` are skipped,
  /// the others continue after their recorded key.
  std::vector<std::shared_ptr<const event::TableSchema>> tables;
  std::shared_ptr<const event::SnapshotProgress> progress;
};

/// Reads the unfinished chunks on its own thread and connection.
class WatermarkReader {
 public:
  WatermarkReader(WatermarkReaderOptions options, std::shared_ptr<WatermarkWindows> windows,
                  std::function<void(Error)> failed);
  ~WatermarkReader();  ///< stops and joins
  void start();
  void stop();

 private:
  Result<void> run();
  /// Deposits `chunk` and writes window `id`'s high watermark (first its low one when
  /// `open_window`), then waits until the stream took the chunk.
  Result<void> hand_over(PgConnection& connection, uint64_t id, WatermarkChunk chunk,
                         bool open_window);

  WatermarkReaderOptions options_;
  std::shared_ptr<WatermarkWindows> windows_;
  std::function<void(Error)> failed_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace tributary::source::postgres
