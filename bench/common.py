"""Shared helpers of the PostgreSQL benchmarks (bench/pg_streaming.py, bench/latency.py).

The servers and clients are the test harness's (tests/support/tributary_testing): PgServer,
RealKafka / MockKafka, Daemon, DebeziumPeer. This module only adds what a benchmark needs on top:
CPU time of a process, the machine's load, the bare pgoutput reader's build, a Debezium peer that
counts its records instead of keeping them, and percentiles.
"""

import json
import os
import platform
import re
import subprocess
import sys
import threading
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "support"))

from tributary_testing.debezium import DebeziumPeer  # noqa: E402
from tributary_testing.kafka import MockKafka  # noqa: E402
from tributary_testing.kafka_server import RealKafka  # noqa: E402

BUILD = os.environ.get("BUILD_DIR", os.path.join(ROOT, "build"))
TRIBUTARY = os.path.abspath(os.environ.get("TRIBUTARY_BIN", os.path.join(BUILD, "tributary")))
MOCK_KAFKA = os.path.join(BUILD, "tests", "support", "mock_kafka", "tributary-mock-kafka")
_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    """user+sys CPU seconds of a live process (its threads included), from /proc/<pid>/stat."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS  # utime, stime (fields 14, 15)


def load():
    """The 1-minute load average, as uptime prints it."""
    return f"{os.getloadavg()[0]:.2f}"


def machine():
    """One line: CPUs, model, memory, kernel."""
    model = ""
    try:
        with open("/proc/cpuinfo") as f:
            match = re.search(r"^model name\s*:\s*(.+)$", f.read(), re.MULTILINE)
            model = match.group(1) if match else ""
        with open("/proc/meminfo") as f:
            mem_kb = int(re.search(r"MemTotal:\s+(\d+)", f.read()).group(1))
    except OSError:
        mem_kb = 0
    return f"{os.cpu_count()} CPUs ({model}), {mem_kb / 1024 / 1024:.0f} GB, Linux {platform.release()}"


def commit():
    """The checked-out commit (short), with '+dirty' when the working tree has changes."""
    head = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True,
                          text=True).stdout.strip()
    dirty = subprocess.run(["git", "-C", ROOT, "status", "--porcelain", "--untracked-files=no"],
                           capture_output=True, text=True).stdout.strip()
    return head + ("+dirty" if dirty else "")


def lsn_to_int(text):
    high, low = text.split("/")
    return (int(high, 16) << 32) | int(low, 16)


def percentile(sorted_values, fraction):
    """Nearest-rank percentile of an already sorted list."""
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, max(0, int(round(fraction * len(sorted_values) + 0.5)) - 1))
    return sorted_values[index]


def kafka_server(kind, workdir, topics=None):
    """(server, label, topics config for tributary): a real single-node Kafka, or the mock."""
    if kind == "mock":
        if not os.path.exists(MOCK_KAFKA):
            raise SystemExit(f"{MOCK_KAFKA} is missing: --kafka mock needs a build with the tests "
                             f"(BUILD_DIR={BUILD})")
        server = MockKafka(binary=MOCK_KAFKA, partitions=16,
                           topics=dict(topics or {}, **{"tributary.offsets": 1}))
        return server, "librdkafka mock cluster", {"create": False}
    server = RealKafka(logdir=workdir, heap="1g")
    return server, None, {"create": True, "partitions": 16}


def build_bare_reader(workdir):
    """Compiles bench/bare_pgoutput.c with the system C compiler; returns the binary's path."""
    include = subprocess.run(["pg_config", "--includedir"], capture_output=True, text=True,
                             check=True).stdout.strip()
    binary = os.path.join(workdir, "bare_pgoutput")
    subprocess.run(["cc", "-O2", "-o", binary, os.path.join(ROOT, "bench", "bare_pgoutput.c"),
                    f"-I{include}", "-lpq"], check=True)
    return binary


