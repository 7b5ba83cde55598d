"""The operations endpoint stays up under hostile clients, and local problems stop `run` before any work.

Part 1 (an HTTP endpoint that stays up): with the daemon streaming a workload, 1,000 idle connections
(more than http.max_connections) do not lock /healthz, /readyz and /metrics out: the connections
idle longest are closed to make room, the rest time out, the metrics and a rate-limited log say so;
a slowloris is cut at http.request_timeout_ms; a malformed request gets 400 and hurts no one; and the
data still arrives exactly once.

Part 2 (problems found before any work): an offsets.directory that cannot be used (under a regular
file, not writable, the checkpoint path a directory) and a busy http.listen port make `run` exit 2
before it connects anywhere (no replication slot, no topic), and `check` and `check --offline`
report them with the key, the path or address and the fix.

Everything is on loopback and bounded by deadlines. The tests share one Kafka (env.shared_kafka),
each with its own pipeline name, topics and offsets topic.
"""

import os
import pwd
import resource
import shutil
import socket
import subprocess
import tempfile

import pytest

from tributary_testing.daemon import parse_metric, run_cli, write_config
from tributary_testing.feed import EventFeed, change_matcher
from tributary_testing.util import Deadline, wait_until
from tributary_testing.verifier import verify_exactly_once
from tributary_testing.workload import Workload, create_items_table, preload_items, read_rows

IDLE_CONNECTIONS = 1000
CAP = 128  # http.max_connections (its default)


def _raise_own_file_limit(needed):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < needed:
        pytest.skip(f"RLIMIT_NOFILE hard limit {hard} < {needed}: cannot open {IDLE_CONNECTIONS} sockets")
    if soft != resource.RLIM_INFINITY and soft < needed:
        resource.setrlimit(resource.RLIMIT_NOFILE, (needed, hard))
    return soft, hard


def _open_idle(port, count):
    """`count` connections to the endpoint that never send a byte."""
    sockets = []
    for _ in range(count):
        sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        sock.setblocking(False)
        sockets.append(sock)
    return sockets


def _closed_by_server(sock):
    """True once the server closed `sock` (EOF or reset); never blocks (`sock` is non-blocking;
    select() cannot take descriptors past 1024)."""
    try:
        return sock.recv(1) == b""
    except (ConnectionResetError, BrokenPipeError):
        return True
    except BlockingIOError:
        return False


