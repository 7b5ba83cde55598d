"""Faults while streaming, against a real Apache Kafka (KRaft, one node) and a real PostgreSQL or MariaDB.

Every test ends with the exactly-once check (every workload change once, per-key order, replay equals
the table) on what a read_committed consumer sees:
- a second instance with the same config (fencing / the slot held by the first);
- a Kafka outage (the broker stopped, then started again on its data and port) and dropped
  connections (cut by a TCP proxy between the daemon and the broker): same process, /readyz follows;
- a PostgreSQL restart: the daemon reconnects on its own;
- the second instance, the Kafka outage and the database restart also for a MySQL pipeline on the
  session's MariaDB (`source` = mysql; tributary_testing.sources);
- a checkpoint file that is missing or corrupt at start: resume from Kafka's offsets record, or
  refuse to start (exit 2) when Kafka has none, never a silent new snapshot.
"""

import os
import re
import time

import pytest

from tributary_testing.daemon import DaemonError
from tributary_testing.feed import EventFeed, change_matcher
from tributary_testing.sources import items_source
from tributary_testing.util import wait_until
from tributary_testing.verifier import ITEMS_FIELD_SCHEMAS, verify_exactly_once
from tributary_testing.workload import Workload, create_items_table, preload_items, read_rows

PREFIX = "shop"
OFFSETS_TOPIC = "tributary.offsets"
FRESH_OFFSETS_TOPIC = "tributary.offsets.fresh"  # an offsets topic without any record
ITEMS_PARTITIONS = 4
ROWS = 2000

FENCED = re.compile(r"fenc", re.IGNORECASE)
SLOT_IN_USE = re.compile(r"replication slot \S+ is in use|is active for PID|object_in_use", re.IGNORECASE)


class Scenario:
    """One pipeline on a fresh database with the `items` table, the broker, a collector, a workload.

    `source`: "postgres" or "mysql" (needs `request`: the MariaDB fixtures are taken only then).
    `proxied`: the daemon reaches the broker through a TcpProxy (`self.kafka.proxy(1)`); the
    collector and the test's admin client always connect directly.
    """

    def __init__(self, env, seed, rows=ROWS, max_events=200, proxied=False, source="postgres", request=None,
                 **config_overrides):
        self.env = env
        self.source = items_source(source, env, request)
        self.db = self.source.db
        self.topic = self.source.topic(PREFIX)
        self.conn = self.source.connect()
        create_items_table(self.conn)
        self.initial = preload_items(self.conn, rows)
        self.kafka = env.kafka(topics={self.topic: ITEMS_PARTITIONS, OFFSETS_TOPIC: 1,
                                       FRESH_OFFSETS_TOPIC: 1}, proxied=proxied)
        assert self.kafka.filters_aborted_transactions
        self.collector = env.collector(self.kafka, topics=[self.topic, OFFSETS_TOPIC])
        self.feed = EventFeed(self.collector, self.topic, field_schemas=ITEMS_FIELD_SCHEMAS)
        self.config = self.source.config(self.kafka, PREFIX, max_events=max_events,
                                         pipeline={"envelope": {"schemas": False, "tombstones_on_delete": True}},
                                         **config_overrides)
        self.slot = self.config["pipelines"][0]["source"].get("slot")
        self.checkpoint_path = os.path.join(self.config["offsets"]["directory"], f"{PREFIX}.offsets")
        self.workload = Workload(lambda: self.source.connect(autocommit=False), self.initial, seed=seed)
        env.workloads.append(self.workload)

    def daemon(self, name="tributary", config=None):
        return self.env.daemon(config or self.config, name=name)

    def wait_snapshot_done(self, timeout=120):
        self.feed.wait_for(lambda e: e.op == "r" and e.snapshot == "last", timeout, "the last snapshot row")

    def wait_emitted(self, change, timeout, what=""):
        self.feed.wait_for(change_matcher(change), timeout,
                           f"seq {change.seq} (key {change.key}, {change.op}) in {self.topic} {what}")

    def wait_progress(self, changes, timeout, what):
        """Waits until the workload committed `changes` more changes and the last of them arrived."""
        target = self.workload.last_seq + changes
        wait_until(lambda: self.workload.last_seq >= target or self.workload.done.is_set(), timeout,
                   f"the workload to reach seq {target} ({what})")
        self.wait_emitted(self.workload.changes()[-1], timeout, what)

    def read_final(self):
        conn = self.source.connect()
        try:
            return read_rows(conn)
        finally:
            conn.close()

    def verify(self, final):
        """After every daemon stopped: the collector caught up, then the exactly-once check."""
        self.collector.wait_caught_up(timeout=60)
        self.feed.poll()
        result = verify_exactly_once(self.feed.events, self.workload.log, self.initial, final,
                                     topic_prefix=PREFIX, schemas=False, **self.source.verify_kwargs(),
                                     partitions=self.collector.partition_count(self.topic))
        print("verification:", result.stats)
        result.raise_if_failed()
        assert result.stats["s_star"] == 1, "the workload started after the snapshot: all of it is streamed"
        assert result.stats["snapshot_rows"] == len(self.initial)
        return result

    def items_end_offsets(self):
        """{partition: high watermark}: aborted records and transaction markers move it too."""
        return self.kafka.high_watermarks(self.topic)


