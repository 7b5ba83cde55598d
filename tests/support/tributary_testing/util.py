"""Small shared helpers: deadlines, condition polling, free ports, process shutdown."""

import os
import random
import signal
import socket
import subprocess
import time


class Deadline:
    """A point in monotonic time; `remaining()` never goes below zero."""

    def __init__(self, seconds):
        self.seconds = seconds
        self.end = time.monotonic() + seconds

    def remaining(self):
        return max(0.0, self.end - time.monotonic())

    def expired(self):
        return time.monotonic() >= self.end


def wait_until(condition, timeout, what, interval=0.05, max_interval=0.5):
    """Polls `condition()` until it returns a truthy value (returned) or `timeout` seconds pass.

    Polling backs off from `interval` to `max_interval`. Raises TimeoutError naming `what`
    (a string or a zero-argument callable giving extra detail at the time of failure).
    """
    deadline = Deadline(timeout)
    delay = interval
    while True:
        result = condition()
        if result:
            return result
        if deadline.expired():
            detail = what() if callable(what) else what
            raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {detail}")
        time.sleep(min(delay, max(0.001, deadline.remaining())))
        delay = min(delay * 1.5, max_interval)


_PORTS = random.SystemRandom()  # not the `random` module's state: tests seed that, alike in every process


def _ephemeral_low():
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def free_port(host="127.0.0.1"):
    """A TCP port free right now (another process may take it before it is used: callers retry).

    Picked at random below the kernel's ephemeral range, where neither the outgoing connections of
    the tests running beside this one (ctest -j) nor their bind(0) can land between this call and
    the server's own bind (a JVM takes seconds to get there)."""
    high = _ephemeral_low()
    low = max(1024, high - 20000)
    for _ in range(100):
        port = _PORTS.randrange(low, high) if high - low >= 1000 else 0
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind((host, port))
            except OSError:
                continue
            return sock.getsockname()[1]
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def stop_process(proc, sig=signal.SIGTERM, timeout=30.0):
    """Sends `sig` to a Popen and waits; escalates to SIGKILL after `timeout`. Returns the exit code."""
    if proc.poll() is not None:
        return proc.returncode
    try:
        proc.send_signal(sig)
    except ProcessLookupError:
        pass
    try:
        return proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        return proc.wait(timeout=30)


def tail(path, lines=200):
    """The last `lines` lines of a text file ("" if it does not exist)."""
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            size = f.tell()
            f.seek(max(0, size - 256 * 1024))
            data = f.read().decode("utf-8", "replace")
    except FileNotFoundError:
        return ""
    return "\n".join(data.splitlines()[-lines:])


def install_private_file(source, target, owner=None):
    """Copies `source` to `target` with mode 0600, owned by the user named `owner` (when given):
    how servers want their TLS certificates and keys."""
    import pwd
    import shutil
    shutil.copyfile(source, target)
    os.chmod(target, 0o600)
    if owner is not None:
        entry = pwd.getpwnam(owner)
        os.chown(target, entry.pw_uid, entry.pw_gid)
