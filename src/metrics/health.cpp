// HealthState: readiness flags per pipeline.
#include "metrics/health.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstdio>
#include <ctime>

namespace tributary::metrics {
namespace {

const char* state_name(bool failed, bool retrying, bool streaming, bool snapshotting) {
  if (failed) return "failed";
  if (retrying) return "retrying";
  if (streaming) return "streaming";
  if (snapshotting) return "snapshotting";
  return "starting";
}

void add_reason(std::string* out, const std::string& reason) {
  if (out == nullptr) return;
  if (!out->empty()) *out += "; ";
  *out += reason;
}

void write_string(rapidjson::Writer<rapidjson::StringBuffer>& w, const std::string& text) {
  w.String(text.data(), static_cast<rapidjson::SizeType>(text.size()));
}

}  // namespace

std::string format_utc(std::chrono::system_clock::time_point time) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(time);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[32];
  std::size_t n = std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return std::string(text, n);
}

std::string format_utc_ms(std::chrono::system_clock::time_point time) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch());
  const auto whole =
      std::chrono::system_clock::time_point(std::chrono::floor<std::chrono::seconds>(ms));
  std::string text = format_utc(whole);
  char fraction[8];
  std::snprintf(fraction, sizeof fraction, ".%03d",
                static_cast<int>((ms - std::chrono::floor<std::chrono::seconds>(ms)).count()));
  text.insert(text.size() - 1, fraction);
  return text;
}

void HealthState::register_pipeline(const std::string& pipeline) {
  std::lock_guard lock(mu_);
  pipelines_.try_emplace(pipeline);
}

void HealthState::set_source_connected(const std::string& pipeline, bool connected) {
  std::lock_guard lock(mu_);
  pipelines_[pipeline].source_connected = connected;
}

void HealthState::set_kafka_connected(const std::string& pipeline, bool connected) {
  std::lock_guard lock(mu_);
  pipelines_[pipeline].kafka_connected = connected;
}

void HealthState::set_snapshotting(const std::string& pipeline, bool snapshotting) {
  std::lock_guard lock(mu_);
  pipelines_[pipeline].snapshotting = snapshotting;
}

void HealthState::set_streaming(const std::string& pipeline, bool streaming) {
  std::lock_guard lock(mu_);
  auto& p = pipelines_[pipeline];
  p.streaming = streaming;
  if (streaming) p.snapshotting = false;
}

void HealthState::set_waiting_for(const std::string& pipeline, const std::string& what) {
  std::lock_guard lock(mu_);
  pipelines_[pipeline].waiting_for = what;
}

void HealthState::set_retrying(const std::string& pipeline, const std::string& error, int attempts,
                               SystemTime next_retry) {
  std::lock_guard lock(mu_);
  auto& p = pipelines_[pipeline];
  p.retrying = true;
  p.reason = error.empty() ? "failed" : error;
  p.attempts = attempts;
  p.next_retry = next_retry;
}

void HealthState::clear_retrying(const std::string& pipeline) {
  std::lock_guard lock(mu_);
  auto& p = pipelines_[pipeline];
  if (p.failed) return;
  p.retrying = false;
  p.attempts = 0;
  p.reason.clear();
}

void HealthState::set_failed(const std::string& pipeline, const std::string& reason) {
  std::lock_guard lock(mu_);
  auto& p = pipelines_[pipeline];
  p.failed = true;
  p.retrying = false;
  p.reason = reason.empty() ? "failed" : reason;
}

void HealthState::set_shutting_down() {
  std::lock_guard lock(mu_);
  shutting_down_ = true;
}

void HealthState::set_phase(const std::string& pipeline, const std::string& phase) {
  std::lock_guard lock(mu_);
  pipelines_[pipeline].phase = phase;
}

void HealthState::set_position(const std::string& pipeline, const StatusPosition& position) {
  std::lock_guard lock(mu_);
  pipelines_[pipeline].position = position;
}

void HealthState::transaction_committed(const std::string& pipeline, SystemTime at,
                                        std::size_t events, double lag_seconds) {
  std::lock_guard lock(mu_);
  auto& p = pipelines_[pipeline];
  ++p.transactions;
  p.last_commit_at = at;
  p.last_commit_events = events;
  p.lag_seconds = lag_seconds;
}

void HealthState::snapshot_progress(const std::string& pipeline, const std::string& table,
                                    uint64_t done, uint64_t estimated) {
  std::lock_guard lock(mu_);
  auto& t = pipelines_[pipeline].tables[table];
  t.done = done;
  t.estimated = estimated;
  t.finished = false;
}

void HealthState::snapshot_table_done(const std::string& pipeline, const std::string& table,
                                      uint64_t rows) {
  std::lock_guard lock(mu_);
  auto& t = pipelines_[pipeline].tables[table];
  t.done = rows;
  t.finished = true;
}

void HealthState::set_last_error(const std::string& pipeline, const std::string& message,
                                 SystemTime at) {
  std::lock_guard lock(mu_);
  auto& p = pipelines_[pipeline];
  p.last_error = message.empty() ? "failed" : message;
  p.last_error_at = at;
}

bool HealthState::ready(std::string* why_not) const {
  std::lock_guard lock(mu_);
  if (why_not != nullptr) why_not->clear();
  return ready_locked(why_not);
}