def metric(daemon, name, **labels):
    return daemon.metric(name, **labels)


def kafka_transactions(daemon):
    """{committed, aborted} Kafka transactions of the daemon's current run (its /metrics)."""
    try:
        return {result: int(metric(daemon, "tributary_kafka_transactions_total", result=result))
                for result in ("committed", "aborted")}
    except DaemonError as e:
        return str(e)


# ---- 1. a second instance with the same config -------------------------------------------------------

@pytest.mark.parametrize("source", ["postgres", "mysql"])
def test_second_instance_is_fenced_or_refused_the_slot(env, request, source):
    # MySQL has no slot: both instances read the binlog (with the same replica server_id the
    # server drops the older reader); the Kafka transactional.id fences one of them.
    s = Scenario(env, seed=101, source=source, request=request)
    first = s.daemon("first")
    first.start()
    s.wait_snapshot_done()
    s.workload.start(2500, rate=250, max_txn_size=40)
    s.wait_progress(300, 60, "before the second instance starts")

    second = s.daemon("second")
    second.start(wait_ready=False)

    def outcome():
        found = []
        for d in (first, second):
            text = d.current_run_stderr()
            if d.returncode not in (None, 0) and FENCED.search(text):
                found.append(f"{d.name} fenced (exit {d.returncode})")
            if SLOT_IN_USE.search(text):
                found.append(f"{d.name} refused the slot")
        return found

    found = wait_until(outcome, 60, lambda: "one instance to be fenced or refused the slot\n"
                       f"--- first ---\n{first.stderr_tail(30)}\n--- second ---\n{second.stderr_tail(30)}")
    print("second instance:", found)
    for d in (first, second):
        if not d.running:
            code = d.wait(5)
            assert code != 0, f"{d.name} exited 0 although it was fenced:\n{d.stderr_tail(30)}"
            assert FENCED.search(d.current_run_stderr()), \
                f"{d.name} exited {code} without a log line about being fenced:\n{d.stderr_tail(30)}"

    s.workload.join(timeout=120)
    # Stop whatever still runs, then one instance catches up alone.
    for d in (first, second):
        if d.running:
            assert d.sigterm(timeout=60) == 0, f"{d.name}: SIGTERM exit code {d.exit_codes}"
    first.start()
    s.wait_emitted(s.workload.log[-1], 120, "after the catch-up start")
    final = s.read_final()
    print("kafka transactions of the catch-up run:", kafka_transactions(first))
    assert first.sigterm(timeout=60) == 0
    s.verify(final)


# ---- 2. Kafka outage and dropped connections ---------------------------------------------------------

