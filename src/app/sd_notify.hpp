// sd_notify(3) without libsystemd: readiness, status and watchdog messages to systemd.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

namespace tributary::app {

/// Sends `state` (e.g. "READY=1", "STATUS=streaming", "WATCHDOG=1", "STOPPING=1"; several
/// assignments separated by '\n') as one datagram to $NOTIFY_SOCKET: a filesystem path, or an
/// abstract socket when it starts with '@'. No-op when the variable is unset or unusable; errors
/// are ignored (systemd notification is best effort). Thread-safe.
void notify(std::string_view state);

/// Whether $NOTIFY_SOCKET names a socket notify() can send to (so periodic STATUS= work is worth
/// doing).
bool notify_enabled();

/// The watchdog period from $WATCHDOG_USEC when it is meant for this process ($WATCHDOG_PID unset
/// or equal to getpid()); nullopt otherwise. Send "WATCHDOG=1" at about half of it.
std::optional<std::chrono::microseconds> watchdog_interval();

}  // namespace tributary::app
