// HttpServer: Beast sessions on one io_context thread; no handler blocks, no client holds a slot
// for long, and a full server makes room by closing the connection idle longest.
#include "metrics/http_server.hpp"

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cerrno>
#include <charconv>
#include <list>
#include <optional>
#include <sstream>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/log.hpp"
#include "metrics/http_probe.hpp"

namespace tributary::metrics {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using http_detail::Clock;
using http_detail::CloseReason;
using http_detail::HttpProbe;
using http_detail::RateLimitedLog;

namespace {

class Session;

std::string describe(const tcp::endpoint& endpoint) {
  std::ostringstream out;
  out << endpoint;
  return out.str();
}

std::string milliseconds(std::chrono::milliseconds ms) {
  return std::to_string(ms.count()) + " ms";
}

}  // namespace

struct HttpServer::Shared {
  Shared(net::io_context& io, Metrics& m, HealthState& h, Options o)
      : metrics(m), health(h), options(o), probe(*m.registry()), acceptor(io), retry_timer(io) {}

  Metrics& metrics;
  HealthState& health;
  const Options options;
  HttpProbe probe;
  tcp::acceptor acceptor;
  net::steady_timer retry_timer;  // backoff after a failed accept (EMFILE...)
  std::atomic<std::uint16_t> port{0};
  // Below: io_context thread only.
  bool stopped = false;
  std::unordered_map<Session*, std::weak_ptr<Session>> sessions;  ///< every open connection
  std::list<Session*> idle;  ///< open connections with no request in progress, idle longest first
  // Accept failures of the current burst (0: accepting normally) and when it began.
  std::uint64_t accept_failures = 0;
  Clock::time_point accept_failing_since{};
  std::chrono::milliseconds accept_backoff{0};
  RateLimitedLog evicted_log, refused_log, request_timeout_log, bad_request_log;
};

namespace {

constexpr std::string_view kServerHeader = "tributary/" TRIBUTARY_VERSION;
constexpr std::string_view kMetricsContentType = "text/plain; version=0.0.4; charset=utf-8";
constexpr std::string_view kTextContentType = "text/plain; charset=utf-8";
constexpr std::string_view kJsonContentType = "application/json";
/// How long a closing connection waits for the client's end before the socket is closed (so the
/// last response is not lost to a reset).
constexpr auto kLinger = std::chrono::milliseconds(1000);

using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;

Response make_response(unsigned version, http::status status, std::string_view content_type,
                       std::string body) {
  Response res{status, version};
  res.set(http::field::server, beast::string_view(kServerHeader.data(), kServerHeader.size()));
  res.set(http::field::content_type, beast::string_view(content_type.data(), content_type.size()));
  res.set(http::field::cache_control, "no-store");
  res.body() = std::move(body);
  return res;
}

/// One connection: waits (idle_timeout) for a request's first byte, reads it whole
/// (request_timeout), answers, and waits again. Only ever on the io_context's thread.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(std::shared_ptr<HttpServer::Shared> shared, tcp::socket socket)
      : shared_(std::move(shared)),
        stream_(std::move(socket)),
        buffer_(static_cast<std::size_t>(shared_->options.header_limit) +
                static_cast<std::size_t>(shared_->options.body_limit) + 1024) {
    beast::error_code ec;
    const auto remote = stream_.socket().remote_endpoint(ec);
    peer_ = ec ? std::string("an unknown peer") : describe(remote);
  }

  ~Session() { close(CloseReason::kNone); }

  void start() {
    shared_->sessions.emplace(this, weak_from_this());
    shared_->probe.connection_opened();
    wait_for_request();
  }

  /// Closes the socket now (pending operations end with operation_aborted) and forgets the
  /// connection. Idempotent.
  void close(CloseReason reason) {
    if (closed_) return;
    closed_ = true;
    leave_idle();
    shared_->sessions.erase(this);
    shared_->probe.connection_closed(reason);
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.close();
  }

  const std::string& peer() const { return peer_; }
  Clock::duration idle_for() const { return Clock::now() - idle_since_; }