def slot_pid(pg, slot):
    """The walsender's pid of an active slot (None while no one streams from it)."""
    rows = pg.execute("SELECT active_pid FROM pg_replication_slots WHERE slot_name = %s", (slot,))
    return rows[0][0] if rows and rows[0][0] else None


class CountingDebezium(DebeziumPeer):
    """The harness's Debezium peer, counting its stdout lines instead of keeping the records (a
    million parsed records would not fit in memory). `on_line(line, now)` sees each line if set."""

    def __init__(self, on_line=None, **kwargs):
        super().__init__(**kwargs)
        self.count = 0
        self.first_at = None
        self.last_at = None
        self.on_line = on_line
        self._counted = threading.Condition()

    def _read(self):
        for line in self._proc.stdout:
            now = time.monotonic()
            if self.on_line is not None:
                self.on_line(line, now)
            with self._counted:
                self.count += 1
                if self.first_at is None:
                    self.first_at = now
                self.last_at = now
                self._counted.notify_all()
            with self._cond:
                self._last_record_at = now
        with self._counted:
            self._counted.notify_all()

    def wait_count(self, count, timeout):
        deadline = time.monotonic() + timeout
        with self._counted:
            while self.count < count:
                if self._proc is None or self._proc.poll() is not None:
                    raise RuntimeError(f"the Debezium peer exited after {self.count} of {count} "
                                       f"records:\n{self.log_tail()}")
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"the Debezium peer printed {self.count} of {count} records "
                                       f"in {timeout:.0f} s")
                self._counted.wait(min(left, 0.5))


def wait_for(condition, timeout, what, check=None, interval=0.02):
    """Polls `condition()` every `interval` s until it is true (returns its value). `check()` runs
    before each poll and raises when the reader died; TimeoutError after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        if check is not None:
            check()
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} not reached in {timeout:.0f} s")
        time.sleep(interval)  # a poll with a deadline


def exited(proc):
    """A check for wait_for: raises once the subprocess.Popen `proc` has exited."""
    def check():
        if proc.poll() is not None:
            raise RuntimeError(f"tributary exited with {proc.returncode}")
    return check


def wait_checkpoint(path, predicate, timeout, proc):
    """The checkpoint file at `path` once `predicate(it)` holds, while `proc` (Popen) runs."""
    return wait_for(lambda: (lambda c: c if c is not None and predicate(c) else None)(
        read_checkpoint(path)), timeout, f"checkpoint {path} at the expected position", exited(proc),
        interval=0.01)


def watch(daemon, first_metric, done, timeout, what):
    """Polls a running tributary (tributary_testing Daemon) until `done()`; returns (first_at,
    cpu_at_first, done_at): when the counter `first_metric` was first seen above 0, the daemon's
    CPU seconds then, and when `done()` held (monotonic seconds). first_at is None when done()
    held before the counter was seen."""
    seen = {}

    def condition():
        if "at" not in seen:
            try:
                if (daemon.metric(first_metric) or 0) > 0:
                    seen["at"], seen["cpu"] = time.monotonic(), cpu_seconds(daemon.pid)
            except Exception:
                pass  # not listening yet
        return done()

    wait_for(condition, timeout, what, lambda: daemon.check_running(what))
    return seen.get("at"), seen.get("cpu"), time.monotonic()


def commit_stats(port):
    """(transactions, mean commit seconds, events/transaction) from a daemon's /metrics."""
    text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()

    def value(pattern):
        match = re.search(pattern, text, re.MULTILINE)
        return float(match.group(1)) if match else 0.0
    count = value(r"^tributary_kafka_commit_duration_seconds_count\{[^}]*\} (\S+)")
    total = value(r"^tributary_kafka_commit_duration_seconds_sum\{[^}]*\} (\S+)")
    messages = value(r"^tributary_kafka_messages_total\{[^}]*\} (\S+)")
    return count, (total / count if count else 0.0), (messages / count if count else 0.0)


def read_checkpoint(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (FileNotFoundError, json.JSONDecodeError):
        return None
