// HttpServer: Beast sessions on one io_context thread; no handler blocks.
#include "metrics/http_server.hpp"

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <charconv>
#include <optional>
#include <sstream>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/log.hpp"

namespace tributary::metrics {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

namespace {
class Session;
}  // namespace

struct HttpServer::Shared {
  Shared(net::io_context& io, Metrics& m, HealthState& h, Options o)
      : metrics(m), health(h), options(o), acceptor(io), retry_timer(io) {}

  Metrics& metrics;
  HealthState& health;
  const Options options;
  tcp::acceptor acceptor;
  net::steady_timer retry_timer;  // backoff after a failed accept (EMFILE...)
  std::atomic<std::uint16_t> port{0};
  // Below: io_context thread only.
  bool stopped = false;
  std::unordered_map<Session*, std::weak_ptr<Session>> sessions;
};

namespace {

constexpr std::string_view kServerHeader = "tributary/" TRIBUTARY_VERSION;
constexpr std::string_view kMetricsContentType = "text/plain; version=0.0.4; charset=utf-8";
constexpr std::string_view kTextContentType = "text/plain; charset=utf-8";
constexpr std::string_view kJsonContentType = "application/json";

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

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(std::shared_ptr<HttpServer::Shared> shared, tcp::socket socket)
      : shared_(std::move(shared)),
        stream_(std::move(socket)),
        buffer_(static_cast<std::size_t>(shared_->options.header_limit) +
                static_cast<std::size_t>(shared_->options.body_limit) + 1024) {}

  ~Session() { shared_->sessions.erase(this); }

  void start() {
    shared_->sessions.emplace(this, weak_from_this());
    do_read();
  }

  void close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.close();
  }

 private:
  void do_read() {
    parser_.emplace();
    parser_->header_limit(shared_->options.header_limit);
    parser_->body_limit(shared_->options.body_limit);
    stream_.expires_after(shared_->options.io_timeout);
    http::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
  }

  void on_read(beast::error_code ec) {
    if (shared_->stopped) return close();
    if (ec == http::error::end_of_stream) {
      beast::error_code ignored;
      stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
      return;
    }
    if (ec == http::error::header_limit) {
      return reply_and_close(http::status::request_header_fields_too_large, "header too large\n");
    }
    if (ec == http::error::body_limit || ec == http::error::buffer_overflow) {
      return reply_and_close(http::status::payload_too_large, "body too large\n");
    }
    if (ec == http::error::partial_message) return close();
    if (ec && ec.category() == http::make_error_code(http::error::bad_target).category()) {
      return reply_and_close(http::status::bad_request, "bad request\n");
    }
    if (ec) return close();  // timeout, reset, aborted
    handle(parser_->release());
  }

  void handle(const Request& req) {
    std::string_view path(req.target().data(), req.target().size());
    if (auto q = path.find('?'); q != std::string_view::npos) path = path.substr(0, q);

    const bool known = path == "/metrics" || path == "/healthz" || path == "/readyz";
    const bool head = req.method() == http::verb::head;
    Response res;
    if (!known) {
      res = make_response(req.version(), http::status::not_found, kTextContentType,
                          "not found; try /metrics, /healthz, /readyz\n");
    } else if (req.method() != http::verb::get && !head) {
      res = make_response(req.version(), http::status::method_not_allowed, kTextContentType,
                          "method not allowed\n");
      res.set(http::field::allow, "GET, HEAD");
    } else if (path == "/metrics") {
      res = make_response(req.version(), http::status::ok, kMetricsContentType,
                          shared_->metrics.serialize());
    } else if (path == "/healthz") {
      res = make_response(req.version(), http::status::ok, kTextContentType, "ok\n");
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
    res.keep_alive(req.keep_alive());
    res.prepare_payload();
    if (head) res.body().clear();  // Content-Length stays that of the GET body
    write(std::move(res));
  }

  void reply_and_close(http::status status, std::string body) {
    Response res = make_response(11, status, kTextContentType, std::move(body));
    res.keep_alive(false);
    res.prepare_payload();
    write(std::move(res));
  }

  void write(Response res) {
    response_.emplace(std::move(res));
    stream_.expires_after(shared_->options.io_timeout);
    http::async_write(
        stream_, *response_,
        [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_write(ec); });
  }

  void on_write(beast::error_code ec) {
    const bool keep_alive = response_->keep_alive();
    response_.reset();
    if (ec || shared_->stopped) return close();
    if (!keep_alive) {
      beast::error_code ignored;
      stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
      return;  // the socket closes when the last handler releases this session
    }
    do_read();
  }

  std::shared_ptr<HttpServer::Shared> shared_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::optional<Response> response_;
};

void do_accept(const std::shared_ptr<HttpServer::Shared>& shared);

void on_accept(const std::shared_ptr<HttpServer::Shared>& shared, beast::error_code ec,
               tcp::socket socket) {
  if (shared->stopped || ec == net::error::operation_aborted) return;
  if (ec) {
    log::warn({}, "http: accept failed: " + ec.message());
    shared->retry_timer.expires_after(std::chrono::milliseconds(100));
    shared->retry_timer.async_wait([shared](beast::error_code wait_ec) {
      if (!wait_ec && !shared->stopped) do_accept(shared);
    });
    return;
  }
  if (shared->sessions.size() >= shared->options.max_connections) {
    beast::error_code ignored;
    socket.close(ignored);
  } else {
    std::make_shared<Session>(shared, std::move(socket))->start();
  }
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
  for (auto& session : open) session->close();
}

Error listen_error(const std::string& host_port, const std::string& what) {
  return Error::config("http.listen: " + what + " in \"" + host_port +
                       "\" (expected host:port, e.g. 127.0.0.1:9187, [::1]:9187 or :9187)");
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
  tcp::endpoint endpoint;
  const auto address = net::ip::make_address(host, ec);
  if (!ec) {
    endpoint = tcp::endpoint(address, static_cast<std::uint16_t>(port));
  } else {
    // A host name: resolved once, at startup.
    tcp::resolver resolver(io_);
    auto results = resolver.resolve(host, std::to_string(port), tcp::resolver::numeric_service, ec);
    if (ec || results.empty()) {
      return listen_error(host_port, "cannot resolve host \"" + host + "\"" +
                                         (ec ? " (" + ec.message() + ")" : std::string()));
    }
    endpoint = results.begin()->endpoint();
  }

  auto& acceptor = shared_->acceptor;
  const auto fail = [&](const char* step) -> Result<void> {
    beast::error_code ignored;
    acceptor.close(ignored);
    std::ostringstream where;
    where << endpoint;
    return Error::config("http.listen: cannot " + std::string(step) + " " + where.str() + ": " +
                         ec.message());
  };
  acceptor.open(endpoint.protocol(), ec);
  if (ec) return fail("open socket for");
  acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (ec) return fail("configure");
  acceptor.bind(endpoint, ec);
  if (ec) return fail("bind");
  acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) return fail("listen on");
  const auto local = acceptor.local_endpoint(ec);
  if (ec) return fail("query");
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

}  // namespace tributary::metrics
