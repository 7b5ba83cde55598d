// One configured pipeline: a source, the event queue, and the committer, wired on the loop.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <functional>
#include <memory>
#include <optional>

#include "app/committer.hpp"
#include "config/config.hpp"
#include "event/event_queue.hpp"
#include "metrics/health.hpp"
#include "metrics/metrics.hpp"
#include "source/postgres/postgres_source.hpp"

namespace tributary::app {

/// Lifecycle: start -> (committer ready) -> source running -> stop or failure.
/// A retriable source failure drains the queue into Kafka, then reconnects from the committed
/// position with backoff. A fatal failure stops the pipeline with exit code 1 (config: 2).
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

 private:
  void on_ready(std::optional<event::SourcePosition> resume);
  /// Every 250 ms: mirror the committer's Kafka health into /readyz and the reconnect metric.
  void watch_kafka();
  void start_source(std::optional<event::SourcePosition> resume);
  void on_source_failed(Error error);
  void on_flushed(std::optional<event::SourcePosition> position);
  void on_committer_stopped(Result<void> outcome);
  void finish(int exit_code);

  boost::asio::io_context& io_;
  const config::Config& config_;
  const config::PipelineConfig& pipeline_;
  metrics::PipelineProbe& probe_;
  metrics::HealthState& health_;
  std::function<void(int)> stopped_;
  event::EventQueue queue_;
  std::unique_ptr<Committer> committer_;
  std::unique_ptr<source::postgres::PostgresSource> source_;
  boost::asio::steady_timer reconnect_timer_;
  boost::asio::steady_timer kafka_timer_;
  bool kafka_healthy_ = false;
  std::chrono::milliseconds backoff_{500};
  bool stopping_ = false;
  bool reconnecting_ = false;
  bool first_start_ = true;
  bool finished_ = false;
  std::optional<int> exit_code_;
};

}  // namespace tributary::app