def _raw_exchange(port, request, timeout=5.0):
    """Sends `request` bytes on a new connection and returns everything the server sends back
    until it closes the connection (bounded by `timeout`)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(request)
        chunks = []
        deadline = Deadline(timeout)
        while not deadline.expired():
            sock.settimeout(max(0.01, deadline.remaining()))
            try:
                chunk = sock.recv(65536)
            except (socket.timeout, ConnectionResetError):
                break
            if not chunk:
                break
            chunks.append(chunk)
        return b"".join(chunks)


def _metrics(daemon):
    status, body = daemon.http_get("/metrics", timeout=2.0)
    assert status == 200, f"GET /metrics: {status} {body[:200]}"
    return body


def _closed(body, reason):
    return parse_metric(body, "tributary_http_connections_closed_total", reason=reason)


def _max_open_files(pid):
    with open(f"/proc/{pid}/limits") as f:
        for line in f:
            if line.startswith("Max open files"):
                return int(line.split()[3])
    raise AssertionError(f"no 'Max open files' in /proc/{pid}/limits")


# ---- part 1: the endpoint stays up -----------------------------------------------------------------

def test_health_endpoints_survive_1000_idle_connections_while_streaming_exactly_once(env):
    prefix = "httpidle"
    items, offsets_topic = f"{prefix}.public.items", f"{prefix}.offsets"
    rows, changes = 2000, 3000
    own_soft, hard = _raise_own_file_limit(IDLE_CONNECTIONS + 512)

    db = env.database()
    conn = env.connect(db)
    create_items_table(conn)
    initial = preload_items(conn, rows)
    kafka = env.shared_kafka(topics={items: 4})
    collector = env.collector(kafka, topics=[items])
    feed = EventFeed(collector, items)
    config = env.config(db, kafka, name=prefix, max_events=500, offsets_topic=offsets_topic,
                        http={"listen": "127.0.0.1:0", "idle_timeout_ms": 4000, "request_timeout_ms": 2000})
    daemon = env.daemon(config)
    workload = Workload(lambda: env.connect(db, autocommit=False), initial, seed=7007)
    env.workloads.append(workload)

    # The daemon starts with the usual soft limit of 1024 and must raise it to the hard limit itself,
    # so that http.max_connections, not 1024, bounds its connections.
    low = min(1024, hard) if hard != resource.RLIM_INFINITY else 1024
    resource.setrlimit(resource.RLIMIT_NOFILE, (low, hard))
    try:
        daemon.start(wait_ready=False)
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (max(own_soft, IDLE_CONNECTIONS + 512), hard))
    daemon.wait_ready(timeout=120)
    limit = _max_open_files(daemon.pid)
    assert limit > low, f"the daemon kept its open files limit at {limit} (the hard limit is {hard})"

    workload.start(changes, rate=400)
    port = daemon.http_port
    idle = _open_idle(port, IDLE_CONNECTIONS)
    try:
        # Every connection was taken (none refused) and the cap holds.
        wait_until(lambda: _closed(_metrics(daemon), "evicted") >= IDLE_CONNECTIONS - CAP, 30,
                   lambda: f"{IDLE_CONNECTIONS - CAP} evictions\n{_metrics(daemon)[-3000:]}")

        # Health answers promptly, repeatedly, while the idle connections are held open.
        keep_alive = socket.create_connection(("127.0.0.1", port), timeout=5)
        keep_alive.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        assert keep_alive.recv(4096).startswith(b"HTTP/1.1 200"), "keep-alive /healthz"
        for round_number in range(10):
            for path in ("/healthz", "/readyz", "/metrics", "/status"):
                status, body = daemon.http_get(path, timeout=2.0)
                assert status == 200, f"round {round_number}: GET {path} -> {status} {body[:300]}"
            body = _metrics(daemon)
            open_now = parse_metric(body, "tributary_http_connections")
            assert open_now <= CAP, f"{open_now} connections open, cap {CAP}"

        # A malformed request gets 400 and hurts no one: the keep-alive connection still answers.
        answer = _raw_exchange(port, b"GARBAGE \x00\x01 nonsense\r\n\r\n")
        assert answer.startswith(b"HTTP/1.1 400"), f"malformed request answered {answer[:200]!r}"
        keep_alive.sendall(b"GET /readyz HTTP/1.1\r\nHost: x\r\n\r\n")
        assert keep_alive.recv(65536).startswith(b"HTTP/1.1 200"), "keep-alive /readyz after a 400"
        keep_alive.close()

        # The idle connections all get closed: evicted, or timed out after http.idle_timeout_ms.
        wait_until(lambda: all(_closed_by_server(s) for s in idle), 60,
                   lambda: f"all idle connections closed ({sum(_closed_by_server(s) for s in idle)} so far)")
    finally:
        for sock in idle:
            sock.close()
    body = _metrics(daemon)
    assert _closed(body, "evicted") >= IDLE_CONNECTIONS - CAP, body[-2000:]
    assert _closed(body, "idle_timeout") >= 1, body[-2000:]
    assert _closed(body, "bad_request") >= 1, body[-2000:]
    # One log line per kind of event, rate-limited: ~900 evictions are not ~900 lines.
    eviction_lines = [line for line in daemon.current_run_stderr().splitlines()
                      if "connection cap" in line and "closed the connection idle longest" in line]
    assert 1 <= len(eviction_lines) <= 10, "\n".join(eviction_lines[:20])

    # The pipeline's data still arrives exactly once.
    workload.join(timeout=300)
    last = workload.log[-1]
    feed.wait_for(change_matcher(last), 300,
                  lambda: f"the workload's last change (seq {last.seq}) in {items}\n{daemon.stderr_tail(20)}")
    final = read_rows(conn)
    assert daemon.sigterm(timeout=60) == 0
    collector.wait_caught_up(timeout=60)
    feed.poll()
    result = verify_exactly_once(feed.events, workload.log, initial, final, topic_prefix=prefix,
                                 database=db, schemas=True, partitions=collector.partition_count(items))
    result.raise_if_failed()


def test_slowloris_is_cut_at_request_timeout(env):
    prefix = "httpslow"
    db = env.database()
    env.sql(db, "CREATE TABLE items (id int PRIMARY KEY, v text)")
    kafka = env.shared_kafka(topics={f"{prefix}.public.items": 1})
    # The idle timeout is far off: only the request timeout can cut the slow client in time. (Before
    # the fix, one 10 s timeout covered both.)
    config = env.config(db, kafka, name=prefix, offsets_topic=f"{prefix}.offsets",
                        http={"listen": "127.0.0.1:0", "idle_timeout_ms": 60000, "request_timeout_ms": 1500})
    daemon = env.daemon(config).start()
    port = daemon.http_port

    slow = socket.create_connection(("127.0.0.1", port), timeout=5)
    slow.sendall(b"GET /healthz HTTP/1.1\r\n")
    cut = False
    sent = 0
    deadline = Deadline(8.0)  # well past 1.5 s, well short of the 60 s idle timeout
    try:
        while not deadline.expired():
            # One header byte at a time, the slowloris pattern (pacing the client, not a wait).
            try:
                slow.sendall(b"X")
                sent += 1
            except (BrokenPipeError, ConnectionResetError):
                cut = True
                break
            slow.settimeout(0.5)
            try:
                cut = slow.recv(1) == b""
            except socket.timeout:
                continue
            except ConnectionResetError:
                cut = True
            if cut:
                break
    finally:
        slow.close()
    assert cut, f"a client sending one header byte per 0.5 s was still connected after {sent} bytes"
    wait_until(lambda: _closed(_metrics(daemon), "request_timeout") >= 1, 10,
               lambda: f"request_timeout counted\n{_metrics(daemon)[-2000:]}")
    status, body = daemon.http_get("/healthz", timeout=2.0)
    assert status == 200, (status, body)
    assert "not complete within 1500 ms" in daemon.current_run_stderr(), daemon.stderr_tail(20)


# ---- part 2: local problems found before any work ----------------------------------------------------

def _service_user():
    """A non-root user to run the daemon as when this test runs as root (root ignores permissions)."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    pytest.skip("running as root and no postgres/nobody user to drop privileges to")


