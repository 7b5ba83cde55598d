// HealthState: what /readyz and /status report. Pipelines set their connection and phase flags
// from any thread; the HTTP server reads them.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <string>

namespace tributary::metrics {

/// Per-pipeline flags. Every configured pipeline is registered before anything starts, so a
/// pipeline that never got going (Kafka unreachable) is reported with what it waits for; a setter
/// naming an unknown pipeline registers it too.
///
/// ready() is true when at least one pipeline is known, the process is not shutting down, and
/// every pipeline is: not failed AND not retrying AND source connected AND Kafka connected AND
/// (snapshotting OR streaming). A running snapshot counts as ready: it is progress, and a long
/// snapshot must not make an orchestrator kill the process.
class HealthState {
 public:
  using SystemTime = std::chrono::system_clock::time_point;

  void register_pipeline(const std::string& pipeline);
  void set_source_connected(const std::string& pipeline, bool connected);
  void set_kafka_connected(const std::string& pipeline, bool connected);
  /// The initial snapshot is running (cleared by set_streaming(p, true)).
  void set_snapshotting(const std::string& pipeline, bool snapshotting);
  /// Snapshot done (or skipped) and the change stream is being read.
  void set_streaming(const std::string& pipeline, bool streaming);
  /// What keeps the pipeline from running, e.g. "kafka not reachable at k1:9092: <error>"; while
  /// set it is the pipeline's reason in /readyz. "" clears it.
  void set_waiting_for(const std::string& pipeline, const std::string& what);
  /// The pipeline failed after it had run and is retried: the error, the consecutive failures so
  /// far, and when the next attempt starts. Cleared by clear_retrying (the attempt got going).
  void set_retrying(const std::string& pipeline, const std::string& error, int attempts,
                    SystemTime next_retry);
  void clear_retrying(const std::string& pipeline);
  /// The pipeline stopped for good; `reason` is reported by /readyz. Not cleared.
  void set_failed(const std::string& pipeline, const std::string& reason);
  /// SIGTERM received: not ready any more, so load balancers stop routing while the process drains.
  void set_shutting_down();

  /// Whether the process is ready; if not and `why_not` is given, the reasons ("; "-separated).
  bool ready(std::string* why_not = nullptr) const;

  /// {"ready":bool,"shutting_down":bool,"pipelines":{"<name>":{"state":"starting|snapshotting|
  /// streaming|retrying|failed","source_connected":bool,"kafka_connected":bool
  /// [,"waiting_for":"..."][,"error":"..."][,"attempts":n,"next_retry_at":"<UTC ISO-8601>"]}}}
  std::string status_json() const;

 private:
  struct Pipeline {
    bool source_connected = false;
    bool kafka_connected = false;
    bool snapshotting = false;
    bool streaming = false;
    bool failed = false;
    bool retrying = false;
    int attempts = 0;
    SystemTime next_retry{};
    std::string waiting_for;
    std::string reason;  ///< failed: why; retrying: the last error
  };
  bool ready_locked(std::string* why_not) const;

  mutable std::mutex mu_;
  std::map<std::string, Pipeline, std::less<>> pipelines_;
  bool shutting_down_ = false;
};

/// "2026-01-31T12:00:00Z".
std::string format_utc(std::chrono::system_clock::time_point time);

}  // namespace tributary::metrics