 private:
  void enter_idle() {
    leave_idle();
    idle_since_ = Clock::now();
    idle_position_ = shared_->idle.insert(shared_->idle.end(), this);
  }
  void leave_idle() {
    if (idle_position_) shared_->idle.erase(*idle_position_);
    idle_position_.reset();
  }

  /// Idle: no request in progress; the connection may be evicted, and is closed after
  /// idle_timeout without a byte.
  void wait_for_request() {
    if (buffer_.size() > 0) return read_request();  // a pipelined request already arrived
    enter_idle();
    stream_.expires_after(shared_->options.idle_timeout);
    stream_.async_read_some(buffer_.prepare(1024),
                            [self = shared_from_this()](beast::error_code ec, std::size_t n) {
                              self->on_first_bytes(ec, n);
                            });
  }

  void on_first_bytes(beast::error_code ec, std::size_t n) {
    if (closed_) return;
    if (shared_->stopped) return close(CloseReason::kNone);
    if (ec == beast::error::timeout) return close(CloseReason::kIdleTimeout);
    if (ec) return close(CloseReason::kNone);  // closed by the client, reset
    buffer_.commit(n);
    read_request();
  }

  /// Busy: a request has begun; it must be whole within request_timeout of its first byte.
  void read_request() {
    leave_idle();
    parser_.emplace();
    parser_->header_limit(shared_->options.header_limit);
    parser_->body_limit(shared_->options.body_limit);
    stream_.expires_after(shared_->options.request_timeout);
    http::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
  }

  void on_read(beast::error_code ec) {
    if (closed_) return;
    if (shared_->stopped) return close(CloseReason::kNone);
    if (ec == beast::error::timeout) {
      shared_->request_timeout_log.write(log::Level::kWarn,
                                         "http: request from " + peer_ + " not complete within " +
                                             milliseconds(shared_->options.request_timeout) +
                                             " (http.request_timeout_ms), closed the connection");
      return close(CloseReason::kRequestTimeout);
    }
    if (ec == http::error::end_of_stream || ec == http::error::partial_message) {
      return close(CloseReason::kNone);  // the client gave up mid-request
    }
    if (ec == http::error::header_limit) {
      return reject(http::status::request_header_fields_too_large, "header too large\n", ec);
    }
    if (ec == http::error::body_limit || ec == http::error::buffer_overflow) {
      return reject(http::status::payload_too_large, "body too large\n", ec);
    }
    if (ec && ec.category() == http::make_error_code(http::error::bad_target).category()) {
      return reject(http::status::bad_request, "bad request\n", ec);
    }
    if (ec) return close(CloseReason::kNone);  // reset, aborted
    handle(parser_->release());
  }

  void handle(const Request& req) {
    std::string_view path(req.target().data(), req.target().size());
    if (auto q = path.find('?'); q != std::string_view::npos) path = path.substr(0, q);

    const bool known =
        path == "/metrics" || path == "/healthz" || path == "/readyz" || path == "/status";
    const bool head = req.method() == http::verb::head;
    Response res;
    if (!known) {
      res = make_response(req.version(), http::status::not_found, kTextContentType,
                          "not found; try /metrics, /healthz, /readyz, /status\n");
    } else if (req.method() != http::verb::get && !head) {
      res = make_response(req.version(), http::status::method_not_allowed, kTextContentType,
                          "method not allowed\n");
      res.set(http::field::allow, "GET, HEAD");
    } else if (path == "/metrics") {
      res = make_response(req.version(), http::status::ok, kMetricsContentType,
                          shared_->metrics.serialize());
    } else if (path == "/healthz") {
      res = make_response(req.version(), http::status::ok, kTextContentType, "ok\n");
    } else if (path == "/status") {
      res = make_response(req.version(), http::status::ok, kJsonContentType,
                          shared_->health.status_json() + "\n");
    } else {
      std::string why;
      if (shared_->health.ready(&why)) {
        res = make_response(req.version(), http::status::ok, kJsonContentType,
                            shared_->health.status_json() + "\n");
      } else {
        res = make_response(req.version(), http::status::service_unavailable, kTextContentType,
                            "not ready: " + why + "\n");
      }
    }
    ++requests_;
    res.keep_alive(req.keep_alive() && requests_ < shared_->options.max_requests_per_connection);
    res.prepare_payload();
    if (head) res.body().clear();  // Content-Length stays that of the GET body
    write(std::move(res));
  }

