"""The tributary daemon as a subprocess: config file, start, readiness, signals, exit code, logs."""

import atexit
import copy
import json
import os
import re
import signal
import subprocess
import urllib.error
import urllib.request
import weakref

from tributary_testing.util import Deadline, stop_process, tail, wait_until

try:
    import yaml
except ImportError:  # JSON is valid YAML 1.2; yaml-cpp reads it
    yaml = None

_HTTP_LISTENING = re.compile(rb"http listening on ([0-9.]+|\[[0-9a-fA-F:]+\]|[\w.-]+):(\d+)")


def tributary_bin():
    binary = os.environ.get("TRIBUTARY_BIN")
    if not binary:
        raise RuntimeError("TRIBUTARY_BIN is not set (path of the tributary binary)")
    return binary


def deep_merge(base, overrides):
    """A copy of `base` with `overrides` merged in (dicts recursively; other values replace)."""
    result = copy.deepcopy(base)
    for key, value in (overrides or {}).items():
        if isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = deep_merge(result[key], value)
        else:
            result[key] = copy.deepcopy(value)
    return result


def pipeline_config(pg, name="shop", database=None, topic_prefix=None, slot=None, publication=None,
                    **overrides):
    """One `pipelines[]` entry for a PgServer (the daemon's role, TCP, password)."""
    pipeline = {
        "name": name,
        "source": {
            "type": "postgres",
            "host": pg.host,
            "port": pg.port,
            "database": database or pg.database,
            "user": pg.user,
            "password": pg.password,
            "slot": slot or f"tributary_{name}",
            "publication": publication or f"tributary_{name}",
        },
        "tables": {"include": ["public\\..*"], "exclude": []},
        "snapshot": {"mode": "initial", "parallelism": 2},
        "topic_prefix": topic_prefix or name,
        "envelope": {"schemas": True, "tombstones_on_delete": True},
    }
    return deep_merge(pipeline, overrides)


def daemon_config(pipelines, bootstrap_servers, offsets_directory, max_events=10000,
                  max_bytes=16 * 1024 * 1024, max_ms=50, offsets_topic="tributary.offsets",
                  log_level="info", **overrides):
    """The whole config file as a dict; `http.listen` binds port 0 (the daemon logs the port)."""
    config = {
        "pipelines": list(pipelines),
        "kafka": {
            "bootstrap_servers": bootstrap_servers,
            "properties": {},
            "batch": {"max_events": max_events, "max_bytes": max_bytes, "max_ms": max_ms},
        },
        "offsets": {"directory": str(offsets_directory), "topic": offsets_topic},
        "http": {"listen": "127.0.0.1:0"},
        "log": {"level": log_level},
    }
    return deep_merge(config, overrides)


def write_config(path, config):
    """Writes a config dict as YAML (or raw text if `config` is a str). Returns the path."""
    with open(path, "w") as f:
        if isinstance(config, str):
            f.write(config)
        elif yaml is not None:
            yaml.safe_dump(config, f, sort_keys=False, default_flow_style=False)
        else:
            json.dump(config, f, indent=2)
    return path


def run_cli(args, timeout=60, binary=None, env=None):
    """Runs `tributary ARGS...` to completion; returns CompletedProcess with text stdout/stderr."""
    return subprocess.run([binary or tributary_bin(), *args], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, timeout=timeout,
                          text=True, env=env)


class DaemonError(RuntimeError):
    pass


_SAMPLE = re.compile(r"([a-zA-Z_:][\w:]*)(\{([^}]*)\})?\s+(\S+)")


def parse_metric(body, name, **labels):
    """Sum of the samples of `name` in Prometheus text `body` whose labels include `labels`."""
    total = 0.0
    for line in body.splitlines():
        if not line.startswith(name):
            continue
        match = _SAMPLE.match(line)
        if not match or match.group(1) != name:
            continue
        have = dict(re.findall(r'(\w+)="([^"]*)"', match.group(3) or ""))
        if all(have.get(k) == v for k, v in labels.items()):
            total += float(match.group(4))
    return total


_running_daemons = weakref.WeakSet()


@atexit.register
def _stop_all_daemons():
    for daemon in list(_running_daemons):
        daemon.stop()


