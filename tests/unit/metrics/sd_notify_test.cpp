// sd_notify: datagrams to a temporary unix socket (path and abstract), watchdog variables.
#include "app/sd_notify.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string>

using namespace std::chrono_literals;

namespace {

/// A bound AF_UNIX datagram socket standing in for systemd's notify socket.
class NotifySocket {
 public:
  /// `name` starting with '@' is abstract; otherwise a filesystem path.
  explicit NotifySocket(const std::string& name) : name_(name) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd_ >= 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    REQUIRE(name.size() < sizeof(addr.sun_path));
    std::memcpy(addr.sun_path, name.data(), name.size());
    if (name[0] == '@') addr.sun_path[0] = '\0';
    const auto length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name.size() +
                                               (name[0] == '@' ? 0 : 1));
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), length) == 0);
  }
  ~NotifySocket() {
    ::close(fd_);
    if (name_[0] != '@') ::unlink(name_.c_str());
  }

  /// The next datagram, or nullopt if none arrives before the deadline.
  std::optional<std::string> receive(std::chrono::milliseconds deadline = 5000ms) {
    pollfd pfd{fd_, POLLIN, 0};
    if (::poll(&pfd, 1, static_cast<int>(deadline.count())) != 1) return std::nullopt;
    char buffer[4096];
    const auto n = ::recv(fd_, buffer, sizeof buffer, 0);
    if (n < 0) return std::nullopt;
    return std::string(buffer, static_cast<std::size_t>(n));
  }

 private:
  std::string name_;
  int fd_ = -1;
};

struct TempDir {
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "tributary-sd-XXXXXX").string();
    REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    path = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path, ignored);
  }
  std::filesystem::path path;
};

struct EnvGuard {
  ~EnvGuard() {
    ::unsetenv("NOTIFY_SOCKET");
    ::unsetenv("WATCHDOG_USEC");
    ::unsetenv("WATCHDOG_PID");
  }
};

}  // namespace

TEST_CASE("notify sends the state to a filesystem socket", "[sd_notify]") {
  EnvGuard env;
  TempDir dir;
  const auto path = (dir.path / "notify").string();
  NotifySocket socket(path);
  ::setenv("NOTIFY_SOCKET", path.c_str(), 1);

  tributary::app::notify("READY=1");
  CHECK(socket.receive() == "READY=1");
  tributary::app::notify("STATUS=streaming\nWATCHDOG=1");
  CHECK(socket.receive() == "STATUS=streaming\nWATCHDOG=1");
}

TEST_CASE("notify sends the state to an abstract socket", "[sd_notify]") {
  EnvGuard env;
  const std::string name = "@tributary-test-" + std::to_string(::getpid());
  NotifySocket socket(name);
  ::setenv("NOTIFY_SOCKET", name.c_str(), 1);

  tributary::app::notify("STOPPING=1");
  CHECK(socket.receive() == "STOPPING=1");
}

TEST_CASE("notify without or with an unusable NOTIFY_SOCKET is a no-op", "[sd_notify]") {
  EnvGuard env;
  ::unsetenv("NOTIFY_SOCKET");
  tributary::app::notify("READY=1");
  ::setenv("NOTIFY_SOCKET", "relative/path", 1);
  tributary::app::notify("READY=1");
  ::setenv("NOTIFY_SOCKET", "/nonexistent/tributary/notify", 1);
  tributary::app::notify("READY=1");
  SUCCEED("no crash, no exception");
}

TEST_CASE("watchdog_interval reads WATCHDOG_USEC for this process", "[sd_notify]") {
  EnvGuard env;
  using tributary::app::watchdog_interval;
  ::unsetenv("WATCHDOG_USEC");
  CHECK_FALSE(watchdog_interval());

  ::setenv("WATCHDOG_USEC", "30000000", 1);
  CHECK(watchdog_interval() == std::chrono::microseconds(30'000'000));

  ::setenv("WATCHDOG_PID", std::to_string(::getpid()).c_str(), 1);
  CHECK(watchdog_interval() == std::chrono::microseconds(30'000'000));

  ::setenv("WATCHDOG_PID", std::to_string(::getpid() + 1).c_str(), 1);
  CHECK_FALSE(watchdog_interval());

  ::unsetenv("WATCHDOG_PID");
  for (const char* bad : {"", "0", "-5", "12abc", "abc"}) {
    ::setenv("WATCHDOG_USEC", bad, 1);
    INFO(bad);
    CHECK_FALSE(watchdog_interval());
  }
}
