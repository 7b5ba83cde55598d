// The HTTP endpoint's metrics (HttpProbe) and its rate-limited log lines (RateLimitedLog).
#pragma once

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <iterator>
#include <string>
#include <string_view>

#include "base/log.hpp"

namespace tributary::metrics::http_detail {

using Clock = std::chrono::steady_clock;

/// Why the server closed a connection: the `reason` label of
/// tributary_http_connections_closed_total. A client closing its end is not counted.
enum class CloseReason {
  kNone,            ///< the client closed, or the server stopped
  kIdleTimeout,     ///< nothing sent for idle_timeout
  kRequestTimeout,  ///< a request not whole within request_timeout of its first byte
  kWriteTimeout,    ///< the response not taken within request_timeout
  kEvicted,         ///< closed (idle longest) to make room past max_connections
  kRefused,         ///< a new connection past max_connections while every one was mid-request
  kBadRequest,      ///< a malformed or oversized request (answered 4xx, then closed)
};
constexpr std::string_view kReasonLabels[] = {"idle_timeout", "request_timeout", "write_timeout",
                                              "evicted",      "refused",         "bad_request"};
constexpr std::size_t kReasons = std::size(kReasonLabels);

/// The HTTP server's metrics. Registered on the shared registry (merged by name, so several
/// servers of one process share the series).
class HttpProbe {
 public:
  explicit HttpProbe(prometheus::Registry& registry)
      : connections_(prometheus::BuildGauge()
                         .Name("tributary_http_connections")
                         .Help("Open connections to the HTTP endpoint")
                         .Register(registry)
                         .Add({})),
        accept_errors_(prometheus::BuildCounter()
                           .Name("tributary_http_accept_errors_total")
                           .Help("Failed accepts on the HTTP endpoint (e.g. EMFILE)")
                           .Register(registry)
                           .Add({})) {
    auto& closed = prometheus::BuildCounter()
                       .Name("tributary_http_connections_closed_total")
                       .Help("Connections the HTTP endpoint closed, by reason")
                       .Register(registry);
    for (std::size_t i = 0; i < kReasons; ++i) {
      closed_[i] = &closed.Add({{"reason", std::string(kReasonLabels[i])}});
    }
  }
  void connection_opened() { connections_.Increment(); }
  void connection_closed(CloseReason reason) {
    connections_.Decrement();
    if (reason != CloseReason::kNone) count(reason);
  }
  void count(CloseReason reason) { closed_[static_cast<std::size_t>(reason) - 1]->Increment(); }
  void accept_failed() { accept_errors_.Increment(); }

 private:
  prometheus::Gauge& connections_;
  prometheus::Counter& accept_errors_;
  std::array<prometheus::Counter*, kReasons> closed_{};
};

/// One log line per kind of event per interval: the first is written at once, later ones within
/// the interval are counted and the count rides on the next line written.
class RateLimitedLog {
 public:
  void write(log::Level level, const std::string& message) {
    const auto now = Clock::now();
    if (written_ && now - last_ < kInterval) {
      ++suppressed_;
      return;
    }
    std::string line = message;
    if (suppressed_ > 0) {
      line += " (and " + std::to_string(suppressed_) + " more like it since the last such line)";
    }
    log::write(level, {}, {}, line);
    written_ = true;
    last_ = now;
    suppressed_ = 0;
  }

 private:
  static constexpr auto kInterval = std::chrono::seconds(10);
  bool written_ = false;
  Clock::time_point last_{};
  std::uint64_t suppressed_ = 0;
};

}  // namespace tributary::metrics::http_detail
