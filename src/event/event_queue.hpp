// The bounded hand-off between source readers (loop, snapshot threads) and the sink thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <variant>
#include <vector>

#include "event/capture_set.hpp"
#include "event/change_event.hpp"
#include "event/logical_message.hpp"
#include "event/schema_change.hpp"

namespace tributary::event {

/// A position reached without an event of its own: a source transaction's commit, the end of
/// the snapshot, or an idle keepalive. Flows through the queue so it is ordered with the events.
struct PositionMarker {
  SourcePosition position;
  bool snapshot_done = false;  ///< a snapshot's last row precedes this marker
  /// A source transaction's commit: the END record of transaction metadata goes with it.
  bool transaction_end = false;
  /// The captured tables from this position on (recorded with it in the checkpoint); null: as
  /// before. A table that joined is set here right after its snapshot's last row.
  std::shared_ptr<const CaptureSet> tables;
};

/// SchemaChange: a DDL statement (pipelines[].schema_changes), ordered with the events around it.
/// LogicalMessage: a PostgreSQL logical decoding message, in stream order.
using QueueItem = std::variant<ChangeEvent, PositionMarker, SchemaChange, LogicalMessage>;

/// Multi-producer, single-consumer FIFO with a soft capacity. The loop thread never blocks on it
/// (`push` always succeeds; it checks `full()` before reading more); snapshot threads use
/// `push_wait`, which blocks while the queue is full.
class EventQueue {
 public:
  explicit EventQueue(std::size_t capacity) : capacity_(capacity) {}

  void push(QueueItem item) {
    {
      std::lock_guard lock(mutex_);
      items_.push_back(std::move(item));
    }
    readable_.notify_one();
  }

  /// Queues every item of `batch` together (no consumer sees a part of it); never blocks.
  void push_all(std::vector<QueueItem>& batch) {
    {
      std::lock_guard lock(mutex_);
      for (auto& item : batch) items_.push_back(std::move(item));
    }
    batch.clear();
    readable_.notify_one();
  }

  /// Blocks while the queue is full; returns false (dropping nothing already queued) if `stop`
  /// became true while waiting.
  bool push_wait(std::vector<QueueItem>& batch, const std::atomic<bool>& stop) {
    std::unique_lock lock(mutex_);
    writable_.wait(lock, [&] { return items_.size() < capacity_ || stop.load(); });
    if (stop.load()) return false;
    for (auto& item : batch) items_.push_back(std::move(item));
    batch.clear();
    lock.unlock();
    readable_.notify_one();
    return true;
  }

  bool full() const {
    std::lock_guard lock(mutex_);
    return items_.size() >= capacity_;
  }

  bool empty() const {
    std::lock_guard lock(mutex_);
    return items_.empty();
  }

  /// Moves up to `max` items into `out`, waiting until `deadline` for the first one.
  /// @locality the sink thread.
  std::size_t pop(std::vector<QueueItem>& out, std::size_t max,
                  std::chrono::steady_clock::time_point deadline) {
    std::unique_lock lock(mutex_);
    readable_.wait_until(lock, deadline, [&] { return !items_.empty() || woken_; });
    woken_ = false;
    std::size_t n = 0;
    while (n < max && !items_.empty()) {
      out.push_back(std::move(items_.front()));
      items_.pop_front();
      ++n;
    }
    lock.unlock();
    if (n > 0) writable_.notify_all();
    return n;
  }

  /// Wakes the consumer and any blocked producer (used on stop).
  void wake_all() {
    {
      std::lock_guard lock(mutex_);
      woken_ = true;
    }
    readable_.notify_all();
    writable_.notify_all();
  }

 private:
  const std::size_t capacity_;
  mutable std::mutex mutex_;
  std::condition_variable readable_;
  std::condition_variable writable_;
  std::deque<QueueItem> items_;
  bool woken_ = false;
};

}  // namespace tributary::event
