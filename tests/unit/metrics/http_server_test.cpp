// HttpServer: real TCP on 127.0.0.1, the server's io_context on a thread, every wait bounded.
#include "metrics/http_server.hpp"

#include <fcntl.h>
#include <sys/resource.h>

#include <algorithm>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

using tributary::ErrorKind;
using tributary::metrics::HealthState;
using tributary::metrics::HttpServer;
using tributary::metrics::Metrics;

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using namespace std::chrono_literals;

namespace {

constexpr auto kDeadline = 5s;

/// Runs a server on its own thread; stop() must make that thread's io_context run out of work.
struct RunningServer {
  explicit RunningServer(HttpServer::Options options = {}) : server(io, metrics, health, options) {
    auto listened = server.listen("127.0.0.1:0");
    REQUIRE(listened.ok());
    REQUIRE(server.port() != 0);
    std::packaged_task<void()> task([this] { io.run(); });
    finished = task.get_future();
    thread = std::thread(std::move(task));
  }
  ~RunningServer() {
    server.stop();
    if (finished.wait_for(kDeadline) != std::future_status::ready) io.stop();
    thread.join();
  }
  /// stop() and wait (bounded) for the io_context to return.
  bool stop_and_wait() {
    server.stop();
    return finished.wait_for(kDeadline) == std::future_status::ready;
  }

  net::io_context io;
  Metrics metrics;
  HealthState health;
  HttpServer server;
  std::future<void> finished;
  std::thread thread;
};

struct Reply {
  unsigned status = 0;
  std::string content_type;
  std::string body;
  bool keep_alive = false;
};

/// A blocking-looking client built on async operations with a deadline on each step.
class Client {
 public:
  explicit Client(std::uint16_t port) : stream_(io_) { connect(port); }
  /// Not connected yet (connect() later): the io_context's own descriptors are taken now.
  Client() : stream_(io_) {}

  void connect(std::uint16_t port) {
    beast::error_code result = net::error::would_block;
    stream_.expires_after(kDeadline);
    stream_.async_connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port),
                          [&](beast::error_code ec) { result = ec; });
    run();
    error_ = result;
  }

  bool connected() const { return !error_; }

  std::optional<Reply> get(const std::string& target, http::verb verb = http::verb::get,
                           bool keep_alive = true) {
    http::request<http::string_body> req{verb, target, 11};
    req.set(http::field::host, "127.0.0.1");
    req.keep_alive(keep_alive);
    req.prepare_payload();
    beast::error_code result = net::error::would_block;
    stream_.expires_after(kDeadline);
    http::async_write(stream_, req, [&](beast::error_code ec, std::size_t) { result = ec; });
    run();
    if (result) return std::nullopt;
    return read(verb == http::verb::head);
  }

  bool send_raw(const std::string& bytes) {
    beast::error_code result = net::error::would_block;
    stream_.expires_after(kDeadline);
    net::async_write(stream_, net::buffer(bytes),
                     [&](beast::error_code ec, std::size_t) { result = ec; });
    run();
    return !result;
  }

  std::optional<Reply> read(bool head = false) {
    http::response_parser<http::string_body> parser;
    parser.skip(head);
    beast::error_code result = net::error::would_block;
    stream_.expires_after(kDeadline);
    http::async_read(stream_, buffer_, parser,
                     [&](beast::error_code ec, std::size_t) { result = ec; });
    run();
    if (result) return std::nullopt;
    auto res = parser.release();
    return Reply{res.result_int(), std::string(res[http::field::content_type]), res.body(),
                 res.keep_alive()};
  }

  /// True if the server closed the connection (EOF) before the deadline.
  bool closed_by_peer() {
    beast::error_code result = net::error::would_block;
    char byte;
    stream_.expires_after(kDeadline);
    stream_.async_read_some(net::buffer(&byte, 1),
                            [&](beast::error_code ec, std::size_t) { result = ec; });
    run();
    return result == net::error::eof || result == net::error::connection_reset;
  }

 private:
  void run() {
    io_.restart();
    io_.run();  // returns when the operation completes or its deadline fires
  }

  net::io_context io_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  beast::error_code error_;
};

