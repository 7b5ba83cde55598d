// sd_notify-equivalent: one AF_UNIX datagram to $NOTIFY_SOCKET.
#include "app/sd_notify.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>

namespace tributary::app {
namespace {

bool parse_u64(const char* text, uint64_t& out) {
  if (text == nullptr || *text == '\0') return false;
  const char* end = text + std::strlen(text);
  const auto [ptr, ec] = std::from_chars(text, end, out);
  return ec == std::errc() && ptr == end;
}

}  // namespace

bool notify_enabled() {
  const char* socket_path = std::getenv("NOTIFY_SOCKET");
  if (socket_path == nullptr) return false;
  const std::string_view path(socket_path);
  // e.g. vsock: unsupported
  return path.size() >= 2 && path.size() <= sizeof(sockaddr_un{}.sun_path) &&
         (path[0] == '/' || path[0] == '@');
}

void notify(std::string_view state) {
  if (!notify_enabled()) return;
  const std::string_view path(std::getenv("NOTIFY_SOCKET"));

  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.data(), path.size());
  socklen_t length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size());
  if (path[0] == '@') {
    addr.sun_path[0] = '\0';  // abstract namespace: the name is exactly the remaining bytes
  } else if (path.size() < sizeof(addr.sun_path)) {
    ++length;  // include the terminating NUL of a filesystem path
  }

  const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return;
  (void)::sendto(fd, state.data(), state.size(), MSG_NOSIGNAL, reinterpret_cast<sockaddr*>(&addr),
                 length);
  ::close(fd);
}

std::optional<std::chrono::microseconds> watchdog_interval() {
  uint64_t usec = 0;
  if (!parse_u64(std::getenv("WATCHDOG_USEC"), usec) || usec == 0) return std::nullopt;
  if (const char* pid_text = std::getenv("WATCHDOG_PID"); pid_text != nullptr && *pid_text) {
    uint64_t pid = 0;
    if (!parse_u64(pid_text, pid) || pid != static_cast<uint64_t>(::getpid())) return std::nullopt;
  }
  if (usec > static_cast<uint64_t>(std::chrono::microseconds::max().count())) return std::nullopt;
  return std::chrono::microseconds(static_cast<std::chrono::microseconds::rep>(usec));
}

}  // namespace tributary::app