  /// A request the server will not serve: answered, counted, and the connection closed.
  void reject(http::status status, std::string body, beast::error_code why) {
    shared_->probe.count(CloseReason::kBadRequest);
    shared_->bad_request_log.write(log::Level::kInfo, "http: malformed request from " + peer_ +
                                                          " (" + why.message() + "), answered " +
                                                          std::to_string(static_cast<int>(status)));
    Response res = make_response(11, status, kTextContentType, std::move(body));
    res.keep_alive(false);
    res.prepare_payload();
    write(std::move(res));
  }

  void write(Response res) {
    response_.emplace(std::move(res));
    stream_.expires_after(shared_->options.request_timeout);
    http::async_write(
        stream_, *response_,
        [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_write(ec); });
  }

  void on_write(beast::error_code ec) {
    if (closed_) return;
    const bool keep_alive = response_->keep_alive();
    response_.reset();
    if (ec == beast::error::timeout) return close(CloseReason::kWriteTimeout);
    if (ec || shared_->stopped) return close(CloseReason::kNone);
    if (!keep_alive) return linger();
    wait_for_request();
  }

  /// After the last response: send FIN, then wait (briefly) for the client's, so unread request
  /// bytes do not turn the close into a reset that discards the response. Evictable meanwhile.
  void linger() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    buffer_.clear();
    enter_idle();
    stream_.expires_after(kLinger);
    drain();
  }
  void drain() {
    stream_.async_read_some(buffer_.prepare(1024),
                            [self = shared_from_this()](beast::error_code ec, std::size_t) {
                              if (!ec && !self->closed_ && !self->shared_->stopped) {
                                return self->drain();  // discarded (not committed)
                              }
                              self->close(CloseReason::kNone);
                            });
  }

  std::shared_ptr<HttpServer::Shared> shared_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::optional<Response> response_;
  std::string peer_;
  std::uint32_t requests_ = 0;  ///< answered on this connection
  bool closed_ = false;
  Clock::time_point idle_since_ = Clock::now();
  std::optional<std::list<Session*>::iterator> idle_position_;  ///< set while in shared_->idle
};

/// Past max_connections: closes the connection idle longest, so a new one (a health check) gets
/// in. False if every connection is mid-request.
bool make_room(HttpServer::Shared& shared, const std::string& why) {
  if (shared.idle.empty()) return false;
  Session* victim = shared.idle.front();
  const auto idle_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(victim->idle_for()).count();
  shared.evicted_log.write(log::Level::kWarn,
                           "http: " + why + ", closed the connection idle longest (from " +
                               victim->peer() + ", idle " + std::to_string(idle_ms) + " ms)");
  victim->close(CloseReason::kEvicted);
  return true;
}

void do_accept(const std::shared_ptr<HttpServer::Shared>& shared);

/// A failed accept: errors of that one connection are skipped; resource exhaustion (EMFILE,
/// ENFILE, ENOBUFS, ENOMEM) backs off (10 ms doubling to 1 s) instead of spinning, logged once
/// per burst, and accepting goes on.
void on_accept_error(const std::shared_ptr<HttpServer::Shared>& shared, beast::error_code ec) {
  shared->probe.accept_failed();
  if (ec == net::error::connection_aborted || ec == net::error::connection_reset ||
      ec == net::error::no_permission || ec.value() == EPROTO) {
    return do_accept(shared);
  }
  const bool first = shared->accept_failures++ == 0;
  const std::size_t open = shared->sessions.size();
  // Out of descriptors with idle connections open: the one idle longest gives its descriptor to
  // the waiting client (a health check, likely), as the cap would.
  const bool out_of_descriptors = ec.value() == EMFILE || ec.value() == ENFILE;
  if (first) {
    shared->accept_failing_since = Clock::now();
    shared->accept_backoff = std::chrono::milliseconds(10);
    log::warn({}, "http: accept failed: " + ec.message() +
                      "; retrying with backoff until it succeeds (" + std::to_string(open) +
                      " connection(s) open; fix: raise the open files limit, LimitNOFILE= in "
                      "the systemd unit, or lower http.max_connections)");
  } else {
    shared->accept_backoff = std::min(shared->accept_backoff * 2, std::chrono::milliseconds(1000));
  }
  if (out_of_descriptors && make_room(*shared, "out of file descriptors (" + ec.message() + ")")) {
    return do_accept(shared);
  }
  shared->retry_timer.expires_after(shared->accept_backoff);
  shared->retry_timer.async_wait([shared](beast::error_code wait_ec) {
    if (!wait_ec && !shared->stopped) do_accept(shared);
  });
}