/// Waits (bounded) until the server's /metrics text holds `line` (a whole sample line).
bool wait_for_metric(RunningServer& s, const std::string& line) {
  const auto deadline = std::chrono::steady_clock::now() + kDeadline;
  while (std::chrono::steady_clock::now() < deadline) {
    const std::string text = "\n" + s.metrics.serialize();
    if (text.find("\n" + line + "\n") != std::string::npos) return true;
    std::this_thread::sleep_for(5ms);  // polling a condition, not a wait for time to pass
  }
  INFO("metrics:\n" << s.metrics.serialize());
  CHECK(false);
  return false;
}

/// Lowers RLIMIT_NOFILE's soft limit for a scope so that exactly one more descriptor can be
/// opened (holes below the highest open descriptor are filled first); restores it after.
class FileLimit {
 public:
  FileLimit() {
    REQUIRE(::getrlimit(RLIMIT_NOFILE, &saved_) == 0);
    int highest = 0;
    for (int fd = 0; fd < 4096; ++fd) {
      if (::fcntl(fd, F_GETFD) != -1) highest = fd;
    }
    for (int fd = 0; fd < highest; ++fd) {
      if (::fcntl(fd, F_GETFD) == -1) fillers_.push_back(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    }
    rlimit lowered = saved_;
    lowered.rlim_cur = static_cast<rlim_t>(highest + 2);  // free: highest + 1 only
    REQUIRE(::setrlimit(RLIMIT_NOFILE, &lowered) == 0);
  }
  ~FileLimit() {
    ::setrlimit(RLIMIT_NOFILE, &saved_);
    for (int fd : fillers_) ::close(fd);
  }
  FileLimit(const FileLimit&) = delete;
  FileLimit& operator=(const FileLimit&) = delete;

 private:
  rlimit saved_{};
  std::vector<int> fillers_;
};

std::optional<Reply> get(std::uint16_t port, const std::string& target,
                         http::verb verb = http::verb::get) {
  Client client(port);
  if (!client.connected()) return std::nullopt;
  return client.get(target, verb);
}

}  // namespace

TEST_CASE("http: /metrics serves the Prometheus text", "[http]") {
  RunningServer s;
  s.metrics.pipeline_probe("p1").event_emitted("public.users", 'c');
  auto reply = get(s.server.port(), "/metrics");
  REQUIRE(reply);
  CHECK(reply->status == 200);
  CHECK(reply->content_type == "text/plain; version=0.0.4; charset=utf-8");
  CHECK(
      reply->body.find(R"(tributary_events_total{op="c",pipeline="p1",table="public.users"} 1)") !=
      std::string::npos);
}

TEST_CASE("http: /healthz, 404 and 405", "[http]") {
  RunningServer s;
  auto health = get(s.server.port(), "/healthz");
  REQUIRE(health);
  CHECK(health->status == 200);
  CHECK(health->body == "ok\n");

  auto missing = get(s.server.port(), "/nope");
  REQUIRE(missing);
  CHECK(missing->status == 404);

  auto post = get(s.server.port(), "/metrics", http::verb::post);
  REQUIRE(post);
  CHECK(post->status == 405);

  auto head = get(s.server.port(), "/healthz", http::verb::head);
  REQUIRE(head);
  CHECK(head->status == 200);
  CHECK(head->body.empty());

  auto query = get(s.server.port(), "/healthz?verbose=1");
  REQUIRE(query);
  CHECK(query->status == 200);
}

TEST_CASE("http: /readyz follows the health flags", "[http]") {
  RunningServer s;
  const auto port = s.server.port();

  auto reply = get(port, "/readyz");
  REQUIRE(reply);
  CHECK(reply->status == 503);
  CHECK(reply->body.rfind("not ready: ", 0) == 0);

  s.health.set_source_connected("p1", true);
  s.health.set_kafka_connected("p1", true);
  s.health.set_snapshotting("p1", true);
  reply = get(port, "/readyz");
  REQUIRE(reply);
  CHECK(reply->status == 200);
  CHECK(reply->content_type == "application/json");
  CHECK(reply->body.find(R"("ready":true)") != std::string::npos);
  CHECK(reply->body.find(R"("p1":{"state":"snapshotting")") != std::string::npos);

  s.health.set_kafka_connected("p1", false);
  reply = get(port, "/readyz");
  REQUIRE(reply);
  CHECK(reply->status == 503);
  CHECK(reply->body.find("pipeline 'p1': kafka not connected") != std::string::npos);
}

