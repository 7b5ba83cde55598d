// `tributary health`: a plain-socket HTTP GET with one deadline over the whole exchange.
#include "app/health_command.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <charconv>
#include <iostream>
#include <optional>

namespace tributary::app {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

/// The most of a response body `health` reads; /healthz and /readyz answer a few bytes.
constexpr std::size_t kBodyLimit = 64 * 1024;
/// The most of the body quoted in the one line of a failure.
constexpr std::size_t kQuotedBody = 200;

bool valid_port(std::string_view text) {
  unsigned port = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), port);
  return !text.empty() && ec == std::errc() && end == text.data() + text.size() && port <= 65535;
}

/// "host:port" or "[v6]:port" split; nullopt when malformed. `default_port` when there is none.
std::optional<HealthTarget> split_host_port(std::string_view text,
                                            std::optional<std::string_view> default_port) {
  HealthTarget target;
  std::string_view rest;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    target.host = std::string(text.substr(1, close - 1));
    rest = text.substr(close + 1);
  } else {
    const auto colon = text.find(':');
    target.host = std::string(text.substr(0, colon));
    rest = colon == std::string_view::npos ? std::string_view() : text.substr(colon);
  }
  if (rest.empty()) {
    if (!default_port) return std::nullopt;
    target.port = std::string(*default_port);
  } else {
    if (rest.front() != ':' || !valid_port(rest.substr(1))) return std::nullopt;
    target.port = std::string(rest.substr(1));
  }
  return target;
}

std::string host_port(const HealthTarget& target) {
  const bool v6 = target.host.find(':') != std::string::npos;
  return (v6 ? "[" + target.host + "]" : target.host) + ":" + target.port;
}

std::string url_of(const HealthTarget& target) {
  return "http://" + host_port(target) + target.path;
}

/// The start of a body on one line: control bytes as spaces, cut at kQuotedBody.
std::string one_line(std::string_view body) {
  std::string line;
  for (const char c : body.substr(0, kQuotedBody)) {
    line += static_cast<unsigned char>(c) < 0x20 || c == 0x7f ? ' ' : c;
  }
  while (!line.empty() && line.back() == ' ') line.pop_back();
  if (body.size() > kQuotedBody) line += "...";
  return line;
}

/// One GET on an io_context of its own; run_for bounds every step, name resolution included.
class Probe {
 public:
  explicit Probe(const HealthTarget& target) : target_(target), resolver_(io_), socket_(io_) {}

  int run(std::chrono::milliseconds timeout) {
    resolver_.async_resolve(target_.host, target_.port, tcp::resolver::numeric_service,
                            [this](beast::error_code ec, const tcp::resolver::results_type& found) {
                              if (ec) return finish("cannot resolve " + target_.host, ec);
                              connect(found);
                            });
    io_.run_for(timeout);
    if (!outcome_) {
      outcome_ = 1;
      std::cerr << "tributary health: " << url_of(target_) << ": no answer within "
                << timeout.count() << " ms (" << step_
                << "; is the daemon stuck, or is something else listening there?)\n";
    }
    return *outcome_;
  }

 private:
  void connect(const tcp::resolver::results_type& found) {
    step_ = "connecting";
    net::async_connect(socket_, found, [this](beast::error_code ec, const tcp::endpoint&) {
      if (ec) {
        return finish("cannot connect", ec,
                      " (is tributary running, with http.listen on this address?)");
      }
      request_.method(http::verb::get);
      request_.target(target_.path);
      request_.version(11);
      request_.set(http::field::host, host_port(target_));
      request_.set(http::field::user_agent, "tributary-health/" TRIBUTARY_VERSION);
      request_.set(http::field::connection, "close");
      step_ = "sending the request";
      http::async_write(socket_, request_, [this](beast::error_code write_ec, std::size_t) {
        if (write_ec) return finish("cannot send the request", write_ec);
        read();
      });
    });
  }

  void read() {
    step_ = "connected, waiting for the response";
    parser_.body_limit(kBodyLimit);
    http::async_read(socket_, buffer_, parser_, [this](beast::error_code ec, std::size_t) {
      if (ec == http::error::end_of_stream) {
        return finish("the connection closed before a response", {});
      }
      if (ec) return finish("no valid HTTP response", ec);
      const auto& response = parser_.get();
      const std::string status =
          std::to_string(response.result_int()) + " " + std::string(response.reason());
      const std::string body = one_line(response.body());
      if (response.result() == http::status::ok) {
        outcome_ = 0;
        std::cout << url_of(target_) << ": " << status << (body.empty() ? "" : ": " + body) << "\n";
      } else {
        outcome_ = 1;
        std::cerr << "tributary health: " << url_of(target_) << ": " << status
                  << (body.empty() ? "" : ": " + body) << "\n";
      }
      io_.stop();
    });
  }

  void finish(const std::string& what, beast::error_code ec, const std::string& hint = {}) {
    outcome_ = 1;
    std::cerr << "tributary health: " << url_of(target_) << ": " << what
              << (ec ? ": " + ec.message() : std::string()) << hint << "\n";
    io_.stop();
  }

  const HealthTarget& target_;
  net::io_context io_;
  tcp::resolver resolver_;
  tcp::socket socket_;
  http::request<http::empty_body> request_;
  beast::flat_buffer buffer_;
  http::response_parser<http::string_body> parser_;
  std::string step_ = "resolving " + target_.host;
  std::optional<int> outcome_;
};

}  // namespace

Result<HealthTarget> health_target_from_url(std::string_view url) {
  constexpr std::string_view kScheme = "http://";
  const auto form = [&](const std::string& what) {
    return Error::config("--url: " + what + " in \"" + std::string(url) +
                         "\" (expected http://host:port/path, e.g. http://127.0.0.1:9187/healthz)");
  };
  if (url.rfind("https://", 0) == 0) {
    return form("https is not served (the endpoint is plain HTTP; put TLS in front of it)");
  }
  if (url.rfind(kScheme, 0) != 0) return form("not an http:// URL");
  const std::string_view rest = url.substr(kScheme.size());
  const auto slash = rest.find('/');
  auto target = split_host_port(rest.substr(0, slash), "80");
  if (!target || target->host.empty()) return form("bad host or port");
  target->path = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  return *target;
}

Result<HealthTarget> health_target_from_listen(const std::string& listen, bool ready) {
  if (listen.empty()) {
    return Error::config(
        "http.listen is \"\" (endpoint off): health needs the HTTP endpoint; set http.listen, "
        "e.g. 127.0.0.1:9187, or pass --url http://host:port/healthz");
  }
  auto target = split_host_port(listen, std::nullopt);
  if (!target) {
    return Error::config("http.listen: cannot read \"" + listen +
                         "\" (expected host:port, e.g. 127.0.0.1:9187, [::1]:9187 or :9187)");
  }
  if (target->port == "0") {
    return Error::config("http.listen \"" + listen +
                         "\" has port 0 (a new free port at every start): health cannot know it; "
                         "set a fixed port, or pass --url http://host:port/healthz");
  }
  // A wildcard listens on every address; loopback is one that always answers.
  if (target->host.empty() || target->host == "0.0.0.0") target->host = "127.0.0.1";
  boost::system::error_code ec;
  const auto address = net::ip::make_address(target->host, ec);
  if (!ec && address.is_v6() && address.is_unspecified()) target->host = "::1";
  target->path = ready ? "/readyz" : "/healthz";
  return *target;
}

int health(const HealthTarget& target, std::chrono::milliseconds timeout) {
  return Probe(target).run(timeout);
}

}  // namespace tributary::app
