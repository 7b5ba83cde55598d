// HealthState: what /readyz reports. Pipelines set their connection and phase flags from any
// thread; the HTTP server reads them.
#pragma once

#include <map>
#include <mutex>
#include <string>

namespace tributary::metrics {

/// Per-pipeline flags. A pipeline appears on the first setter naming it.
///
/// ready() is true when at least one pipeline is known, the process is not shutting down, and
/// every pipeline is: not failed AND source connected AND Kafka connected AND (snapshotting OR
/// streaming). A running snapshot counts as ready: it is progress, and a long snapshot must not
/// make an orchestrator kill the process.
class HealthState {
 public:
  void set_source_connected(const std::string& pipeline, bool connected);
  void set_kafka_connected(const std::string& pipeline, bool connected);
  /// The initial snapshot is running (cleared by set_streaming(p, true)).
  void set_snapshotting(const std::string& pipeline, bool snapshotting);
  /// Snapshot done (or skipped) and the change stream is being read.
  void set_streaming(const std::string& pipeline, bool streaming);
  /// The pipeline stopped for good; `reason` is reported by /readyz. Not cleared.
  void set_failed(const std::string& pipeline, const std::string& reason);
  /// SIGTERM received: not ready any more, so load balancers stop routing while the process drains.
  void set_shutting_down();

  /// Whether the process is ready; if not and `why_not` is given, the reasons ("; "-separated).
  bool ready(std::string* why_not = nullptr) const;

  /// {"ready":bool,"shutting_down":bool,"pipelines":{"<name>":{"state":"starting|snapshotting|
  /// streaming|failed","source_connected":bool,"kafka_connected":bool[,"error":"..."]}}}
  std::string status_json() const;

 private:
  struct Pipeline {
    bool source_connected = false;
    bool kafka_connected = false;
    bool snapshotting = false;
    bool streaming = false;
    bool failed = false;
    std::string reason;
  };
  bool ready_locked(std::string* why_not) const;

  mutable std::mutex mu_;
  std::map<std::string, Pipeline, std::less<>> pipelines_;
  bool shutting_down_ = false;
};

}  // namespace tributary::metrics
