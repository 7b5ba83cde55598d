// HttpServer: the operations endpoint (/metrics, /healthz, /readyz, /status) on one port, served
// by Boost.Beast on a caller-provided io_context; bounded in connections and in time per client.
#pragma once

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "base/result.hpp"
#include "metrics/health.hpp"
#include "metrics/metrics.hpp"

namespace tributary::metrics {

/// HTTP/1.1 with keep-alive; GET (and HEAD) only:
///   GET /metrics  200, Prometheus text (text/plain; version=0.0.4)
///   GET /healthz  200 "ok" while the process runs
///   GET /readyz   200 + HealthState::status_json() when ready, 503 + the reason otherwise
///   GET /status   200 + HealthState::status_json(), ready or not
///   other paths   404; other methods 405; a malformed request 400 (and the connection closed)
///
/// No client can hold the endpoint down: a connection that sends nothing for `idle_timeout`
/// (after connecting or between requests) is closed, a request must arrive whole within
/// `request_timeout` of its first byte (and its response be taken within as long), and past
/// `max_connections` a new connection closes the one idle longest; only if every connection is
/// mid-request is the new one refused. A connection is closed after `max_requests_per_connection`
/// responses (pipelined or not); request line + headers past `header_limit` get 431, a body past
/// `body_limit` 413, and the connection is closed. Accept errors (EMFILE...) back off and accepting
/// goes on. Each close is counted in tributary_http_connections_closed_total{reason}; open
/// connections are tributary_http_connections. Log lines per kind of event are rate-limited.
///
/// Every handler runs on the io_context's thread and never blocks (serialize() and the health
/// flags take short locks only). `metrics` and `health` must outlive the io_context's handlers.
class HttpServer {
 public:
  struct Options {
    std::chrono::milliseconds request_timeout{5000};  ///< first byte -> whole request; response
    std::chrono::milliseconds idle_timeout{15000};    ///< no byte between requests / after connect
    std::size_t max_connections = 128;                ///< past it the longest-idle one is closed
    std::uint32_t header_limit = 8 * 1024;            ///< bytes of request line + headers
    std::uint64_t body_limit = 4 * 1024;              ///< bytes of request body
    /// Requests served on one keep-alive connection; the last is answered "Connection: close",
    /// so one client cannot hold a connection (and pipeline into it) for ever.
    std::uint32_t max_requests_per_connection = 1000;
  };

  HttpServer(boost::asio::io_context& io, Metrics& metrics, HealthState& health);
  HttpServer(boost::asio::io_context& io, Metrics& metrics, HealthState& health, Options options);
  /// Closes the listener and connections. Destroy on the io_context's thread or while it does not
  /// run; pending handlers stay safe (they hold the shared state, not this object).
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  /// Binds "host:port" ("[v6]:port"; an empty host means all IPv4 interfaces; port 0 picks a free
  /// port) and starts accepting. Call once, before or while the io_context runs (from its thread).
  /// Bad address or bind failure -> Error::config("http.listen: ...", with the OS error and fix).
  Result<void> listen(const std::string& host_port);

  /// The bound port (after a successful listen), 0 before. Any thread.
  std::uint16_t port() const;

  /// Stops accepting and closes open connections, so the io_context runs out of work from this
  /// server. Any thread: off the io_context's thread the work is posted to it.
  void stop();

  struct Shared;  // state shared with the connection handlers (http_server.cpp)

 private:
  boost::asio::io_context& io_;
  std::shared_ptr<Shared> shared_;
};

/// Whether `host_port` (http.listen's syntax) can be bound now: binds a socket and closes it.
/// Accepts nothing. The error is listen()'s.
Result<void> probe_listen(const std::string& host_port);

}  // namespace tributary::metrics