@pytest.mark.parametrize("source, fault", [("postgres", "outage"), ("postgres", "drop"), ("mysql", "outage")])
def test_kafka_outage_keeps_the_process_and_readiness_follows(env, request, source, fault):
    # outage: the broker itself is stopped (SIGTERM) and started again on its data dir and port;
    # drop: the proxy between the daemon and the broker closes every connection (the broker keeps
    # running and accepts the reconnects).
    s = Scenario(env, seed=202 if fault == "outage" else 203, proxied=fault == "drop", source=source,
                 request=request)
    daemon = s.daemon()
    daemon.start()
    pid = daemon.pid
    s.wait_snapshot_done()
    s.workload.start(3000, rate=300, max_txn_size=40)
    s.wait_progress(300, 60, "before the fault")

    if fault == "outage":
        seq_before = s.workload.last_seq
        started = time.monotonic()
        s.kafka.stop(1)
        try:
            daemon.wait_readyz(503, 30, "Kafka is down")
            status, body = daemon.http_get("/readyz", timeout=2.0)
            print("readyz during the outage:", status, body)
            assert "kafka" in body.lower(), f"/readyz 503 does not name Kafka as the reason: {body!r}"
            # Several seconds of outage while the database keeps changing.
            wait_until(lambda: (time.monotonic() - started >= 5 and s.workload.last_seq >= seq_before + 300)
                       or s.workload.done.is_set(), 60, "the workload to go on during the outage")
            assert daemon.running and daemon.pid == pid
            daemon.wait_readyz(503, 1, "Kafka is still down")
        finally:
            s.kafka.start_node(1)  # same port and data dir; waits until it answers metadata
        daemon.wait_readyz(200, 60, "Kafka is back")
    else:
        proxy = s.kafka.proxy(1)
        for round_number in range(3):
            wait_until(lambda: proxy.connections > 0, 30, "the daemon's connections through the proxy")
            accepted = proxy.accepted
            proxy.cut()
            s.wait_progress(200, 60, f"after dropped connections (round {round_number})")
            assert proxy.accepted > accepted, "the daemon did not reconnect through the proxy"
            assert daemon.running and daemon.pid == pid
        daemon.wait_readyz(200, 60, "after dropped connections")

    s.workload.join(timeout=120)
    s.wait_emitted(s.workload.log[-1], 120, "after the fault")
    assert daemon.running and daemon.pid == pid, f"the daemon was restarted or exited: {daemon}"
    assert daemon.starts == 1
    reconnects = metric(daemon, "tributary_reconnects_total", target="kafka")
    print("kafka reconnects:", reconnects, "kafka transactions:", kafka_transactions(daemon))
    if fault == "outage":
        assert reconnects >= 1, "tributary_reconnects_total{target=\"kafka\"} did not count the outage"
    final = s.read_final()
    assert daemon.sigterm(timeout=60) == 0
    s.verify(final)


# ---- 3. database restart (PostgreSQL, MariaDB) -------------------------------------------------------

@pytest.mark.parametrize("source", ["postgres", "mysql"])
def test_database_restart_reconnects_and_resumes(env, request, source):
    s = Scenario(env, seed=303, source=source, request=request)
    daemon = s.daemon()
    daemon.start()
    pid = daemon.pid
    s.wait_snapshot_done()
    s.workload.run(800, rate=400, max_txn_size=40)
    s.wait_emitted(s.workload.log[-1], 60, "before the database restart")

    # The workload pauses (its connection dies with the server), the server restarts (a clean
    # shutdown: it disconnects the daemon's replication connection; MariaDB opens a new binlog file).
    s.workload.close()
    s.source.restart()
    wait_until(lambda: daemon.check_running("the source reconnect")
               and "source failed, reconnecting" in daemon.current_run_stderr(), 60,
               lambda: f"the daemon to notice the restart\n{daemon.stderr_tail(30)}")
    s.workload.run(800, rate=400, max_txn_size=40)
    daemon.wait_readyz(200, 60, "after the database restart")
    s.wait_emitted(s.workload.log[-1], 120, "after the database restart")
    assert daemon.running and daemon.pid == pid, f"the daemon was restarted or exited: {daemon}"
    assert metric(daemon, "tributary_reconnects_total", target="source") >= 1
    final = s.read_final()
    assert daemon.sigterm(timeout=60) == 0
    assert daemon.exit_codes == [0]
    s.verify(final)


# ---- 4. checkpoint file missing or corrupt at start --------------------------------------------------

