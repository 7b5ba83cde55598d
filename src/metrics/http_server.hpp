// HttpServer: the operations endpoint (/metrics, /healthz, /readyz) on one port, served by
// Boost.Beast on a caller-provided io_context.
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
///   other paths   404; other methods 405
/// Every handler runs on the io_context's thread and never blocks (serialize() and the health
/// flags take short locks only). `metrics` and `health` must outlive the io_context's handlers.
class HttpServer {
 public:
  struct Options {
    std::chrono::milliseconds io_timeout{10000};  ///< per request read / response write, and idle
    std::size_t max_connections = 64;             ///< further connections are closed at once
    std::uint32_t header_limit = 8 * 1024;        ///< bytes of request line + headers
    std::uint64_t body_limit = 4 * 1024;          ///< bytes of request body
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
  /// Bad address or bind failure -> Error::config("http.listen: ...").
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

}  // namespace tributary::metrics
