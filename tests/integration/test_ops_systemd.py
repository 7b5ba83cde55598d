"""systemd: the unit file, its hardening score, and the notify protocol of a real run.

- `systemd-analyze verify` accepts systemd/tributary.service (ExecStart pointed at the built binary)
  and TimeoutStopSec exceeds shutdown.timeout_ms's default;
- `systemd-analyze security --offline=yes` rates it at or below EXPOSURE_THRESHOLD;
- a real pipeline (PostgreSQL, Kafka, read_committed), run with NOTIFY_SOCKET on a datagram socket
  this test binds and WATCHDOG_USEC set, and under the kernel's MemoryDenyWriteExecute (prctl
  PR_SET_MDWE, what the unit's MemoryDenyWriteExecute=true enforces) where the kernel has it, sends
  READY=1, STATUS= lines with each pipeline's phase and lag, WATCHDOG=1, and at SIGTERM STOPPING=1
  and EXTEND_TIMEOUT_USEC= bounded by shutdown.timeout_ms; every change arrives exactly once.
"""

import ctypes
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import uuid

import pytest

from test_lifecycle import Capture, config_of
from tributary_testing.util import wait_until

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
UNIT = os.path.join(REPO, "systemd", "tributary.service")
# Measured with systemd 252 (Debian 12): 1.1. A change that weakens the sandbox fails here.
EXPOSURE_THRESHOLD = 1.5
DEFAULT_SHUTDOWN_TIMEOUT_MS = 30000
EXTEND_MARGIN_MS = 5000  # application.cpp's kExtendMargin

PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN = 65, 1


def _analyze():
    tool = shutil.which("systemd-analyze")
    if tool is None:
        pytest.skip("systemd-analyze is not installed")
    return tool


def _unit_copy(tmp_path):
    """The unit with ExecStart on the binary under test (verify checks that it exists)."""
    text = open(UNIT).read()
    assert "ExecStart=/usr/local/bin/tributary " in text, text
    path = tmp_path / "tributary.service"
    path.write_text(text.replace("/usr/local/bin/tributary", os.environ["TRIBUTARY_BIN"]))
    return path


def _unit_settings():
    settings = {}
    for line in open(UNIT):
        line = line.strip()
        if line and not line.startswith(("#", "[")) and "=" in line:
            key, _, value = line.partition("=")
            settings.setdefault(key, []).append(value)
    return settings


def test_unit_verifies_and_stops_later_than_the_shutdown_bound(binaries, tmp_path):
    tool = _analyze()
    unit = _unit_copy(tmp_path)
    done = subprocess.run([tool, "verify", str(unit)], capture_output=True, text=True, timeout=60)
    print(done.stdout, done.stderr)
    assert done.returncode == 0, done.stderr
    assert "tributary.service" not in done.stderr, done.stderr  # no warning about the unit
    settings = _unit_settings()
    assert settings["Type"] == ["notify"]
    assert settings["RestrictAddressFamilies"] == ["AF_UNIX AF_INET AF_INET6"]
    assert "@system-service" in settings["SystemCallFilter"]
    assert settings["SystemCallErrorNumber"] == ["EPERM"]
    assert settings["MemoryDenyWriteExecute"] == ["true"]
    stop_seconds = int(settings["TimeoutStopSec"][0])
    assert stop_seconds * 1000 > DEFAULT_SHUTDOWN_TIMEOUT_MS, "TimeoutStopSec must exceed shutdown.timeout_ms"


def test_security_exposure_is_at_most_the_measured_score(binaries, tmp_path):
    tool = _analyze()
    unit = _unit_copy(tmp_path)
    done = subprocess.run([tool, "security", "--offline=yes", "--no-pager", str(unit)], capture_output=True,
                          text=True, timeout=60)
    if done.returncode != 0 and "offline" in done.stderr:
        pytest.skip(f"this systemd-analyze has no --offline: {done.stderr.strip()}")
    match = re.search(r"Overall exposure level for tributary\.service: ([0-9.]+)", done.stdout)
    assert match, done.stdout + done.stderr
    score = float(match.group(1))
    flagged = [line for line in done.stdout.splitlines() if line.startswith("✗")]
    print(f"exposure {score}; still flagged:\n" + "\n".join(flagged))
    assert score <= EXPOSURE_THRESHOLD, done.stdout


# ---- the notify protocol ---------------------------------------------------------------------------

