"""`tributary health`: the image's HEALTHCHECK (there is no curl in it) asks the daemon itself.

Against a running daemon (real PostgreSQL, real Kafka) `health --config` and `health --config
--ready` exit 0, found through http.listen's wildcard address on loopback. Against a stand-in
server: --ready asks /readyz and a 503 exits 1 quoting status and body. Nothing listening: 1,
naming the refused connection. A server that accepts and never answers: 1 once the timeout
passes (waited on as a condition, not timed). A configuration that cannot name the endpoint
(http.listen '' or port 0): 2, saying why.
"""

import http.server
import socket
import subprocess
import threading
import types

import pytest

from tributary_testing import daemon as daemon_mod
from tributary_testing.daemon import run_cli, tributary_bin, write_config
from tributary_testing.util import free_port, wait_until


def _offline_config(tmp_path, listen, name="health.yaml"):
    """A valid file whose only part health reads is http.listen (nothing else is contacted)."""
    source = types.SimpleNamespace(host="127.0.0.1", port=9, database="shop", user="cdc", password="x")
    config = daemon_mod.daemon_config([daemon_mod.pipeline_config(source)], "127.0.0.1:9",
                                      str(tmp_path / "offsets"), http={"listen": listen})
    return write_config(str(tmp_path / name), config)


def _health(*args, timeout=60):
    return run_cli(["health", *args], timeout=timeout)


def _outcome(result):
    return f"exit {result.returncode}\nstdout: {result.stdout}\nstderr: {result.stderr}"


def test_health_of_a_running_daemon(env):
    db = env.database()
    env.sql(db, "CREATE TABLE items (id int PRIMARY KEY, v text)")
    kafka = env.shared_kafka(topics={"healthcmd.public.items": 1})
    port = free_port()
    # A wildcard listen address: health contacts it on loopback.
    daemon = env.daemon(env.config(db, kafka, name="healthcmd", offsets_topic="healthcmd.offsets",
                                   http={"listen": f"0.0.0.0:{port}"}))
    daemon.start(wait_ready=True)

    alive = _health("--config", daemon.config_path)
    assert alive.returncode == 0, _outcome(alive)
    assert f"http://127.0.0.1:{port}/healthz: 200" in alive.stdout, _outcome(alive)
    ready = _health("--config", daemon.config_path, "--ready")
    assert ready.returncode == 0, _outcome(ready)
    assert f"http://127.0.0.1:{port}/readyz: 200" in ready.stdout, _outcome(ready)
    by_url = _health("--url", f"http://127.0.0.1:{port}/healthz")
    assert by_url.returncode == 0, _outcome(by_url)
    assert daemon.running


class _StandIn(http.server.BaseHTTPRequestHandler):
    """Alive but not ready, as a daemon still connecting answers."""

    def do_GET(self):  # noqa: N802 (http.server's name)
        status, body = {"/healthz": (200, b"ok\n"),
                        "/readyz": (503, b"not ready: pipeline shop connecting\n")}.get(self.path, (404, b""))
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def stand_in():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _StandIn)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def test_ready_asks_readyz_and_quotes_status_and_body(binaries, tmp_path, stand_in):
    config = _offline_config(tmp_path, f"localhost:{stand_in}")  # a name, resolved
    alive = _health("--config", config)
    assert alive.returncode == 0, _outcome(alive)
    ready = _health("--config", config, "--ready")
    assert ready.returncode == 1, _outcome(ready)
    assert f"http://localhost:{stand_in}/readyz: 503 Service Unavailable: not ready: pipeline shop connecting" \
        in ready.stderr, _outcome(ready)
    assert len(ready.stderr.strip().splitlines()) == 1, _outcome(ready)


def test_nothing_listening_exits_1_naming_the_refused_connection(binaries, tmp_path):
    port = free_port()
    for args in (["--url", f"http://127.0.0.1:{port}/healthz"],
                 ["--config", _offline_config(tmp_path, f"127.0.0.1:{port}")]):
        result = _health(*args)
        assert result.returncode == 1, _outcome(result)
        assert f"http://127.0.0.1:{port}/healthz: cannot connect: Connection refused" in result.stderr, \
            _outcome(result)


def test_a_server_that_never_answers_exits_1_after_the_timeout(binaries):
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)  # the kernel completes the handshake; nobody ever reads or writes
    port = silent.getsockname()[1]
    try:
        proc = subprocess.Popen([tributary_bin(), "health", "--url", f"http://127.0.0.1:{port}/healthz"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            # The timeout is 5 s; the deadline here only bounds a hang.
            wait_until(lambda: proc.poll() is not None, 60, "tributary health to give up on a silent server")
        finally:
            if proc.poll() is None:
                proc.kill()
        stdout, stderr = proc.communicate(timeout=10)
        assert proc.returncode == 1, f"exit {proc.returncode}\n{stdout}{stderr}"
        assert "no answer within 5000 ms (connected, waiting for the response" in stderr, stderr
    finally:
        silent.close()


def test_a_configuration_without_a_known_endpoint_exits_2(binaries, tmp_path):
    off = _health("--config", _offline_config(tmp_path, "", name="off.yaml"))
    assert off.returncode == 2, _outcome(off)
    assert 'http.listen is "" (endpoint off): health needs the HTTP endpoint' in off.stderr, _outcome(off)
    any_port = _health("--config", _offline_config(tmp_path, "127.0.0.1:0", name="zero.yaml"))
    assert any_port.returncode == 2, _outcome(any_port)
    assert "has port 0" in any_port.stderr and "--url" in any_port.stderr, _outcome(any_port)
    for args, message in ((["--url", "https://127.0.0.1:9187/healthz"], "https is not served"),
                          (["--url", "127.0.0.1:9187"], "not an http:// URL"),
                          ([], "exactly one of --config FILE or --url URL")):
        result = _health(*args)
        assert result.returncode == 2, _outcome(result)
        assert message in result.stderr, _outcome(result)
    usage = run_cli(["--help"])
    assert "tributary health (--config FILE [--ready] | --url URL)" in usage.stdout