def test_checkpoint_file_missing_or_corrupt(env):
    s = Scenario(env, seed=404)
    daemon = s.daemon()
    daemon.start()
    s.wait_snapshot_done()

    def stop_and_change(changes):
        s.workload.run(changes, rate=500, max_txn_size=40)
        s.wait_emitted(s.workload.log[-1], 60, "before the stop")
        assert daemon.sigterm(timeout=60) == 0, daemon.exit_codes
        assert os.path.exists(s.checkpoint_path), f"no checkpoint file {s.checkpoint_path} after SIGTERM"
        s.workload.run(changes // 2, max_txn_size=40)  # changes made while the daemon is down

    def snapshot_rows():
        s.feed.poll()
        return sum(1 for e in s.feed.events if e.op == "r")

    # (a) missing file: resume from Kafka's offsets record.
    stop_and_change(400)
    os.unlink(s.checkpoint_path)
    daemon.start()
    s.wait_emitted(s.workload.log[-1], 60, "after starting without a checkpoint file")
    log = daemon.current_run_stderr()
    assert re.search(r"WARN.*checkpoint file \S*shop\.offsets is missing; resuming from the offsets record",
                     log), f"no warning about the missing checkpoint file:\n{log[-3000:]}"
    assert "created replication slot" not in log and "snapshot completed" not in log, log[-3000:]
    assert snapshot_rows() == ROWS

    # (b) garbage in the file, Kafka's record present: recover from Kafka with a warning.
    stop_and_change(400)
    with open(s.checkpoint_path, "wb") as f:
        f.write(os.urandom(64) + b"\x00{not json")
    daemon.start()
    s.wait_emitted(s.workload.log[-1], 60, "after starting with a corrupt checkpoint file")
    log = daemon.current_run_stderr()
    assert re.search(r"WARN.*checkpoint file \S*shop\.offsets is unreadable.*resuming from the offsets "
                     r"record in Kafka", log), f"no warning about the corrupt checkpoint file:\n{log[-3000:]}"
    # The position from Kafka is the committed one (a reconnect before the first commit resumes there).
    assert re.search(r"INFO.*resuming from \{.*\"snapshot_completed\":true", log), log[-3000:]
    assert "created replication slot" not in log and "snapshot completed" not in log, log[-3000:]
    assert snapshot_rows() == ROWS

    final = s.read_final()
    assert daemon.sigterm(timeout=60) == 0

    # (c) garbage in the file and no offsets record (a fresh offsets topic): refuse to start.
    s.collector.wait_caught_up(timeout=60)
    before_count = s.collector.count()
    before_offsets = s.items_end_offsets()
    slot_before = env.pg.slot_info(s.slot)[1:]  # (restart_lsn, confirmed_flush_lsn)
    with open(s.checkpoint_path, "wb") as f:
        f.write(b"\xff\xfe garbage \x00\x01")
    daemon.config = dict(s.config, offsets=dict(s.config["offsets"], topic=FRESH_OFFSETS_TOPIC))
    daemon.start(wait_ready=False)
    code = daemon.wait(timeout=90)
    log = daemon.current_run_stderr()
    assert code == 2, f"exit code {code}, expected 2:\n{log[-3000:]}"
    error_lines = [line for line in log.splitlines() if " ERROR " in line and s.checkpoint_path in line]
    assert error_lines, f"no ERROR line naming {s.checkpoint_path}:\n{log[-3000:]}"
    assert any("fix:" in line for line in error_lines), f"the error does not say how to fix it: {error_lines}"
    assert "created replication slot" not in log and "dropping replication slot" not in log, log[-3000:]
    # Nothing was emitted: no record (committed or aborted) in the table topic, the slot untouched.
    assert s.items_end_offsets() == before_offsets
    s.collector.wait_caught_up(timeout=60)
    assert s.collector.count() == before_count
    assert env.pg.slot_info(s.slot)[1:] == slot_before
    with open(s.checkpoint_path, "rb") as f:
        assert f.read() == b"\xff\xfe garbage \x00\x01", "the corrupt file was overwritten"

    s.verify(final)
