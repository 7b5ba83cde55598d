// A MySQL/MariaDB source: set-up, snapshot and binlog streaming on one worker thread, pushing
// events and position markers into the pipeline's EventQueue; callbacks are posted to the loop.
#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "base/result.hpp"
#include "config/config.hpp"
#include "event/event_queue.hpp"
#include "source/source.hpp"

namespace tributary::source::mysql {

/// One connection round to a MySQL or MariaDB server. A failed source is destroyed and a new one
/// started from the last committed position (the pipeline does that).
/// @locality the pipeline's io_context thread, except where noted.
class MysqlSource final : public Source {
 public:
  MysqlSource(boost::asio::io_context& io, const config::PipelineConfig& pipeline,
              event::EventQueue& queue, SourceCallbacks callbacks);
  ~MysqlSource() override;

  /// Set-up on a worker thread: the server's prerequisites (preflight), its identity against
  /// `recorded_identity` (kConfig when another server), the resume position still on the server
  /// (purged: kConfig with the fix, or a new snapshot with snapshot.mode when_needed), the
  /// tables, the snapshot the mode asks for, then streaming from the position on that thread.
  void start(StartOptions options) override;
  /// Nothing to confirm on a MySQL server (the binlog is not held for a reader); the position is
  /// where the retained-bytes probe counts from.
  void acknowledge(const event::SourcePosition& position) override;
  void stop() override;

 private:
  void run(StartOptions options);
  /// On retention_thread_: every 15 s, binlog bytes from the acknowledged position to the end
  /// (SHOW BINARY LOGS on a connection of its own), posted to callbacks_.retained_bytes.
  void probe_retention();
  Result<void> setup_and_stream(StartOptions options);
  template <typename F>
  void post_alive(F f) {
    boost::asio::post(io_, [alive = alive_, f = std::move(f)]() mutable {
      if (*alive) f();
    });
  }

  boost::asio::io_context& io_;
  const config::PipelineConfig& pipeline_;
  event::EventQueue& queue_;
  SourceCallbacks callbacks_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::thread retention_thread_;
  std::mutex retention_mutex_;
  std::condition_variable retention_wake_;
  bool retention_stop_ = false;                       ///< guarded by retention_mutex_
  std::optional<event::MysqlPosition> acknowledged_;  ///< guarded by retention_mutex_
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace tributary::source::mysql
