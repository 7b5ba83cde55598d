// HttpServer: real TCP on 127.0.0.1, the server's io_context on a thread, every wait bounded.
#include "metrics/http_server.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <future>
#include <optional>
#include <string>
#include <thread>

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
  explicit Client(std::uint16_t port) : stream_(io_) {
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
  CHECK(reply->body == "not ready: no pipeline started\n");

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
  options.io_timeout = 200ms;
  RunningServer s(options);
  Client client(s.server.port());
  REQUIRE(client.connected());
  CHECK(client.closed_by_peer());  // within the client's 5 s deadline
}

TEST_CASE("http: stop() closes the listener and open connections", "[http]") {
  RunningServer s;  // io_timeout 10 s: only stop() can end the idle connection in time
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