def _run_as(user, args, timeout=60):
    """`tributary ARGS` as `user` (a pwd entry, or None for this user)."""
    if user is None:
        return run_cli(args, timeout=timeout)
    return subprocess.run([os.environ["TRIBUTARY_BIN"], *args], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, timeout=timeout, text=True,
                          user=user.pw_uid, group=user.pw_gid, extra_groups=[],
                          env={**os.environ, "HOME": "/", "USER": user.pw_name})


def _shared_dir():
    """A temp directory every user may read (the config for a daemon run as another user)."""
    path = tempfile.mkdtemp(prefix="tributary-http-test-")
    os.chmod(path, 0o755)
    return path


def _layout_under_a_file(work, name):
    blocker = os.path.join(work, "not-a-directory")
    with open(blocker, "w") as f:
        f.write("a regular file\n")
    directory = os.path.join(blocker, "offsets")
    return directory, [directory, blocker, "not a directory"]


def _layout_checkpoint_is_a_directory(work, name):
    directory = os.path.join(work, "offsets")
    checkpoint = os.path.join(directory, f"{name}.offsets")
    os.makedirs(checkpoint)
    os.chmod(directory, 0o777)
    return directory, [checkpoint, "not a regular file"]


def _layout_not_writable(work, name):
    directory = os.path.join(work, "offsets")
    os.makedirs(directory)
    os.chmod(directory, 0o555)  # readable, not writable, by anyone but root
    return directory, [directory, "Permission denied"]


LAYOUTS = {
    "under_a_file": _layout_under_a_file,
    "checkpoint_is_a_directory": _layout_checkpoint_is_a_directory,
    "not_writable": _layout_not_writable,
}