bool HealthState::ready_locked(std::string* why_not) const {
  bool ready = true;
  if (shutting_down_) {
    add_reason(why_not, "shutting down");
    ready = false;
  }
  if (pipelines_.empty()) {
    add_reason(why_not, "no pipeline started");
    ready = false;
  }
  const auto now = std::chrono::system_clock::now();
  for (const auto& [name, p] : pipelines_) {
    const std::string prefix = "pipeline '" + name + "': ";
    if (p.failed) {
      add_reason(why_not, prefix + "failed: " + p.reason);
      ready = false;
      continue;
    }
    if (p.retrying) {
      std::string when;
      if (p.next_retry > now) {
        const auto in = std::chrono::ceil<std::chrono::seconds>(p.next_retry - now).count();
        when = "next retry in " + std::to_string(in) + " s, at " + format_utc(p.next_retry);
      } else {
        when = "retry " + std::to_string(p.attempts) + " running since " + format_utc(p.next_retry);
      }
      add_reason(why_not, prefix + "retrying after " + std::to_string(p.attempts) +
                              " failure(s) (" + when + "): " + p.reason);
      ready = false;
      continue;
    }
    if (!p.waiting_for.empty()) {
      add_reason(why_not, prefix + p.waiting_for);
      ready = false;
      continue;
    }
    if (!p.source_connected) {
      add_reason(why_not, prefix + "source not connected");
      ready = false;
    }
    if (!p.kafka_connected) {
      add_reason(why_not, prefix + "kafka not connected");
      ready = false;
    }
    if (!p.snapshotting && !p.streaming) {
      add_reason(why_not, prefix + "not snapshotting or streaming yet");
      ready = false;
    }
  }
  return ready;
}

std::string HealthState::status_json() const {
  std::lock_guard lock(mu_);
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  const auto write_details = [&w](const Pipeline& p) {
    w.Key("phase");
    write_string(w, p.phase);
    w.Key("lag_seconds");
    if (p.lag_seconds) {
      w.Double(*p.lag_seconds);
    } else {
      w.Null();
    }
    w.Key("position");
    if (p.position) {
      const StatusPosition& position = *p.position;
      w.StartObject();
      w.Key("text");
      write_string(w, position.text);
      w.Key("snapshot_completed");
      w.Bool(position.snapshot_completed);
      w.Key("type");
      w.String(position.mysql ? "mysql" : "postgres");
      if (position.mysql) {
        w.Key("binlog_file");
        write_string(w, position.binlog_file);
        w.Key("binlog_pos");
        w.Uint64(position.binlog_pos);
        w.Key("gtid_set");
        write_string(w, position.gtid_set);
      } else {
        w.Key("lsn");
        write_string(w, position.lsn);
        w.Key("partial_events");
        w.Uint64(position.partial_events);
        if (position.partial_events > 0) {
          w.Key("partial_commit_lsn");
          write_string(w, position.partial_commit_lsn);
        }
      }
      w.EndObject();
    } else {
      w.Null();
    }
    w.Key("last_commit");
    if (p.transactions > 0) {
      w.StartObject();
      w.Key("time");
      write_string(w, format_utc_ms(p.last_commit_at));
      w.Key("events");
      w.Uint64(p.last_commit_events);
      w.Key("transactions");
      w.Uint64(p.transactions);
      w.EndObject();
    } else {
      w.Null();
    }
    w.Key("last_error");
    if (!p.last_error.empty()) {
      w.StartObject();
      w.Key("message");
      write_string(w, p.last_error);
      w.Key("time");
      write_string(w, format_utc_ms(p.last_error_at));
      w.EndObject();
    } else {
      w.Null();
    }
    w.Key("snapshot");
    w.StartObject();
    w.Key("tables");
    w.StartObject();
    for (const auto& [table, t] : p.tables) {
      w.Key(table.data(), static_cast<rapidjson::SizeType>(table.size()));
      w.StartObject();
      w.Key("rows_done");
      w.Uint64(t.done);
      w.Key("rows_estimated");
      w.Uint64(t.estimated);
      w.Key("done");
      w.Bool(t.finished);
      w.EndObject();
    }
    w.EndObject();
    w.EndObject();
  };
  w.StartObject();
  w.Key("ready");
  w.Bool(ready_locked(nullptr));
  w.Key("shutting_down");
  w.Bool(shutting_down_);
  w.Key("pipelines");
  w.StartObject();
  for (const auto& [name, p] : pipelines_) {
    w.Key(name.data(), static_cast<rapidjson::SizeType>(name.size()));
    w.StartObject();
    w.Key("state");
    w.String(state_name(p.failed, p.retrying, p.streaming, p.snapshotting));
    w.Key("source_connected");
    w.Bool(p.source_connected);
    w.Key("kafka_connected");
    w.Bool(p.kafka_connected);
    if (!p.waiting_for.empty()) {
      w.Key("waiting_for");
      write_string(w, p.waiting_for);
    }
    if (p.failed || p.retrying) {
      w.Key("error");
      write_string(w, p.reason);
    }
    if (p.retrying) {
      w.Key("attempts");
      w.Int(p.attempts);
      w.Key("next_retry_at");
      write_string(w, format_utc(p.next_retry));
    }
    write_details(p);
    w.EndObject();
  }
  w.EndObject();
  w.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

}  // namespace tributary::metrics