void on_accept(const std::shared_ptr<HttpServer::Shared>& shared, beast::error_code ec,
               tcp::socket socket) {
  if (shared->stopped || ec == net::error::operation_aborted) return;
  if (ec) return on_accept_error(shared, ec);
  if (shared->accept_failures > 0) {
    const auto failing_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                Clock::now() - shared->accept_failing_since)
                                .count();
    log::info({}, "http: accepting again after " + std::to_string(shared->accept_failures) +
                      " failed accept(s) over " + std::to_string(failing_ms) + " ms");
    shared->accept_failures = 0;
  }
  if (shared->sessions.size() >= shared->options.max_connections) {
    const std::string cap = "connection cap " + std::to_string(shared->options.max_connections) +
                            " (http.max_connections) reached";
    if (!make_room(*shared, cap)) {
      beast::error_code peer_ec;
      const auto peer = socket.remote_endpoint(peer_ec);
      shared->refused_log.write(
          log::Level::kWarn,
          "http: " + cap + " and every connection is mid-request, refused the connection from " +
              (peer_ec ? std::string("an unknown peer") : describe(peer)));
      shared->probe.count(CloseReason::kRefused);
      beast::error_code ignored;
      socket.close(ignored);
      return do_accept(shared);
    }
  }
  std::make_shared<Session>(shared, std::move(socket))->start();
  do_accept(shared);
}

void do_accept(const std::shared_ptr<HttpServer::Shared>& shared) {
  shared->acceptor.async_accept([shared](beast::error_code ec, tcp::socket socket) {
    on_accept(shared, ec, std::move(socket));
  });
}

void do_stop(const std::shared_ptr<HttpServer::Shared>& shared) {
  shared->stopped = true;
  beast::error_code ignored;
  shared->acceptor.close(ignored);
  shared->retry_timer.cancel();
  std::vector<std::shared_ptr<Session>> open;
  for (auto& [ptr, weak] : shared->sessions) {
    if (auto session = weak.lock()) open.push_back(std::move(session));
  }
  for (auto& session : open) session->close(CloseReason::kNone);
}

Error listen_error(const std::string& host_port, const std::string& what) {
  return Error::config("http.listen: " + what + " in \"" + host_port +
                       "\" (expected host:port, e.g. 127.0.0.1:9187, [::1]:9187 or :9187)");
}

/// http.listen's "host:port" as an endpoint; a host name is resolved once, here.
Result<tcp::endpoint> parse_listen(net::io_context& io, const std::string& host_port) {
  std::string host;
  std::string_view port_text;
  if (!host_port.empty() && host_port.front() == '[') {
    const auto close = host_port.find("]:");
    if (close == std::string::npos) return listen_error(host_port, "missing \"]:port\"");
    host = host_port.substr(1, close - 1);
    port_text = std::string_view(host_port).substr(close + 2);
  } else {
    const auto colon = host_port.rfind(':');
    if (colon == std::string::npos) return listen_error(host_port, "missing \":port\"");
    host = host_port.substr(0, colon);
    if (host.find(':') != std::string::npos) {
      return listen_error(host_port, "IPv6 address must be in brackets");
    }
    port_text = std::string_view(host_port).substr(colon + 1);
  }
  unsigned port = 0;
  const auto [end, parse_ec] =
      std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (port_text.empty() || parse_ec != std::errc() || end != port_text.data() + port_text.size() ||
      port > 65535) {
    return listen_error(host_port, "bad port \"" + std::string(port_text) + "\"");
  }
  if (host.empty()) host = "0.0.0.0";

  beast::error_code ec;
  const auto address = net::ip::make_address(host, ec);
  if (!ec) return tcp::endpoint(address, static_cast<std::uint16_t>(port));
  tcp::resolver resolver(io);
  auto results = resolver.resolve(host, std::to_string(port), tcp::resolver::numeric_service, ec);
  if (ec || results.empty()) {
    return listen_error(host_port, "cannot resolve host \"" + host + "\"" +
                                       (ec ? " (" + ec.message() + ")" : std::string()));
  }
  return results.begin()->endpoint();
}

