// Metric registration and the PipelineProbe hot path.
#include "metrics/metrics.hpp"

#include <prometheus/text_serializer.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>

#include "base/clock.hpp"
#include "metrics/process_metrics.hpp"

namespace tributary::metrics {
namespace {

template <class Builder>
auto& registered(Builder builder, prometheus::Registry& registry, const std::string& name,
                 const std::string& help) {
  return builder.Name(name).Help(help).Register(registry);
}

std::string op_label(char op) {
  const auto u = static_cast<unsigned char>(op);
  return std::string(1, (u >= 0x21 && u <= 0x7e) ? op : '?');
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// PipelineProbe

PipelineProbe::PipelineProbe(Families& families, std::string pipeline)
    : families_(families),
      pipeline_(std::move(pipeline)),
      source_lag_(families.source_lag.Add({{"pipeline", pipeline_}})),
      committed_(
          families.kafka_transactions.Add({{"pipeline", pipeline_}, {"result", "committed"}})),
      aborted_(families.kafka_transactions.Add({{"pipeline", pipeline_}, {"result", "aborted"}})),
      commit_duration_(families.kafka_commit_duration.Add({{"pipeline", pipeline_}},
                                                          Metrics::commit_duration_buckets())),
      kafka_messages_(families.kafka_messages.Add({{"pipeline", pipeline_}})),
      kafka_bytes_(families.kafka_bytes.Add({{"pipeline", pipeline_}})),
      checkpoint_timestamp_(families.checkpoint_timestamp.Add({{"pipeline", pipeline_}})),
      source_position_(families.source_position.Add({{"pipeline", pipeline_}})),
      source_binlog_file_(families.source_binlog_file.Add({{"pipeline", pipeline_}})),
      retained_wal_(families.retained_wal.Add({{"pipeline", pipeline_}})),
      reconnect_source_(families.reconnects.Add({{"pipeline", pipeline_}, {"target", "source"}})),
      reconnect_kafka_(families.reconnects.Add({{"pipeline", pipeline_}, {"target", "kafka"}})),
      pipeline_failures_(families.pipeline_failures.Add({{"pipeline", pipeline_}})),
      heartbeats_(families.heartbeats.Add({{"pipeline", pipeline_}})),
      pipeline_up_(families.pipeline_up.Add({{"pipeline", pipeline_}})),
      inflight_bytes_(families.inflight_bytes.Add({{"pipeline", pipeline_}})),
      batch_events_(families.kafka_batch_events.Add({{"pipeline", pipeline_}},
                                                    Metrics::batch_events_buckets())) {}

prometheus::Counter& PipelineProbe::event_counter(std::string_view table, char op) {
  const auto slot = kOps.find(op);
  {
    std::shared_lock lock(mu_);
    if (auto it = tables_.find(table); it != tables_.end()) {
      if (slot != std::string_view::npos) {
        if (auto* counter = it->second.events[slot]) return *counter;
      } else if (auto o = it->second.other_events.find(op); o != it->second.other_events.end()) {
        return *o->second;
      }
    }
  }
  std::unique_lock lock(mu_);
  auto& series = tables_.try_emplace(std::string(table)).first->second;
  auto*& counter = slot != std::string_view::npos ? series.events[slot] : series.other_events[op];
  if (counter == nullptr) {
    counter = &families_.events.Add(
        {{"pipeline", pipeline_}, {"table", std::string(table)}, {"op", op_label(op)}});
  }
  return *counter;
}

prometheus::Counter& PipelineProbe::snapshot_rows_counter(std::string_view table) {
  {
    std::shared_lock lock(mu_);
    if (auto it = tables_.find(table); it != tables_.end() && it->second.snapshot_rows) {
      return *it->second.snapshot_rows;
    }
  }
  std::unique_lock lock(mu_);
  auto& series = tables_.try_emplace(std::string(table)).first->second;
  if (series.snapshot_rows == nullptr) {
    series.snapshot_rows =
        &families_.snapshot_rows.Add({{"pipeline", pipeline_}, {"table", std::string(table)}});
  }
  return *series.snapshot_rows;
}

prometheus::Gauge& PipelineProbe::snapshot_progress_gauge(std::string_view table) {
  {
    std::shared_lock lock(mu_);
    if (auto it = tables_.find(table); it != tables_.end() && it->second.snapshot_progress) {
      return *it->second.snapshot_progress;
    }
  }
  std::unique_lock lock(mu_);
  auto& series = tables_.try_emplace(std::string(table)).first->second;
  if (series.snapshot_progress == nullptr) {
    series.snapshot_progress =
        &families_.snapshot_progress.Add({{"pipeline", pipeline_}, {"table", std::string(table)}});
  }
  return *series.snapshot_progress;
}

prometheus::Counter& PipelineProbe::reconnect_counter(std::string_view target) {
  if (target == "source") return reconnect_source_;
  if (target == "kafka") return reconnect_kafka_;
  {
    std::shared_lock lock(mu_);
    if (auto it = other_reconnects_.find(target); it != other_reconnects_.end()) {
      return *it->second;
    }
  }
  std::unique_lock lock(mu_);
  auto*& counter = other_reconnects_.try_emplace(std::string(target), nullptr).first->second;
  if (counter == nullptr) {
    counter = &families_.reconnects.Add({{"pipeline", pipeline_}, {"target", std::string(target)}});
  }
  return *counter;
}

void PipelineProbe::event_emitted(std::string_view table, char op) {
  event_counter(table, op).Increment();
}

void PipelineProbe::event_emitted(std::string_view schema, std::string_view table, char op) {
  std::array<char, 256> buffer;
  if (schema.size() + 1 + table.size() > buffer.size()) {
    return event_emitted(std::string(schema) + "." + std::string(table), op);
  }
  std::memcpy(buffer.data(), schema.data(), schema.size());
  buffer[schema.size()] = '.';
  std::memcpy(buffer.data() + schema.size() + 1, table.data(), table.size());
  event_emitted(std::string_view(buffer.data(), schema.size() + 1 + table.size()), op);
}

void PipelineProbe::snapshot_rows(std::string_view table, uint64_t n) {
  snapshot_rows_counter(table).Increment(static_cast<double>(n));
}

void PipelineProbe::snapshot_table_progress(std::string_view table, uint64_t rows_done,
                                            uint64_t rows_estimated) {
  const double ratio =
      rows_estimated == 0
          ? 0.0
          : std::min(1.0, static_cast<double>(rows_done) / static_cast<double>(rows_estimated));
  snapshot_progress_gauge(table).Set(ratio);
}

void PipelineProbe::snapshot_table_done(std::string_view table) {
  snapshot_progress_gauge(table).Set(1.0);
}

void PipelineProbe::source_lag(double seconds) {
  source_lag_.Set(std::max(0.0, seconds));
}

void PipelineProbe::transaction_committed(std::size_t events, std::size_t bytes, double seconds) {
  committed_.Increment();
  commit_duration_.Observe(std::max(0.0, seconds));
  kafka_messages_.Increment(static_cast<double>(events));
  kafka_bytes_.Increment(static_cast<double>(bytes));
  batch_events_.Observe(static_cast<double>(events));
}

void PipelineProbe::inflight_bytes(std::size_t bytes) {
  inflight_bytes_.Set(static_cast<double>(bytes));
}

void PipelineProbe::transaction_aborted() {
  aborted_.Increment();
}

void PipelineProbe::checkpoint_written(double unix_seconds) {
  checkpoint_timestamp_.Set(unix_seconds);
  checkpoint_at_.store(unix_seconds);
}

std::optional<double> PipelineProbe::checkpoint_age(double now_unix_seconds) const {
  const double at = checkpoint_at_.load();
  if (at < 0) return std::nullopt;
  return std::max(0.0, now_unix_seconds - at);
}

void PipelineProbe::source_position(uint64_t lsn) {
  source_position_.Set(static_cast<double>(lsn));
}

void PipelineProbe::source_binlog_position(std::string_view file, uint64_t pos) {
  source_position_.Set(static_cast<double>(pos));
  const auto dot = file.rfind('.');
  uint64_t number = 0;
  if (dot != std::string_view::npos) {
    const std::string_view digits = file.substr(dot + 1);
    std::from_chars(digits.data(), digits.data() + digits.size(), number);
  }
  source_binlog_file_.Set(static_cast<double>(number));
}

void PipelineProbe::retained_wal(uint64_t bytes) {
  retained_wal_.Set(static_cast<double>(bytes));
}

void PipelineProbe::reconnect(std::string_view target) {
  reconnect_counter(target).Increment();
}

void PipelineProbe::pipeline_failed() {
  pipeline_failures_.Increment();
}

void PipelineProbe::pipeline_up(bool up) {
  pipeline_up_.Set(up ? 1.0 : 0.0);
}

// ---------------------------------------------------------------------------------------------
// Metrics

/// tributary_checkpoint_age_seconds{pipeline}: computed from each probe's last checkpoint when
/// scraped, so it grows while no checkpoint is written (a stuck pipeline shows it).
class Metrics::CheckpointAgeCollector : public prometheus::Collectable {
 public:
  explicit CheckpointAgeCollector(const Metrics& metrics) : metrics_(metrics) {}
  std::vector<prometheus::MetricFamily> Collect() const override {
    prometheus::MetricFamily family;
    family.name = "tributary_checkpoint_age_seconds";
    family.help = "Seconds since the last durable checkpoint (at scrape time)";
    family.type = prometheus::MetricType::Gauge;
    const double now = static_cast<double>(unix_now_us()) / 1e6;
    std::lock_guard lock(metrics_.probes_mu_);
    for (const auto& [name, probe] : metrics_.probes_) {
      const auto age = probe->checkpoint_age(now);
      if (!age) continue;  // no checkpoint written yet
      prometheus::ClientMetric metric;
      metric.label.push_back({"pipeline", name});
      metric.gauge.value = *age;
      family.metric.push_back(std::move(metric));
    }
    return {std::move(family)};
  }

 private:
  const Metrics& metrics_;
};

const prometheus::Histogram::BucketBoundaries& Metrics::commit_duration_buckets() {
  static const prometheus::Histogram::BucketBoundaries kBuckets = {
      0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};
  return kBuckets;
}

const prometheus::Histogram::BucketBoundaries& Metrics::batch_events_buckets() {
  static const prometheus::Histogram::BucketBoundaries kBuckets = {
      0, 1, 10, 50, 100, 500, 1000, 5000, 10000, 50000, 100000};
  return kBuckets;
}

Metrics::Metrics() : registry_(std::make_shared<prometheus::Registry>()) {
  auto& r = *registry_;
  families_ = std::make_unique<Families>(Families{
      .events = registered(prometheus::BuildCounter(), r, "tributary_events_total",
                           "Change events emitted, by pipeline, table and Debezium op"),
      .snapshot_rows = registered(prometheus::BuildCounter(), r, "tributary_snapshot_rows_total",
                                  "Rows read by the initial snapshot"),
      .snapshot_progress =
          registered(prometheus::BuildGauge(), r, "tributary_snapshot_progress_ratio",
                     "Initial snapshot progress of a table (rows done / estimated rows, 0..1)"),
      .source_lag = registered(prometheus::BuildGauge(), r, "tributary_source_lag_seconds",
                               "Time between the source commit and emission of its last event"),
      .kafka_transactions =
          registered(prometheus::BuildCounter(), r, "tributary_kafka_transactions_total",
                     "Kafka transactions by result (committed | aborted)"),
      .kafka_commit_duration =
          registered(prometheus::BuildHistogram(), r, "tributary_kafka_commit_duration_seconds",
                     "Duration of Kafka transaction commits"),
      .kafka_messages = registered(prometheus::BuildCounter(), r, "tributary_kafka_messages_total",
                                   "Messages in committed Kafka transactions"),
      .kafka_bytes = registered(prometheus::BuildCounter(), r, "tributary_kafka_bytes_total",
                                "Bytes in committed Kafka transactions"),
      .checkpoint_timestamp =
          registered(prometheus::BuildGauge(), r, "tributary_checkpoint_timestamp_seconds",
                     "Unix time of the last durable checkpoint"),
      .source_position = registered(prometheus::BuildGauge(), r, "tributary_source_position",
                                    "Source position reached (PostgreSQL LSN, binlog offset)"),
      .source_binlog_file =
          registered(prometheus::BuildGauge(), r, "tributary_source_binlog_file_number",
                     "Sequence number of the binlog file the position is in (MySQL/MariaDB)"),
      .retained_wal = registered(prometheus::BuildGauge(), r, "tributary_slot_retained_wal_bytes",
                                 "WAL bytes the replication slot keeps on the server"),
      .reconnects = registered(prometheus::BuildCounter(), r, "tributary_reconnects_total",
                               "Re-established connections, by target (source | kafka)"),
      .pipeline_failures =
          registered(prometheus::BuildCounter(), r, "tributary_pipeline_failures_total",
                     "Failures of a pipeline after it had run (each is retried with backoff)"),
      .heartbeats = registered(prometheus::BuildCounter(), r, "tributary_heartbeats_total",
                               "Heartbeat records written into a Kafka transaction"),
      .pipeline_up = registered(prometheus::BuildGauge(), r, "tributary_pipeline_up",
                                "1 while the pipeline snapshots or streams, else 0"),
      .inflight_bytes =
          registered(prometheus::BuildGauge(), r, "tributary_inflight_bytes",
                     "Bytes of records in the open Kafka transaction, not committed yet"),
      .kafka_batch_events =
          registered(prometheus::BuildHistogram(), r, "tributary_kafka_batch_events",
                     "Events per committed Kafka transaction (0: the offsets record alone)"),
  });
  scraped_.push_back(std::make_shared<CheckpointAgeCollector>(*this));
  scraped_.push_back(std::make_shared<ProcessCollector>());
  registered(prometheus::BuildGauge(), r, "tributary_build_info", "Build information (always 1)")
      .Add({{"version", TRIBUTARY_VERSION}})
      .Set(1);
}

Metrics::~Metrics() = default;

PipelineProbe& Metrics::pipeline_probe(const std::string& pipeline) {
  std::lock_guard lock(probes_mu_);
  auto it = probes_.find(pipeline);
  if (it == probes_.end()) {
    it = probes_
             .emplace(pipeline,
                      std::unique_ptr<PipelineProbe>(new PipelineProbe(*families_, pipeline)))
             .first;
  }
  return *it->second;
}

std::string Metrics::serialize() const {
  auto families = registry_->Collect();
  for (const auto& collectable : scraped_) {
    for (auto& family : collectable->Collect()) {
      if (!family.metric.empty()) families.push_back(std::move(family));
    }
  }
  return prometheus::TextSerializer().Serialize(families);
}

}  // namespace tributary::metrics