def _assert_nothing_done(env, kafka, slot, topics):
    assert env.pg.slot_info(slot) is None, f"replication slot {slot} was created"
    present = set(kafka.metadata().topics) if hasattr(kafka, "metadata") else set()
    made = sorted(t for t in topics if t in present)
    assert not made, f"topics were created: {made}"


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_unusable_offsets_directory_stops_run_and_check_before_any_work(env, layout):
    name = f"offdir{layout.replace('_', '')[:12]}"
    db = env.database()
    env.sql(db, "CREATE TABLE items (id int PRIMARY KEY, v text)")
    env.sql(db, "INSERT INTO items VALUES (1, 'one')")
    kafka = env.shared_kafka()
    work = _shared_dir()
    try:
        directory, expected = LAYOUTS[layout](work, name)
        user = _service_user() if layout == "not_writable" else None
        config = env.config(db, kafka, name=name, offsets_topic=f"{name}.offsets")
        config["offsets"]["directory"] = directory
        path = write_config(os.path.join(work, "tributary.yaml"), config)
        os.chmod(path, 0o644)
        slot = config["pipelines"][0]["source"]["slot"]
        topics = [f"{name}.public.items", f"{name}.offsets"]

        result = _run_as(user, ["run", "-c", path], timeout=60)
        output = result.stdout + result.stderr
        assert result.returncode == 2, f"run exited {result.returncode}, expected 2:\n{output}"
        for needle in ["offsets.directory", "fix", *expected]:
            assert needle in output, f"run's error does not name {needle!r}:\n{output}"
        assert "connected to" not in output and "snapshot" not in output.lower(), output
        _assert_nothing_done(env, kafka, slot, topics)

        for command in (["check", "-c", path], ["check", "--offline", "-c", path]):
            result = _run_as(user, command, timeout=120)
            output = result.stdout + result.stderr
            assert result.returncode == 1, f"{command} exited {result.returncode}, expected 1:\n{output}"
            problems = [line for line in output.splitlines() if line.startswith("PROBLEM")]
            named = [line for line in problems if "offsets.directory" in line and "fix" in line and
                     all(needle in line for needle in expected)]
            assert named, f"{command}: no PROBLEM line naming offsets.directory, {expected} and a fix:\n{output}"
        _assert_nothing_done(env, kafka, slot, topics)
    finally:
        for root, dirs, _ in os.walk(work):
            for d in dirs:
                os.chmod(os.path.join(root, d), 0o755)
        shutil.rmtree(work, ignore_errors=True)


def test_busy_http_listen_port_stops_run_and_check_before_any_work(env):
    name = "httpbusy"
    db = env.database()
    env.sql(db, "CREATE TABLE items (id int PRIMARY KEY, v text)")
    kafka = env.shared_kafka()
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen(1)
        port = squatter.getsockname()[1]
        address = f"127.0.0.1:{port}"
        config = env.config(db, kafka, name=name, offsets_topic=f"{name}.offsets", http={"listen": address})
        daemon = env.daemon(config)
        slot = config["pipelines"][0]["source"]["slot"]

        result = run_cli(["run", "-c", daemon.config_path], timeout=60)
        output = result.stdout + result.stderr
        assert result.returncode == 2, f"run exited {result.returncode}, expected 2:\n{output}"
        for needle in ("http.listen", address, "Address already in use", "fix"):
            assert needle in output, f"run's error does not name {needle!r}:\n{output}"
        _assert_nothing_done(env, kafka, slot, [f"{name}.public.items", f"{name}.offsets"])

        for command in (["check", "-c", daemon.config_path], ["check", "--offline", "-c", daemon.config_path]):
            result = run_cli(command, timeout=120)
            output = result.stdout + result.stderr
            assert result.returncode == 1, f"{command} exited {result.returncode}, expected 1:\n{output}"
            named = [line for line in output.splitlines() if line.startswith("PROBLEM") and "http.listen" in line
                     and address in line and "Address already in use" in line and "fix" in line]
            assert named, f"{command}: no PROBLEM line naming http.listen, {address} and a fix:\n{output}"
    # Once the port is free, check --offline passes.
    result = run_cli(["check", "--offline", "-c", daemon.config_path], timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
