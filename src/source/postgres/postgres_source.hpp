// A PostgreSQL source: set-up and snapshot on a worker thread, then streaming on the loop.
#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "base/result.hpp"
#include "config/config.hpp"
#include "event/capture_set.hpp"
#include "event/event_queue.hpp"
#include "event/source_identity.hpp"
#include "source/source.hpp"

namespace tributary::source::postgres {

class Catalog;
class CatalogWorker;
class ReplicationStream;
class TableWatcher;
class WatermarkReader;

/// Lifecycle of one connection round to PostgreSQL. A failed source is destroyed and a new one
/// started from the last committed position (the pipeline does that).
/// @locality the pipeline's io_context thread, except where noted.
class PostgresSource final : public Source {
 public:
  PostgresSource(boost::asio::io_context& io, const config::PipelineConfig& pipeline,
                 event::EventQueue& queue, SourceCallbacks callbacks);
  ~PostgresSource() override;

  /// Starts set-up (and the snapshot, when the mode and `resume` call for one) on a worker
  /// thread, then streaming on the loop. Set-up refuses (kConfig) a server that is another source
  /// than `recorded_identity`, a position beyond the server's WAL, or a slot confirmed beyond the
  /// position, before changing anything on the server. Tables that match now but are not in
  /// `recorded_tables` join: added to the publication, snapshotted at a fresh join point, then
  /// streamed; while streaming, a new matching table makes the source fail retriably so the next
  /// one joins it.
  void start(StartOptions options) override;
  /// The position is durably in Kafka and the checkpoint file: the slot is confirmed up to it.
  void acknowledge(const event::SourcePosition& position) override;
  void stop() override;

 private:
  struct Prepared;
  void setup(std::optional<event::SourcePosition> resume,
             std::optional<event::SourceIdentity> recorded_identity,
             std::optional<event::CaptureSet> recorded_tables, bool first_start);
  void start_streaming(std::shared_ptr<Prepared> prepared);
  void post_failure(Error error);
  /// Runs `f` on the loop unless this source was destroyed meanwhile (the set-up thread posts while
  /// the destructor joins it).
  template <typename F>
  void post_alive(F f) {
    boost::asio::post(io_, [alive = alive_, f = std::move(f)]() mutable {
      if (*alive) f();
    });
  }
  void schedule_wal_probe();  // reports retained_bytes

  boost::asio::io_context& io_;
  const config::PipelineConfig& pipeline_;
  event::EventQueue& queue_;
  SourceCallbacks callbacks_;
  std::atomic<bool> stop_{false};
  std::thread setup_thread_;
  /// The catalog connection while streaming: its queries run off the loop.
  std::unique_ptr<CatalogWorker> catalog_;
  std::unique_ptr<ReplicationStream> stream_;
  std::unique_ptr<TableWatcher> watcher_;
  /// Reads the chunks an interrupted initial snapshot did not finish, while streaming.
  std::unique_ptr<WatermarkReader> snapshot_reader_;
  /// false once destroyed: handlers posted by the watcher's thread check it (loop thread).
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  uint64_t pending_ack_ = 0;
  boost::asio::steady_timer wal_probe_timer_;
};

}  // namespace tributary::source::postgres
