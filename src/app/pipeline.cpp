// Pipeline wiring and recovery: reconnects go through the committed position, never around it.
#include "app/pipeline.hpp"

#include <boost/asio/post.hpp>

#include "base/log.hpp"

namespace tributary::app {
namespace {
constexpr std::size_t kQueueCapacity = 50000;
constexpr auto kMaxBackoff = std::chrono::milliseconds(30000);
}  // namespace

Pipeline::Pipeline(boost::asio::io_context& io, const config::Config& config,
                   const config::PipelineConfig& pipeline, metrics::Metrics& metrics,
                   metrics::HealthState& health, std::function<void(int)> stopped)
    : io_(io),
      config_(config),
      pipeline_(pipeline),
      probe_(metrics.pipeline_probe(pipeline.name)),
      health_(health),
      stopped_(std::move(stopped)),
      queue_(kQueueCapacity),
      reconnect_timer_(io),
      kafka_timer_(io) {}

Pipeline::~Pipeline() {
  source_.reset();
  committer_.reset();
}

void Pipeline::start() {
  CommitterCallbacks callbacks;
  // Every callback runs on the sink thread: hop onto the loop.
  callbacks.ready = [this](std::optional<event::SourcePosition> resume) {
    boost::asio::post(io_, [this, resume] { on_ready(resume); });
  };
  callbacks.committed = [this](const event::SourcePosition& position) {
    boost::asio::post(io_, [this, position] {
      if (source_) source_->acknowledge(position);
    });
  };
  callbacks.flushed = [this](std::optional<event::SourcePosition> position) {
    boost::asio::post(io_, [this, position] { on_flushed(position); });
  };
  callbacks.stopped = [this](Result<void> outcome) {
    boost::asio::post(io_, [this, outcome] { on_committer_stopped(outcome); });
  };
  committer_ =
      std::make_unique<Committer>(config_, pipeline_, queue_, probe_, std::move(callbacks));
  committer_->start();
}

void Pipeline::on_ready(std::optional<event::SourcePosition> resume) {
  if (stopping_) return;
  watch_kafka();
  start_source(resume);
}

void Pipeline::watch_kafka() {
  const bool healthy = committer_->kafka_healthy();
  if (healthy != kafka_healthy_) {
    kafka_healthy_ = healthy;
    health_.set_kafka_connected(pipeline_.name, healthy);
    if (!healthy) {
      probe_.reconnect("kafka");
      log::warn(pipeline_.name, "Kafka is unreachable or failing; retrying");
    } else {
      log::info(pipeline_.name, "Kafka is reachable");
    }
  }
  kafka_timer_.expires_after(std::chrono::milliseconds(250));
  kafka_timer_.async_wait([this](boost::system::error_code ec) {
    if (!ec && !stopping_) watch_kafka();
  });
}

void Pipeline::start_source(std::optional<event::SourcePosition> resume) {
  source::postgres::SourceCallbacks callbacks;
  callbacks.failed = [this](Error error) { on_source_failed(std::move(error)); };
  callbacks.finished = [this] {
    log::info(pipeline_.name, "snapshot.mode initial_only: snapshot done, stopping");
    stop();
  };
  callbacks.reading = [this](bool streaming) {
    backoff_ = std::chrono::milliseconds(500);
    health_.set_source_connected(pipeline_.name, true);
    health_.set_snapshotting(pipeline_.name, !streaming);
    health_.set_streaming(pipeline_.name, streaming);
  };
  callbacks.snapshot_rows = [this](const std::string& table, uint64_t rows, uint64_t done,
                                   uint64_t estimate) {
    probe_.snapshot_rows(table, rows);
    probe_.snapshot_table_progress(table, done, estimate);
  };
  callbacks.retained_wal = [this](uint64_t bytes) { probe_.retained_wal(bytes); };
  // On the source's set-up thread; the committer takes the list under its own lock.
  callbacks.tables = [this](const std::vector<event::TableId>& tables) {
    committer_->expect_tables(tables);
  };
  // On the set-up thread, after the resume checks passed, before any event is queued.
  callbacks.identified = [this](const event::SourceIdentity& identity) {
    committer_->set_source_identity(identity);
  };
  source_ = std::make_unique<source::postgres::PostgresSource>(io_, pipeline_, queue_,
                                                               std::move(callbacks));
  source_->start(resume, committer_->recorded_identity(), first_start_);
  first_start_ = false;
}

void Pipeline::on_source_failed(Error error) {
  if (stopping_ || reconnecting_) return;
  health_.set_source_connected(pipeline_.name, false);
  health_.set_streaming(pipeline_.name, false);
  if (error.kind != ErrorKind::kRetriable) {
    log::error(pipeline_.name, error.message);
    health_.set_failed(pipeline_.name, error.message);
    exit_code_ = error.kind == ErrorKind::kConfig ? 2 : 1;
    stop();
    return;
  }
  log::warn(pipeline_.name,
            "source failed, reconnecting after the queue is committed: " + error.message);
  probe_.reconnect("source");
  reconnecting_ = true;
  source_->stop();
  committer_->request_flush();
}

void Pipeline::on_flushed(std::optional<event::SourcePosition> position) {
  if (!reconnecting_ || stopping_) return;
  source_.reset();  // joins its worker threads
  if (!queue_.empty()) {
    // A worker pushed after the flush began: commit that too, so the new source starts exactly
    // after everything the old one produced.
    committer_->request_flush();
    return;
  }
  reconnect_timer_.expires_after(backoff_);
  log::info(pipeline_.name, "reconnecting in " + std::to_string(backoff_.count()) + " ms");
  backoff_ = std::min(backoff_ * 2, kMaxBackoff);
  reconnect_timer_.async_wait([this, position](boost::system::error_code ec) {
    if (ec || stopping_) return;
    reconnecting_ = false;
    start_source(position);
  });
}

void Pipeline::stop() {
  if (stopping_) return;
  stopping_ = true;
  reconnect_timer_.cancel();
  kafka_timer_.cancel();
  health_.set_streaming(pipeline_.name, false);
  if (source_) source_->stop();
  if (committer_) {
    committer_->set_shutdown_deadline(std::chrono::steady_clock::now() + std::chrono::seconds(20));
    committer_->request_stop();
  } else {
    finish(exit_code_.value_or(0));
  }
}

void Pipeline::on_committer_stopped(Result<void> outcome) {
  if (!outcome.ok()) {
    const Error& error = outcome.error();
    if (stopping_ && error.kind == ErrorKind::kRetriable) {
      log::warn(pipeline_.name, error.message);
    } else {
      log::error(pipeline_.name, error.message);
      health_.set_failed(pipeline_.name, error.message);
      if (!exit_code_) exit_code_ = error.kind == ErrorKind::kConfig ? 2 : 1;
    }
  }
  stopping_ = true;
  // The committed position was already posted for acknowledgement (posted before this).
  if (source_) source_->stop();
  finish(exit_code_.value_or(0));
}

void Pipeline::finish(int exit_code) {
  if (finished_) return;
  finished_ = true;
  source_.reset();
  if (stopped_) stopped_(exit_code);
}

}  // namespace tributary::app
