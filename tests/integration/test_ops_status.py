"""/status tells an operator what each pipeline does, and hostile HTTP clients cannot stall the loop.

Part 1: against real PostgreSQL and real Kafka, /status shows the snapshot per table (rows done of
about how many, a done flag; held mid-snapshot by stalling the daemon's PostgreSQL connections
through a TcpProxy, so the state is observed, not raced), then while streaming the committed
position (text and LSN) advancing, the last commit (time, events, transaction count) and the lag,
and after the source connection is cut the last error (message, time), kept once it recovered.

Part 2: a malformed request line, oversized headers, a client pipelining /metrics requests and never
reading the answers, and a keep-alive client past the per-connection request limit: each is answered
or closed as it should be, and /healthz from another client answers within its deadline meanwhile.
"""

import json
import socket
from datetime import datetime

from tributary_testing.daemon import parse_metric
from tributary_testing.proxy import TcpProxy
from tributary_testing.util import Deadline, wait_until

ROWS = 100_000


def _status(daemon, name):
    status, body = daemon.http_get("/status", timeout=2.0)
    assert status == 200, f"GET /status: {status} {body[:300]}"
    document = json.loads(body)
    return document["pipelines"][name]


def _lsn(text):
    high, low = text.split("/")
    return (int(high, 16) << 32) | int(low, 16)


def _iso(text):
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ")


