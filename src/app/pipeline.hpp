// One configured pipeline: a source, the event queue, and the committer, wired on the loop.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "app/committer.hpp"
#include "config/config.hpp"
#include "event/event_queue.hpp"
#include "metrics/health.hpp"
#include "metrics/metrics.hpp"
#include "signals/kafka_signal_reader.hpp"
#include "source/source.hpp"

namespace tributary::app {

/// Lifecycle: start -> (committer ready) -> source running -> stop or failure.
/// A retriable source failure drains the queue into Kafka, then reconnects from the committed
/// position with backoff. Any other failure:
/// - before the pipeline ever committed a Kafka transaction (a setup problem found only at the
///   first commit, such as missing topics, counts as such): it stops with exit code
///   2 for a configuration / setup error (restarting cannot help), else 1;
/// - when another instance took over the transactional.id: exit code 1 (starting again would fence
///   that instance in turn, and the two would take turns forever);
/// - otherwise (it had run): the pipeline alone is torn down (what is queued is committed if
///   Kafka takes it) and started again from its checkpoint after 1 s, doubling to 5 min, reset
///   once an attempt has run healthily for a minute. /readyz, /status and the metrics show it.
/// @locality the io_context thread; committer callbacks are posted onto it.
class Pipeline {
 public:
  Pipeline(boost::asio::io_context& io, const config::Config& config,
           const config::PipelineConfig& pipeline, metrics::Metrics& metrics,
           metrics::HealthState& health, std::function<void(int exit_code)> stopped);
  ~Pipeline();

  void start();
  void stop();
  const std::string& name() const { return pipeline_.name; }
  /// The pipeline stopped for good (its `stopped` callback ran).
  bool finished() const { return finished_; }
  /// One line for the SIGUSR1 status dump: state, committed position, lag, Kafka, failures.
  std::string status_line() const;
  /// "starting", "snapshotting", "streaming", "retrying", "stopping", ... (for systemd STATUS=).
  const std::string& phase() const { return phase_; }
  /// Seconds between the source commit of the last committed event and its Kafka commit.
  double lag_seconds() const;
  /// The last position committed to Kafka and the checkpoint file, as text ("none" before one).
  std::string committed_position_text() const;

 private:
  /// A new committer (and queue); the source follows once the committer is ready.
  void launch();
  void on_ready(std::optional<event::SourcePosition> resume);
  /// Every 250 ms: mirror the committer's Kafka health into /readyz and the reconnect metric.
  void watch_kafka();
  void start_source(std::optional<event::SourcePosition> resume);
  void on_reading(bool streaming);
  void on_source_failed(Error error);
  void on_flushed(std::optional<event::SourcePosition> position);
  void on_committer_stopped(Result<void> outcome);
  /// A non-retriable failure while not stopping: end the process, or retry this pipeline alone.
  void fail(const Error& error);
  /// Source and committer are gone: a fresh queue, and the retry timer.
  void torn_down();
  void finish(int exit_code);
  void set_up(bool up);
  /// phase_, mirrored into /status.
  void set_phase(std::string phase);
  std::string kafka_unreachable_text() const;

  boost::asio::io_context& io_;
  const config::Config& config_;
  const config::PipelineConfig& pipeline_;
  metrics::PipelineProbe& probe_;
  metrics::HealthState& health_;
  std::function<void(int)> stopped_;
  std::unique_ptr<event::EventQueue> queue_;
  std::unique_ptr<Committer> committer_;
  std::unique_ptr<source::Source> source_;
  /// pipelines[].signals.kafka_topic: its consumer, for the pipeline's whole life.
  std::unique_ptr<signals::KafkaSignalReader> signal_reader_;
  boost::asio::steady_timer reconnect_timer_;
  boost::asio::steady_timer kafka_timer_;
  boost::asio::steady_timer retry_timer_;
  /// Bumped by launch(): callbacks of an earlier committer, still queued on the loop, are dropped.
  uint64_t generation_ = 0;
  std::chrono::steady_clock::time_point launched_;
  bool committer_ready_ = false;  ///< this generation's committer called ready
  bool committer_alive_ = false;  ///< this generation's committer has not called stopped
  bool kafka_healthy_ = false;
  bool kafka_warned_ = false;  ///< the "not reachable" warning of this generation was logged
  std::chrono::milliseconds backoff_{500};
  bool stopping_ = false;
  bool reconnecting_ = false;
  bool tearing_down_ = false;  ///< stopping source and committer for a retry
  bool first_start_ = true;
  bool started_once_ = false;  ///< committed a Kafka transaction at least once
  bool finished_ = false;
  bool up_ = false;
  std::string phase_ = "starting";
  int failures_ = 0;  ///< consecutive failures (retried)
  std::chrono::seconds retry_delay_{1};
  std::chrono::steady_clock::time_point up_since_{};
  std::chrono::steady_clock::time_point next_retry_{};
  std::string last_error_;
  std::optional<event::SourcePosition> committed_;
  std::optional<int> exit_code_;
};

}  // namespace tributary::app