class Daemon:
    """`tributary run -c CONFIG` in the foreground, stderr appended to `<workdir>/<name>.stderr`.

    Each start appends a `==== start N ====` separator, so one file holds every run of a test.
    """

    def __init__(self, workdir, config, name="tributary", binary=None):
        self.workdir = str(workdir)
        self.name = name
        self.binary = binary or tributary_bin()
        self.config = config
        self.config_path = os.path.join(self.workdir, f"{name}.yaml")
        self.stderr_path = os.path.join(self.workdir, f"{name}.stderr")
        self.starts = 0
        self.exit_codes = []
        self.http_port = None
        self._proc = None
        self._stderr_offset = 0
        write_config(self.config_path, config)

    # ---- lifecycle -------------------------------------------------------------------------------

    def start(self, wait_ready=True, timeout=120.0):
        if self.running:
            raise DaemonError("daemon already running")
        write_config(self.config_path, self.config)
        self.starts += 1
        self.http_port = None
        with open(self.stderr_path, "ab") as err:
            err.write(f"==== start {self.starts} ====\n".encode())
            err.flush()
            self._stderr_offset = err.tell()
            self._proc = subprocess.Popen(
                [self.binary, "run", "-c", self.config_path], stdin=subprocess.DEVNULL,
                stdout=err, stderr=err, cwd=self.workdir, start_new_session=True)
        _running_daemons.add(self)
        if wait_ready:
            self.wait_ready(timeout)
        return self

    @property
    def pid(self):
        return self._proc.pid if self._proc else None

    @property
    def running(self):
        return self._proc is not None and self._proc.poll() is None

    @property
    def returncode(self):
        return self._proc.poll() if self._proc else None

    def wait(self, timeout):
        """Waits for the process to exit on its own; returns the exit code (TimeoutError if not)."""
        try:
            code = self._proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise TimeoutError(f"tributary (pid {self._proc.pid}) still running after {timeout}s\n"
                               f"{self.stderr_tail(40)}")
        self._record_exit(code)
        return code

    def sigterm(self, timeout=60.0):
        """SIGTERM and wait for exit (SIGKILL if it takes longer than `timeout`). Returns the code."""
        return self._signal_and_wait(signal.SIGTERM, timeout)

    def sigint(self, timeout=60.0):
        return self._signal_and_wait(signal.SIGINT, timeout)

    def kill9(self):
        return self._signal_and_wait(signal.SIGKILL, 30.0)

    def stop(self):
        """Teardown: SIGTERM, then SIGKILL after a grace period. Safe to call when not running."""
        if self._proc is not None and self._proc.poll() is None:
            self._signal_and_wait(signal.SIGTERM, 30.0)

    def _signal_and_wait(self, sig, timeout):
        if self._proc is None:
            raise DaemonError("daemon was never started")
        if self._proc.poll() is not None:
            self._record_exit(self._proc.returncode)
            return self._proc.returncode
        timed_out = False
        try:
            self._proc.send_signal(sig)
            code = self._proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            code = stop_process(self._proc, signal.SIGKILL, timeout=30)
        self._record_exit(code)
        if timed_out:
            raise TimeoutError(f"tributary did not exit within {timeout}s of {signal.Signals(sig).name}; "
                               f"killed\n{self.stderr_tail(40)}")
        return code

    def _record_exit(self, code):
        if len(self.exit_codes) < self.starts:
            self.exit_codes.append(code)

    # ---- readiness and HTTP ----------------------------------------------------------------------

    def _current_stderr(self):
        try:
            with open(self.stderr_path, "rb") as f:
                f.seek(self._stderr_offset)
                return f.read()
        except FileNotFoundError:
            return b""

    def _discover_http_port(self):
        listen = str(self.config.get("http", {}).get("listen", "")) if isinstance(self.config, dict) else ""
        host, _, port = listen.rpartition(":")
        if port and port != "0":
            return int(port)
        match = _HTTP_LISTENING.search(self._current_stderr())
        return int(match.group(2)) if match else None

    def check_running(self, what="the daemon"):
        """Raises DaemonError (with the stderr tail) if the process has exited."""
        if self._proc.poll() is not None:
            self._record_exit(self._proc.returncode)
            raise DaemonError(f"tributary exited with {self._proc.returncode} while waiting for {what}\n"
                              f"--- stderr (tail) ---\n{self.stderr_tail(60)}")
        return True

    def wait_ready(self, timeout=120.0):
        """Waits until GET /readyz answers 200 (the daemon is connected and snapshotting/streaming)."""
        deadline = Deadline(timeout)

        def port_known():
            self.check_running("the `http listening on` log line")
            self.http_port = self._discover_http_port()
            return self.http_port

        wait_until(port_known, deadline.remaining(),
                   lambda: f"`http listening on 127.0.0.1:<port>` in stderr\n{self.stderr_tail(40)}")

        def ready():
            self.check_running("/readyz")
            return self.http_get("/readyz")[0] == 200

        wait_until(ready, deadline.remaining(), lambda: f"/readyz == 200\n{self.stderr_tail(40)}")

    def http_get(self, path, timeout=5.0):
        """(status, body text) of GET http://127.0.0.1:<port><path>; (None, error) if unreachable."""
        if self.http_port is None:
            self.http_port = self._discover_http_port()
        if self.http_port is None:
            return None, "http port unknown"
        url = f"http://127.0.0.1:{self.http_port}{path}"
        try:
            with urllib.request.urlopen(url, timeout=timeout) as response:
                return response.status, response.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode("utf-8", "replace")
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError) as e:
            return None, str(e)

    def wait_readyz(self, status, timeout, what):
        """Waits until GET /readyz answers `status`; the daemon must keep running meanwhile."""
        last = {}

        def check():
            self.check_running(what)
            last["answer"] = self.http_get("/readyz", timeout=2.0)
            return last["answer"][0] == status

        wait_until(check, timeout,
                   lambda: f"/readyz {status} ({what}); last answer {last.get('answer')}\n{self.stderr_tail(40)}",
                   interval=0.05, max_interval=0.2)

    def metric(self, name, **labels):
        """Sum of the /metrics samples of `name` whose labels include `labels` (0 when none), e.g.
        `metric("tributary_kafka_transactions_total", result="committed")`: counters of this run."""
        status, body = self.http_get("/metrics")
        if status != 200:
            raise DaemonError(f"GET /metrics: {status} {body[:200]}")
        return parse_metric(body, name, **labels)

    # ---- CLI subcommands on the same config ------------------------------------------------------

    def check(self, timeout=60):
        return run_cli(["check", "-c", self.config_path], timeout=timeout, binary=self.binary)

    def offsets_show(self, timeout=60):
        return run_cli(["offsets", "show", "-c", self.config_path], timeout=timeout, binary=self.binary)

    # ---- logs --------------------------------------------------------------------------------------

    def current_run_stderr(self):
        return self._current_stderr().decode("utf-8", "replace")

    def stderr_tail(self, lines=200):
        return tail(self.stderr_path, lines)

    def __repr__(self):
        return f"Daemon({self.name}, pid={self.pid}, starts={self.starts}, exits={self.exit_codes})"