/// What to do about a failed bind, by its cause.
std::string bind_fix(const beast::error_code& ec, const tcp::endpoint& endpoint) {
  const std::string port = std::to_string(endpoint.port());
  if (ec == net::error::address_in_use) {
    return "fix: stop the process listening there (`ss -ltnp 'sport = :" + port +
           "'` names it; another tributary?), or set http.listen to a free port, or to \"\" to "
           "turn the endpoint off";
  }
  if (ec == net::error::access_denied) {
    return "fix: use a port above 1023, or grant CAP_NET_BIND_SERVICE, or set http.listen to \"\"";
  }
  if (ec == boost::system::errc::address_not_available) {
    return "fix: set http.listen to an address of this machine, e.g. 127.0.0.1:" + port;
  }
  return "fix: set http.listen to an address and port this machine can listen on, or to \"\"";
}

/// Opens, binds and listens; on failure the acceptor is closed and the error names the step,
/// the address, the OS error and the fix.
Result<void> bind_acceptor(tcp::acceptor& acceptor, const tcp::endpoint& endpoint) {
  beast::error_code ec;
  const auto fail = [&](const char* step) -> Result<void> {
    beast::error_code ignored;
    acceptor.close(ignored);
    return Error::config("http.listen: cannot " + std::string(step) + " " + describe(endpoint) +
                         ": " + ec.message() + " (" + bind_fix(ec, endpoint) + ")");
  };
  acceptor.open(endpoint.protocol(), ec);
  if (ec) return fail("open socket for");
  acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (ec) return fail("configure");
  acceptor.bind(endpoint, ec);
  if (ec) return fail("bind");
  acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) return fail("listen on");
  return {};
}

}  // namespace

HttpServer::HttpServer(net::io_context& io, Metrics& metrics, HealthState& health)
    : HttpServer(io, metrics, health, Options{}) {}

HttpServer::HttpServer(net::io_context& io, Metrics& metrics, HealthState& health, Options options)
    : io_(io), shared_(std::make_shared<Shared>(io, metrics, health, options)) {}

HttpServer::~HttpServer() {
  do_stop(shared_);
}

Result<void> HttpServer::listen(const std::string& host_port) {
  if (shared_->acceptor.is_open()) return Error::config("http.listen: already listening");
  if (shared_->stopped) return Error::config("http.listen: server stopped");
  auto endpoint = parse_listen(io_, host_port);
  if (!endpoint.ok()) return endpoint.error();
  if (auto bound = bind_acceptor(shared_->acceptor, *endpoint); !bound.ok()) return bound;
  beast::error_code ec;
  const auto local = shared_->acceptor.local_endpoint(ec);
  if (ec) {
    shared_->acceptor.close(ec);
    return Error::config("http.listen: cannot query " + describe(*endpoint) + ": " + ec.message());
  }
  shared_->port.store(local.port());
  do_accept(shared_);
  return {};
}

std::uint16_t HttpServer::port() const {
  return shared_->port.load();
}

void HttpServer::stop() {
  if (io_.get_executor().running_in_this_thread()) {
    do_stop(shared_);
  } else {
    net::post(io_, [shared = shared_] { do_stop(shared); });
  }
}

Result<void> probe_listen(const std::string& host_port) {
  net::io_context io;
  auto endpoint = parse_listen(io, host_port);
  if (!endpoint.ok()) return endpoint.error();
  tcp::acceptor acceptor(io);
  return bind_acceptor(acceptor, *endpoint);
}

}  // namespace tributary::metrics
