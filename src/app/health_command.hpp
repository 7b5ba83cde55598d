// `tributary health`: one GET of a running daemon's /healthz or /readyz, for container health
// checks in images that have no curl.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "base/result.hpp"

namespace tributary::app {

/// Where `health` sends its GET.
struct HealthTarget {
  std::string host;  ///< an address or a name; an IPv6 address without brackets
  std::string port;
  std::string path;  ///< starts with '/'
};

/// "http://host[:port][/path]" (IPv6 in brackets; port 80 and path "/" when left out). A config
/// error naming the expected form otherwise (https is refused: the endpoint serves plain HTTP).
Result<HealthTarget> health_target_from_url(std::string_view url);

/// http.listen's "host:port" and /healthz (/readyz when `ready`). A wildcard or empty host
/// (0.0.0.0, [::], ":9187") is contacted on loopback. A config error when the endpoint is off
/// ("") or its port is 0 (a new free port at every start, which no other process can know).
Result<HealthTarget> health_target_from_listen(const std::string& listen, bool ready);

/// How long `health` waits for the whole exchange (resolve, connect, request, response).
inline constexpr std::chrono::milliseconds kHealthTimeout{5000};

/// GETs the target. Returns 0 when it answers 200 (one line on stdout), 1 otherwise with one line
/// on stderr saying what failed: no connection (and why), no answer within `timeout`, or the
/// status and the start of the body.
int health(const HealthTarget& target, std::chrono::milliseconds timeout = kHealthTimeout);

}  // namespace tributary::app
