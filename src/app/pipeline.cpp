// Pipeline wiring and recovery: reconnects and retries go through the committed position, never
// around it.
#include "app/pipeline.hpp"

#include <boost/asio/post.hpp>
#include <cstdio>

#include "base/log.hpp"
#include "source/factory.hpp"

namespace tributary::app {
namespace {
constexpr std::size_t kQueueCapacity = 50000;
constexpr auto kMaxBackoff = std::chrono::milliseconds(30000);
/// A failed pipeline is started again after 1 s, 2 s, 4 s ... at most this long.
constexpr auto kMaxRetryDelay = std::chrono::seconds(300);
/// An attempt that ran (snapshotting or streaming) this long resets the retry delay.
constexpr auto kHealthyPeriod = std::chrono::seconds(60);
/// Without a ready Kafka producer after this long, the pipeline warns and /readyz says so.
constexpr auto kKafkaWarnAfter = std::chrono::seconds(3);
// How long the committer waits for Kafka to take the last transaction when stopping: two thirds
// of shutdown.timeout_ms, so the abort, the checkpoint and the log lines fit in the rest.
std::chrono::milliseconds commit_wait(const config::Config& config) {
  return std::chrono::milliseconds(config.shutdown_timeout_ms * 2 / 3);
}

std::string status_text(const event::SourcePosition& position) {
  if (position.is_mysql()) {
    std::string text = "binlog " + event::describe(position);
    if (!position.snapshot_completed) text += " (initial snapshot not completed)";
    return text;
  }
  std::string text = "LSN " + event::format_lsn(position.lsn());
  if (position.partial_events > 0) {
    text += " + " + std::to_string(position.partial_events) +
            " events of the transaction committed at " +
            event::format_lsn(position.partial_commit_lsn());
  }
  if (!position.snapshot_completed) text += " (initial snapshot not completed)";
  return text;
}

metrics::StatusPosition status_position(const event::SourcePosition& position) {
  metrics::StatusPosition status;
  status.text = status_text(position);
  status.snapshot_completed = position.snapshot_completed;
  status.mysql = position.is_mysql();
  if (status.mysql) {
    status.binlog_file = position.mysql().file;
    status.binlog_pos = position.mysql().pos;
    status.gtid_set = position.mysql().gtid_set;
  } else {
    status.lsn = event::format_lsn(position.lsn());
    status.partial_events = position.partial_events;
    if (position.partial_events > 0) {
      status.partial_commit_lsn = event::format_lsn(position.partial_commit_lsn());
    }
  }
  return status;
}

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
      queue_(std::make_unique<event::EventQueue>(kQueueCapacity)),
      reconnect_timer_(io),
      kafka_timer_(io),
      retry_timer_(io) {
  health_.register_pipeline(pipeline_.name);
  probe_.pipeline_up(false);
}

Pipeline::~Pipeline() {
  signal_reader_.reset();
  source_.reset();
  committer_.reset();
}

void Pipeline::start() {
  launch();
  if (!pipeline_.signals.kafka_topic.empty()) {
    signal_reader_ = std::make_unique<signals::KafkaSignalReader>(
        config_.kafka, pipeline_,
        std::make_shared<const signals::SignalDispatcher>(pipeline_.name));
    signal_reader_->start();
  }
}

void Pipeline::launch() {
  const uint64_t generation = ++generation_;
  launched_ = std::chrono::steady_clock::now();
  committer_ready_ = false;
  committer_alive_ = true;
  kafka_healthy_ = false;
  kafka_warned_ = false;
  set_phase(failures_ > 0 ? "retrying" : "starting");
  health_.set_kafka_connected(pipeline_.name, false);
  health_.set_waiting_for(pipeline_.name,
                          "connecting to kafka at " + config_.kafka.bootstrap_servers);
  CommitterCallbacks callbacks;
  // Every callback runs on the sink thread: hop onto the loop, and drop what an earlier
  // committer (of a failed attempt) left queued there.
  callbacks.ready = [this, generation](std::optional<event::SourcePosition> resume) {
    boost::asio::post(io_, [this, generation, resume] {
      if (generation == generation_) on_ready(resume);
    });
  };
  callbacks.committed = [this, generation](const event::SourcePosition& position,
                                           std::size_t events) {
    const auto at = std::chrono::system_clock::now();
    boost::asio::post(io_, [this, generation, position, events, at] {
      if (generation != generation_) return;
      committed_ = position;
      health_.set_position(pipeline_.name, status_position(position));
      health_.transaction_committed(pipeline_.name, at, events, probe_.last_source_lag());
      started_once_ = true;  // the whole path works: source, envelope, topics, Kafka transactions
      if (source_) source_->acknowledge(position);
    });
  };
  callbacks.flushed = [this, generation](std::optional<event::SourcePosition> position) {
    boost::asio::post(io_, [this, generation, position] {
      if (generation == generation_) on_flushed(position);
    });
  };
  callbacks.stopped = [this, generation](Result<void> outcome) {
    boost::asio::post(io_, [this, generation, outcome] {
      if (generation == generation_) on_committer_stopped(outcome);
    });
  };
  committer_ =
      std::make_unique<Committer>(config_, pipeline_, *queue_, probe_, std::move(callbacks));
  committer_->start();
  watch_kafka();
}

void Pipeline::on_ready(std::optional<event::SourcePosition> resume) {
  if (stopping_ || tearing_down_) return;
  committer_ready_ = true;
  if (resume) {
    committed_ = resume;
    health_.set_position(pipeline_.name, status_position(*resume));
  }
  start_source(resume);
}

std::string Pipeline::kafka_unreachable_text() const {
  std::string text = "kafka not reachable at " + config_.kafka.bootstrap_servers;
  if (committer_) {
    const std::string error = committer_->kafka_error();
    if (!error.empty()) text += ": " + error;
  }
  return text;
}

void Pipeline::watch_kafka() {
  if (!committer_ready_) {
    // The producer is not initialized yet: no broker answered, or the coordinator did not.
    if (!kafka_warned_ && std::chrono::steady_clock::now() - launched_ >= kKafkaWarnAfter) {
      kafka_warned_ = true;
      const std::string text = kafka_unreachable_text();
      health_.set_waiting_for(pipeline_.name, text);
      log::warn(pipeline_.name, text + " (no transactional producer after " +
                                    std::to_string(kKafkaWarnAfter.count()) +
                                    " s); waiting, nothing is read from the source until then");
    } else if (kafka_warned_) {
      health_.set_waiting_for(pipeline_.name, kafka_unreachable_text());
    }
  } else {
    const bool healthy = committer_->kafka_healthy();
    if (healthy != kafka_healthy_) {
      kafka_healthy_ = healthy;
      health_.set_kafka_connected(pipeline_.name, healthy);
      if (!healthy) {
        probe_.reconnect("kafka");
        log::warn(pipeline_.name, kafka_unreachable_text() + "; retrying");
      } else {
        log::info(pipeline_.name, "Kafka is reachable");
      }
    }
    health_.set_waiting_for(pipeline_.name, healthy ? std::string() : kafka_unreachable_text());
  }
  kafka_timer_.expires_after(std::chrono::milliseconds(250));
  kafka_timer_.async_wait([this](boost::system::error_code ec) {
    if (!ec && !stopping_ && !tearing_down_) watch_kafka();
  });
}

void Pipeline::start_source(std::optional<event::SourcePosition> resume) {
  source::SourceCallbacks callbacks;
  callbacks.failed = [this](Error error) { on_source_failed(std::move(error)); };
  callbacks.finished = [this] {
    if (tearing_down_) return;  // a failure came first: the retry decides
    log::info(pipeline_.name, "snapshot.mode initial_only: snapshot done, stopping");
    stop();
  };
  callbacks.reading = [this](bool streaming) { on_reading(streaming); };
  callbacks.snapshot_rows = [this](const std::string& table, uint64_t rows, uint64_t done,
                                   uint64_t estimate) {
    probe_.snapshot_rows(table, rows);
    probe_.snapshot_table_progress(table, done, estimate);
    health_.snapshot_progress(pipeline_.name, table, done, estimate);
  };
  callbacks.snapshot_table_done = [this](const std::string& table, uint64_t rows) {
    probe_.snapshot_table_done(table);
    health_.snapshot_table_done(pipeline_.name, table, rows);
  };
  callbacks.retained_bytes = [this](uint64_t bytes) { probe_.retained_wal(bytes); };
  // On the source's set-up thread; the committer takes the list under its own lock.
  callbacks.tables = [this](const std::vector<event::TableId>& tables) {
    committer_->expect_tables(tables);
  };
  // On the set-up thread, after the resume checks passed, before any event is queued.
  callbacks.identified = [this](const event::SourceIdentity& identity) {
    committer_->set_source_identity(identity);
  };
  auto made = source::make_source(io_, pipeline_, *queue_, std::move(callbacks));
  if (!made.ok()) {
    // Posted: the caller expects the source to report failures on the loop, as it would.
    boost::asio::post(
        io_, [this, error = made.error()]() mutable { on_source_failed(std::move(error)); });
    return;
  }
  source_ = std::move(made.value());
  source::StartOptions options;
  options.resume = std::move(resume);
  options.recorded_identity = committer_->recorded_identity();
  options.recorded_tables = committer_->recorded_tables();
  options.first_start = first_start_;
  source_->start(std::move(options));
  first_start_ = false;
}

void Pipeline::on_reading(bool streaming) {
  if (stopping_ || tearing_down_) return;
  backoff_ = std::chrono::milliseconds(500);
  set_phase(streaming ? "streaming" : "snapshotting");
  if (failures_ > 0) {
    log::info(pipeline_.name,
              "recovered after " + std::to_string(failures_) + " failure(s): " + phase_ + " again");
    health_.clear_retrying(pipeline_.name);
  }
  health_.set_source_connected(pipeline_.name, true);
  health_.set_snapshotting(pipeline_.name, !streaming);
  health_.set_streaming(pipeline_.name, streaming);
  set_up(true);
}

void Pipeline::set_phase(std::string phase) {
  health_.set_phase(pipeline_.name, phase);
  phase_ = std::move(phase);
}

void Pipeline::set_up(bool up) {
  if (up && !up_) up_since_ = std::chrono::steady_clock::now();
  up_ = up;
  probe_.pipeline_up(up);
}

void Pipeline::on_source_failed(Error error) {
  if (stopping_ || reconnecting_ || tearing_down_) return;
  health_.set_source_connected(pipeline_.name, false);
  health_.set_streaming(pipeline_.name, false);
  if (error.kind != ErrorKind::kRetriable) return fail(error);
  health_.set_last_error(pipeline_.name, error.message, std::chrono::system_clock::now());
  log::warn(pipeline_.name,
            "source failed, reconnecting after the queue is committed: " + error.message);
  probe_.reconnect("source");
  set_up(false);
  set_phase("reconnecting");
  reconnecting_ = true;
  source_->stop();
  committer_->request_flush();
}

void Pipeline::on_flushed(std::optional<event::SourcePosition> position) {
  if (!reconnecting_ || stopping_ || tearing_down_) return;
  source_.reset();  // joins its worker threads
  if (!queue_->empty()) {
    // A worker pushed after the flush began: commit that too, so the new source starts exactly
    // after everything the old one produced.
    committer_->request_flush();
    return;
  }
  reconnect_timer_.expires_after(backoff_);
  log::info(pipeline_.name, "reconnecting in " + std::to_string(backoff_.count()) + " ms");
  backoff_ = std::min(backoff_ * 2, kMaxBackoff);
  reconnect_timer_.async_wait([this, position](boost::system::error_code ec) {
    if (ec || stopping_ || tearing_down_) return;
    reconnecting_ = false;
    start_source(position);
  });
}

void Pipeline::fail(const Error& error) {
  log::error(pipeline_.name, error.message);
  last_error_ = error.message;
  health_.set_last_error(pipeline_.name, error.message, std::chrono::system_clock::now());
  const bool fenced = committer_ && committer_->fenced_by_another_instance();
  if (fenced || !started_once_) {
    // Fenced: another instance owns the transactional.id now. Never ran: the configuration or
    // the setup is wrong (exit 2), or something else is (exit 1); a restart is the way to retry.
    health_.set_failed(pipeline_.name, error.message);
    if (!exit_code_) exit_code_ = (!fenced && error.kind == ErrorKind::kConfig) ? 2 : 1;
    stop();
    return;
  }
  const auto now = std::chrono::steady_clock::now();
  if (up_ && now - up_since_ >= kHealthyPeriod) {
    failures_ = 0;
    retry_delay_ = std::chrono::seconds(1);
  }
  ++failures_;
  probe_.pipeline_failed();
  set_up(false);
  set_phase("retrying");
  tearing_down_ = true;
  reconnecting_ = false;
  reconnect_timer_.cancel();
  kafka_timer_.cancel();
  health_.set_source_connected(pipeline_.name, false);
  health_.set_streaming(pipeline_.name, false);
  health_.set_snapshotting(pipeline_.name, false);
  health_.set_waiting_for(pipeline_.name, {});
  health_.set_retrying(pipeline_.name, error.message, failures_,
                       std::chrono::system_clock::now() + retry_delay_);
  log::warn(pipeline_.name, "pipeline failed (failure " + std::to_string(failures_) +
                                " in a row); the other pipelines go on; this one starts again "
                                "from its checkpoint in " +
                                std::to_string(retry_delay_.count()) + " s");
  if (source_) source_->stop();
  if (committer_alive_) {
    // Commits what is queued if Kafka takes it; the retry resumes after whatever was committed.
    committer_->set_shutdown_deadline(now + commit_wait(config_));
    committer_->request_stop();
  } else {
    torn_down();
  }
}

void Pipeline::torn_down() {
  source_.reset();
  committer_.reset();
  queue_ = std::make_unique<event::EventQueue>(kQueueCapacity);  // what was left is uncommitted
  const auto delay = retry_delay_;
  retry_delay_ = std::min(retry_delay_ * 2, std::chrono::seconds(kMaxRetryDelay));
  next_retry_ = std::chrono::steady_clock::now() + delay;
  health_.set_retrying(pipeline_.name, last_error_, failures_,
                       std::chrono::system_clock::now() + delay);
  retry_timer_.expires_after(delay);
  retry_timer_.async_wait([this](boost::system::error_code ec) {
    if (ec || stopping_) return;
    tearing_down_ = false;
    log::info(pipeline_.name,
              "starting again after failure " + std::to_string(failures_) + " in a row");
    launch();
  });
}

void Pipeline::stop() {
  if (stopping_) return;
  stopping_ = true;
  set_phase("stopping");
  reconnect_timer_.cancel();
  kafka_timer_.cancel();
  retry_timer_.cancel();
  health_.set_streaming(pipeline_.name, false);
  set_up(false);
  if (signal_reader_) signal_reader_->stop();
  if (source_) source_->stop();
  if (committer_ && committer_alive_) {
    committer_->set_shutdown_deadline(std::chrono::steady_clock::now() + commit_wait(config_));
    committer_->request_stop();
  } else {
    finish(exit_code_.value_or(0));  // no committer, or it stopped already: nothing to wait for
  }
}

void Pipeline::on_committer_stopped(Result<void> outcome) {
  committer_alive_ = false;
  if (tearing_down_ && !stopping_) {
    if (!outcome.ok()) {
      log::warn(pipeline_.name, "while stopping for the retry: " + outcome.error().message);
    }
    torn_down();
    return;
  }
  if (!stopping_ && !outcome.ok()) {
    fail(outcome.error());
    return;
  }
  if (!outcome.ok()) {
    const Error& error = outcome.error();
    health_.set_last_error(pipeline_.name, error.message, std::chrono::system_clock::now());
    if (error.kind == ErrorKind::kRetriable && committer_ready_) {
      // Kafka did not take the last transaction before the shutdown deadline: not a clean stop
      // (exit 0 means everything read was committed), but nothing is lost.
      log::error(pipeline_.name,
                 "stopped with a Kafka transaction not committed (" + error.message +
                     "); nothing is lost: the next start resumes from the last committed "
                     "checkpoint, " +
                     committed_position_text());
      if (!exit_code_) exit_code_ = 1;
    } else if (error.kind == ErrorKind::kRetriable) {
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
  set_phase("stopped");
  source_.reset();
  if (stopped_) stopped_(exit_code);
}

std::string Pipeline::committed_position_text() const {
  return committed_ ? status_text(*committed_) : std::string("none (nothing committed yet)");
}

double Pipeline::lag_seconds() const {
  return probe_.last_source_lag();
}

std::string Pipeline::status_line() const {
  char lag[32];
  std::snprintf(lag, sizeof lag, "%.3f", probe_.last_source_lag());
  std::string line = "status: state=" + phase_ + " committed=" + committed_position_text() +
                     " lag_seconds=" + lag + " kafka=" +
                     (committer_ready_ && kafka_healthy_ ? "reachable" : "not reachable");
  if (failures_ > 0) {
    line += " failures=" + std::to_string(failures_) + " last_error=" + last_error_;
    if (phase_ == "retrying") {
      const auto in =
          std::chrono::ceil<std::chrono::seconds>(next_retry_ - std::chrono::steady_clock::now());
      if (in.count() > 0) line += " next_retry_in_seconds=" + std::to_string(in.count());
    }
  }
  return line;
}

}  // namespace tributary::app