def _healthz_answers(port, timeout=2.0):
    """GET /healthz on a new connection answers 200 within `timeout`."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.settimeout(timeout)
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        return sock.recv(4096).startswith(b"HTTP/1.1 200")


def _read_until_closed(sock, timeout):
    chunks = []
    deadline = Deadline(timeout)
    while not deadline.expired():
        sock.settimeout(max(0.01, deadline.remaining()))
        try:
            chunk = sock.recv(65536)
        except (socket.timeout, ConnectionResetError):
            break
        if not chunk:
            return b"".join(chunks), True
        chunks.append(chunk)
    return b"".join(chunks), False


# ---- part 1: /status -----------------------------------------------------------------------------

def test_status_shows_snapshot_progress_position_last_commit_lag_and_last_error(env):
    prefix = "opsstatus"
    db = env.database()
    env.sql(db, "CREATE TABLE items (id int PRIMARY KEY, v text)")
    env.sql(db, f"INSERT INTO items SELECT g, 'row ' || g FROM generate_series(1, {ROWS}) g")
    env.sql(db, "ANALYZE items")
    # Never analyzed (estimate 0): only the snapshot-done hook can make its progress 1.
    env.sql(db, "CREATE TABLE small (id int PRIMARY KEY) WITH (autovacuum_enabled = false)")
    env.sql(db, "INSERT INTO small SELECT generate_series(1, 5)")
    kafka = env.shared_kafka(topics={f"{prefix}.public.items": 4, f"{prefix}.public.small": 1})
    proxy = TcpProxy((env.pg.host, env.pg.port)).start()
    try:
        config = env.config(db, kafka, name=prefix, offsets_topic=f"{prefix}.offsets",
                            max_events=2000,
                            pipeline={"source": {"host": "127.0.0.1", "port": proxy.port},
                                      "snapshot": {"parallelism": 2, "fetch_size": 500}})
        daemon = env.daemon(config).start(wait_ready=False)
        wait_until(lambda: daemon.check_running("/healthz") and daemon.http_get("/healthz")[0] == 200,
                   60, lambda: daemon.stderr_tail(30))

        # Mid-snapshot: small read to its end, items begun. Stalled there, the state holds still.
        def small_done_items_begun():
            daemon.check_running("/status during the snapshot")
            tables = _status(daemon, prefix)["snapshot"]["tables"]
            small, items = tables.get("public.small"), tables.get("public.items")
            return small and small["done"] and items and items["rows_done"] > 0

        wait_until(small_done_items_begun, 90, lambda: f"{_status(daemon, prefix)}\n{daemon.stderr_tail(30)}",
                   interval=0.02, max_interval=0.05)
        proxy.stall()
        snapshotting = _status(daemon, prefix)
        items = snapshotting["snapshot"]["tables"]["public.items"]
        assert snapshotting["phase"] == "snapshotting", snapshotting
        assert snapshotting["state"] == "snapshotting", snapshotting
        assert items["done"] is False and 0 < items["rows_done"] < ROWS, snapshotting
        assert abs(items["rows_estimated"] - ROWS) <= ROWS // 10, snapshotting
        assert snapshotting["snapshot"]["tables"]["public.small"] == \
            {"rows_done": 5, "rows_estimated": 0, "done": True}, snapshotting
        assert parse_metric(daemon.http_get("/metrics")[1], "tributary_snapshot_progress_ratio",
                            pipeline=prefix, table="public.small") == 1.0
        proxy.resume()

        # Snapshot done, streaming: every table done, a position, a last commit.
        def streaming():
            daemon.check_running("streaming")
            s = _status(daemon, prefix)
            done = all(t["done"] for t in s["snapshot"]["tables"].values())
            # The snapshot's end is committed (its marker) after its last rows' transaction.
            completed = s["position"] is not None and s["position"]["snapshot_completed"]
            return s if s["phase"] == "streaming" and done and completed and s["last_commit"] else None

        first = wait_until(streaming, 120, lambda: f"{_status(daemon, prefix)}\n{daemon.stderr_tail(30)}")
        assert first["snapshot"]["tables"]["public.items"]["rows_done"] == ROWS, first
        assert first["position"]["type"] == "postgres", first
        assert first["position"]["text"].startswith("LSN " + first["position"]["lsn"]), first
        assert first["last_error"] is None, first

        # Streaming: the position advances, the last commit counts its events, the lag is there.
        before = _lsn(first["position"]["lsn"])
        env.sql(db, "INSERT INTO items SELECT g, 'new' FROM generate_series(1000001, 1000007) g")

        def advanced():
            s = _status(daemon, prefix)
            commit = s["last_commit"]
            return s if (_lsn(s["position"]["lsn"]) > before and commit["events"] > 0
                         and commit["transactions"] > first["last_commit"]["transactions"]) else None

        moved = wait_until(advanced, 60, lambda: f"{_status(daemon, prefix)}\n{daemon.stderr_tail(20)}")
        assert moved["lag_seconds"] is not None and moved["lag_seconds"] >= 0, moved
        assert _iso(moved["last_commit"]["time"]) >= _iso(first["last_commit"]["time"]), moved
        committed = parse_metric(daemon.http_get("/metrics")[1], "tributary_kafka_transactions_total",
                                 pipeline=prefix, result="committed")
        assert moved["last_commit"]["transactions"] <= committed, (moved, committed)

        # A failure: the source connection is cut; the last error is shown, and kept after recovery.
        proxy.cut()
        failed = wait_until(lambda: _status(daemon, prefix)["last_error"], 60,
                            lambda: f"last_error\n{_status(daemon, prefix)}\n{daemon.stderr_tail(20)}")
        assert failed["message"], failed
        assert abs((datetime.utcnow() - _iso(failed["time"])).total_seconds()) < 120, failed
        daemon.wait_readyz(200, 60, "streaming again after the cut")
        env.sql(db, "INSERT INTO items VALUES (2000001, 'after the cut')")
        recovered = wait_until(
            lambda: (lambda s: s if s["phase"] == "streaming" and
                     _lsn(s["position"]["lsn"]) > _lsn(moved["position"]["lsn"]) else None)(
                _status(daemon, prefix)),
            60, lambda: f"{_status(daemon, prefix)}\n{daemon.stderr_tail(20)}")
        assert recovered["last_error"] == failed, recovered
        assert daemon.sigterm(timeout=60) == 0
    finally:
        proxy.close()


# ---- part 2: hostile clients ---------------------------------------------------------------------

def test_malformed_oversized_unread_and_endless_clients_leave_healthz_answering(env):
    prefix = "opshttp"
    db = env.database()
    env.sql(db, "CREATE TABLE items (id int PRIMARY KEY, v text)")
    kafka = env.shared_kafka(topics={f"{prefix}.public.items": 1})
    config = env.config(db, kafka, name=prefix, offsets_topic=f"{prefix}.offsets",
                        http={"listen": "127.0.0.1:0", "request_timeout_ms": 1500})
    daemon = env.daemon(config).start()
    port = daemon.http_port

    # A malformed request line: 400, closed; /healthz answers meanwhile.
    with socket.create_connection(("127.0.0.1", port), timeout=5) as bad:
        bad.sendall(b"GET /healthz HTTP/9\x00\r\n\r\n")
        assert _healthz_answers(port)
        answer, closed = _read_until_closed(bad, 5)
        assert answer.startswith(b"HTTP/1.1 400") and closed, answer[:200]

    # Headers past the 8 KiB limit: 431, closed.
    with socket.create_connection(("127.0.0.1", port), timeout=5) as big:
        big.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 16384 + b"\r\n\r\n")
        assert _healthz_answers(port)
        answer, closed = _read_until_closed(big, 5)
        assert answer.startswith(b"HTTP/1.1 431") and closed, answer[:200]

    # A client that pipelines /metrics requests and never reads: its responses back up until the
    # write times out (request_timeout_ms) and it is closed; /healthz answers all along.
    body = daemon.http_get("/metrics")[1]
    requests = 1 + (8 * 1024 * 1024) // max(1, len(body))
    unread = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    unread.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    unread.connect(("127.0.0.1", port))
    try:
        unread.setblocking(False)
        pending = b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n" * min(requests, 2000)
        sent = 0
        deadline = Deadline(10)
        while sent < len(pending) and not deadline.expired():
            try:
                sent += unread.send(pending[sent:])
            except BlockingIOError:
                assert _healthz_answers(port)  # paces the sender too
            except (BrokenPipeError, ConnectionResetError):
                break
        for _ in range(5):
            assert _healthz_answers(port)
        wait_until(lambda: parse_metric(daemon.http_get("/metrics")[1],
                                        "tributary_http_connections_closed_total",
                                        reason="write_timeout") >= 1, 20,
                   lambda: daemon.http_get("/metrics")[1][-2000:])
        assert _healthz_answers(port)
    finally:
        unread.close()

    # Keep-alive: after 1000 requests on one connection the last answer says close, and it closes.
    with socket.create_connection(("127.0.0.1", port), timeout=5) as endless:
        endless.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n" * 1001)
        answers, closed = _read_until_closed(endless, 30)
        assert closed, f"still open after {answers.count(b'HTTP/1.1 200')} answers"
        assert answers.count(b"HTTP/1.1 200") == 1000, answers.count(b"HTTP/1.1 200")
        last = answers[answers.rfind(b"HTTP/1.1 200"):]
        assert b"Connection: close" in last, last[:300]
    assert _healthz_answers(port)
    assert daemon.sigterm(timeout=60) == 0