TEST_CASE("http: keep-alive serves several requests on one connection", "[http]") {
  RunningServer s;
  Client client(s.server.port());
  REQUIRE(client.connected());
  for (const char* target : {"/healthz", "/metrics", "/nope", "/healthz"}) {
    auto reply = client.get(target);
    REQUIRE(reply);
    CHECK(reply->keep_alive);
  }
  auto last = client.get("/healthz", http::verb::get, /*keep_alive=*/false);
  REQUIRE(last);
  CHECK(last->status == 200);
  CHECK_FALSE(last->keep_alive);
  CHECK(client.closed_by_peer());
}

TEST_CASE("http: oversized headers are refused and the connection closed", "[http]") {
  HttpServer::Options options;
  options.header_limit = 1024;
  RunningServer s(options);
  Client client(s.server.port());
  REQUIRE(client.connected());
  REQUIRE(client.send_raw("GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(4096, 'a') +
                          "\r\n\r\n"));
  auto reply = client.read();
  REQUIRE(reply);
  CHECK(reply->status == 431);
  CHECK(client.closed_by_peer());
}

TEST_CASE("http: garbage gets 400", "[http]") {
  RunningServer s;
  Client client(s.server.port());
  REQUIRE(client.connected());
  REQUIRE(client.send_raw("NOT HTTP AT ALL\r\n\r\n"));
  auto reply = client.read();
  REQUIRE(reply);
  CHECK(reply->status == 400);
}

TEST_CASE("http: idle connections time out", "[http]") {
  HttpServer::Options options;
  options.idle_timeout = 200ms;
  RunningServer s(options);
  Client never_sends(s.server.port());
  REQUIRE(never_sends.connected());
  CHECK(never_sends.closed_by_peer());  // within the client's 5 s deadline

  Client between_requests(s.server.port());
  REQUIRE(between_requests.connected());
  REQUIRE(between_requests.get("/healthz"));
  CHECK(between_requests.closed_by_peer());
  CHECK(wait_for_metric(s, R"(tributary_http_connections_closed_total{reason="idle_timeout"} 2)"));
  CHECK(wait_for_metric(s, "tributary_http_connections 0"));
}

TEST_CASE("http: a request not whole within request_timeout is cut (slowloris)", "[http]") {
  HttpServer::Options options;
  options.request_timeout = 300ms;
  options.idle_timeout = 60s;  // only the request timeout can end it within the 5 s deadline
  RunningServer s(options);
  Client slow(s.server.port());
  REQUIRE(slow.connected());
  REQUIRE(slow.send_raw("GET /healthz HTTP/1.1\r\nHost: x\r\n"));  // the blank line never comes
  CHECK(slow.closed_by_peer());
  CHECK(
      wait_for_metric(s, R"(tributary_http_connections_closed_total{reason="request_timeout"} 1)"));
}

TEST_CASE("http: past max_connections the connection idle longest is closed", "[http]") {
  HttpServer::Options options;
  options.max_connections = 4;
  RunningServer s(options);
  const auto port = s.server.port();
  std::vector<std::unique_ptr<Client>> idle;
  for (int i = 0; i < 4; ++i) {
    idle.push_back(std::make_unique<Client>(port));
    REQUIRE(idle.back()->connected());
    // Accepted in this order, so the first is the one idle longest.
    REQUIRE(wait_for_metric(s, "tributary_http_connections " + std::to_string(i + 1)));
  }
  // Each health client stays connected, so each new one finds the server full.
  std::vector<std::unique_ptr<Client>> health_clients;
  for (int round = 0; round < 3; ++round) {
    health_clients.push_back(std::make_unique<Client>(port));
    auto health = health_clients.back()->get("/healthz");
    REQUIRE(health);
    CHECK(health->status == 200);
  }
  CHECK(idle[0]->closed_by_peer());
  CHECK(wait_for_metric(s, R"(tributary_http_connections_closed_total{reason="evicted"} 3)"));
  // The last idle one is still served (it was not among the three longest idle).
  auto reply = idle[3]->get("/healthz");
  REQUIRE(reply);
  CHECK(reply->status == 200);
}

