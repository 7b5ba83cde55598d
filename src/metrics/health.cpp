// HealthState: readiness flags per pipeline.
#include "metrics/health.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace tributary::metrics {
namespace {

const char* state_name(bool failed, bool streaming, bool snapshotting) {
  if (failed) return "failed";
  if (streaming) return "streaming";
  if (snapshotting) return "snapshotting";
  return "starting";
}

void add_reason(std::string* out, const std::string& reason) {
  if (out == nullptr) return;
  if (!out->empty()) *out += "; ";
  *out += reason;
}

}  // namespace

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

void HealthState::set_failed(const std::string& pipeline, const std::string& reason) {
  std::lock_guard lock(mu_);
  auto& p = pipelines_[pipeline];
  p.failed = true;
  p.reason = reason.empty() ? "failed" : reason;
}

void HealthState::set_shutting_down() {
  std::lock_guard lock(mu_);
  shutting_down_ = true;
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
  for (const auto& [name, p] : pipelines_) {
    const std::string prefix = "pipeline '" + name + "': ";
    if (p.failed) {
      add_reason(why_not, prefix + "failed: " + p.reason);
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
    w.String(state_name(p.failed, p.streaming, p.snapshotting));
    w.Key("source_connected");
    w.Bool(p.source_connected);
    w.Key("kafka_connected");
    w.Bool(p.kafka_connected);
    if (p.failed) {
      w.Key("error");
      w.String(p.reason.data(), static_cast<rapidjson::SizeType>(p.reason.size()));
    }
    w.EndObject();
  }
  w.EndObject();
  w.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

}  // namespace tributary::metrics