class NotifySocket:
    """An abstract AF_UNIX datagram socket standing in for systemd's; records (time, assignments)."""

    def __init__(self):
        self.name = f"@tributary-test-{uuid.uuid4().hex}"
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind("\0" + self.name[1:])
        self.sock.settimeout(0.2)
        self.messages = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._receive, daemon=True)
        self._thread.start()

    def _receive(self):
        while not self._stop.is_set():
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                continue
            with self._lock:
                self.messages.append(data.decode("utf-8", "replace").split("\n"))

    def assignments(self):
        with self._lock:
            return [line for message in self.messages for line in message]

    def index(self, pattern, after=-1):
        """Position of the first assignment past `after` matching `pattern` (None: none)."""
        for i, line in enumerate(self.assignments()):
            if i > after and re.fullmatch(pattern, line):
                return i
        return None

    def wait(self, pattern, timeout, daemon, after=-1):
        def found():
            if self.index(pattern, after) is None:
                daemon.check_running(f"{pattern} on NOTIFY_SOCKET")
                return None
            return True
        wait_until(found, timeout, lambda: f"{pattern} on NOTIFY_SOCKET; got {self.assignments()[-20:]}")
        return self.index(pattern, after)

    def close(self):
        self._stop.set()
        self._thread.join(timeout=5)
        self.sock.close()


def _mdwe_wrapper(tmp_path):
    """A launcher that sets PR_SET_MDWE (refuse writable+executable mappings, kept across exec)
    and execs the daemon; None when the kernel lacks it."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_MDWE + 1, 0, 0, 0, 0) < 0:  # PR_GET_MDWE: the kernel knows the option
        return None
    path = tmp_path / "tributary-mdwe"
    path.write_text(f"""#!{sys.executable}
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
if libc.prctl({PR_SET_MDWE}, {PR_MDWE_REFUSE_EXEC_GAIN}, 0, 0, 0) != 0:
    sys.exit("prctl(PR_SET_MDWE): errno %d" % ctypes.get_errno())
os.execv({os.environ['TRIBUTARY_BIN']!r}, [{os.environ['TRIBUTARY_BIN']!r}] + sys.argv[1:])
""")
    path.chmod(0o755)
    return str(path)


def test_notify_protocol_of_a_real_run(env, monkeypatch, tmp_path):
    kafka = env.shared_kafka(topics={"ops_sd.public.items": 2, "ops_sd.offsets": 1})
    c = Capture(env, kafka, "ops_sd", "", seed=131)
    shutdown_ms = 10000
    config = config_of(env, kafka, [c], "ops_sd.offsets", max_events=100,
                       shutdown={"timeout_ms": shutdown_ms})
    notify = NotifySocket()
    try:
        monkeypatch.setenv("NOTIFY_SOCKET", notify.name)
        monkeypatch.setenv("WATCHDOG_USEC", "1000000")  # a pet every 0.5 s
        monkeypatch.delenv("WATCHDOG_PID", raising=False)
        wrapper = _mdwe_wrapper(tmp_path)
        print("MemoryDenyWriteExecute via PR_SET_MDWE:", "yes" if wrapper else "not supported by this kernel")
        daemon = env.daemon(config)
        if wrapper:
            daemon.binary = wrapper
        daemon.start()
        ready = notify.wait(r"READY=1", 30, daemon)
        c.wait_snapshot_done()
        c.workload.start(600, rate=300, max_txn_size=20)
        c.wait_progress(200, 60, "streaming under the notify socket")
        notify.wait(r"STATUS=ops_sd: streaming, lag \d+\.\d{3} s", 30, daemon, after=ready)
        # The phase change before it was reported too (starting or snapshotting).
        assert notify.index(r"STATUS=ops_sd: (starting|snapshotting)") is not None, notify.assignments()
        pets = [line for line in notify.assignments() if line == "WATCHDOG=1"]
        wait_until(lambda: len([a for a in notify.assignments() if a == "WATCHDOG=1"]) >= len(pets) + 3, 30,
                   "three more WATCHDOG=1")
        # Each pet carries the status too, in the same datagram.
        with notify._lock:
            pets_with_status = [m for m in notify.messages if len(m) == 2 and m[0] == "WATCHDOG=1"
                                and re.fullmatch(r"STATUS=ops_sd: streaming, lag \d+\.\d{3} s", m[1])]
        assert pets_with_status, notify.messages[-10:]
        c.workload.join(timeout=120)
        c.wait_emitted(c.workload.log[-1], 120, "after the workload")

        before_stop = len(notify.assignments()) - 1
        assert daemon.sigterm(timeout=shutdown_ms / 1000 + 30) == 0
        stopping = notify.index(r"STOPPING=1", before_stop)
        assert stopping is not None, notify.assignments()[before_stop:]
        extend = notify.index(r"EXTEND_TIMEOUT_USEC=\d+", stopping)
        assert extend is not None, notify.assignments()[before_stop:]
        usec = int(notify.assignments()[extend].split("=", 1)[1])
        print("shutdown:", notify.assignments()[stopping:extend + 2])
        assert 0 < usec <= (shutdown_ms + EXTEND_MARGIN_MS) * 1000, usec
        assert re.fullmatch(r"STATUS=shutting down \(at most 10 s\): ops_sd: (stopping|stopped)",
                            notify.assignments()[extend + 1]), notify.assignments()[extend:]
    finally:
        notify.close()
    c.verify()