TEST_CASE("http: past max_connections with every connection mid-request, new ones are refused",
          "[http]") {
  HttpServer::Options options;
  options.max_connections = 2;
  options.request_timeout = 30s;
  RunningServer s(options);
  const auto port = s.server.port();
  Client busy1(port), busy2(port);
  REQUIRE(busy1.send_raw("GET /healthz HTTP/1.1\r\n"));
  REQUIRE(busy2.send_raw("GET /healthz HTTP/1.1\r\n"));
  REQUIRE(wait_for_metric(s, "tributary_http_connections 2"));
  Client refused(port);
  REQUIRE(refused.connected());  // the kernel completes the handshake; the server closes it
  CHECK(refused.closed_by_peer());
  CHECK(wait_for_metric(s, R"(tributary_http_connections_closed_total{reason="refused"} 1)"));
  // The busy ones were not touched: they finish their requests.
  REQUIRE(busy1.send_raw("Host: x\r\n\r\n"));
  auto reply = busy1.read();
  REQUIRE(reply);
  CHECK(reply->status == 200);
}

TEST_CASE("http: out of file descriptors, the connection idle longest makes room", "[http]") {
  HttpServer::Options options;
  options.max_connections = 1000;  // the descriptor limit binds first
  RunningServer s(options);
  const auto port = s.server.port();
  std::vector<std::unique_ptr<Client>> idle;
  for (int i = 0; i < 3; ++i) {
    idle.push_back(std::make_unique<Client>(port));
    REQUIRE(idle.back()->connected());
    REQUIRE(wait_for_metric(s, "tributary_http_connections " + std::to_string(i + 1)));
  }
  Client late;
  {
    // Room for exactly one more descriptor: the late client's socket; the server's accept then
    // fails with EMFILE.
    FileLimit limit;
    late.connect(port);
    REQUIRE(late.connected());
    auto reply = late.get("/healthz");
    REQUIRE(reply);
    CHECK(reply->status == 200);
  }
  CHECK(idle[0]->closed_by_peer());
  const std::string text = s.metrics.serialize();
  CHECK(text.find(R"(tributary_http_connections_closed_total{reason="evicted"} 0)") ==
        std::string::npos);
  CHECK(text.find("tributary_http_accept_errors_total 0\n") == std::string::npos);
}

TEST_CASE("http: stop() closes the listener and open connections", "[http]") {
  RunningServer s;  // idle timeout 15 s: only stop() can end the idle connection in time
  const auto port = s.server.port();
  Client idle(port);
  REQUIRE(idle.connected());
  REQUIRE(idle.get("/healthz"));
  CHECK(s.stop_and_wait());
  CHECK(idle.closed_by_peer());
  Client late(port);
  CHECK_FALSE(late.connected());
}

TEST_CASE("http: listen errors are config errors", "[http]") {
  net::io_context io;
  Metrics metrics;
  HealthState health;
  for (const char* bad : {"", "localhost", "127.0.0.1:", "127.0.0.1:http", "127.0.0.1:70000",
                          "::1:80", "[::1:80", "no-such-host.invalid:80"}) {
    HttpServer server(io, metrics, health);
    auto result = server.listen(bad);
    INFO(bad);
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().kind == ErrorKind::kConfig);
    CHECK(result.error().message.rfind("http.listen: ", 0) == 0);
  }

  HttpServer first(io, metrics, health);
  REQUIRE(first.listen("127.0.0.1:0").ok());
  HttpServer second(io, metrics, health);
  auto in_use = second.listen("127.0.0.1:" + std::to_string(first.port()));
  REQUIRE_FALSE(in_use.ok());
  CHECK(in_use.error().kind == ErrorKind::kConfig);
  CHECK(in_use.error().message.find("cannot bind 127.0.0.1:") != std::string::npos);
  CHECK(second.port() == 0);

  CHECK_FALSE(first.listen("127.0.0.1:0").ok());  // already listening
}

TEST_CASE("http: host names and IPv6 brackets are accepted", "[http]") {
  net::io_context io;
  Metrics metrics;
  HealthState health;
  HttpServer by_name(io, metrics, health);
  auto result = by_name.listen("localhost:0");
  INFO((result.ok() ? std::string() : result.error().message));
  CHECK(result.ok());

  HttpServer v6(io, metrics, health);
  auto v6_result = v6.listen("[::1]:0");
  if (!v6_result.ok()) {
    WARN("IPv6 loopback unavailable: " << v6_result.error().message);
  } else {
    CHECK(v6.port() != 0);
  }
}
