"""Faults a real Apache Kafka (KRaft) can have, while the daemon streams; every test ends with the
exactly-once check (every workload change once, per-key order, replay equals the table) on what a
read_committed consumer sees.

- the broker killed with SIGKILL mid-stream and restarted on its data dir: the same daemon process
  carries on, and every record committed before the crash is still there, at the same offset;
- the broker frozen (SIGSTOP) longer than `kafka.transaction_timeout_ms`: the coordinator rolls the
  open transaction back and bumps the producer epoch, so librdkafka reports the producer fenced;
  the daemon rebuilds its producer and resends the batch (a fence by a second instance still exits
  1: test_faults.py);
- the client connections cut again and again, and stalled longer than librdkafka's socket timeout,
  through the harness's TCP proxy.

The 3-node cluster's faults (partition leader, transaction coordinator) are in
test_kafka_cluster_faults.py, which runs alone (ctest label `exclusive`: three JVMs); these tests
use one broker each and run beside other tests.

How each test can fail: the verifier catches any change missing (e.g. a batch aborted by the broker
and not resent), any change twice (e.g. a resend of a batch that was in fact committed, or an
aborted batch leaking to read_committed readers), and any reordering within a key; the daemon must
also keep its PID (no restart of its own) and exit 0 on SIGTERM at the end.
"""

import os
import re
import threading
import time

import pytest

from tributary_testing import daemon as daemon_mod
from tributary_testing.feed import EventFeed, change_matcher
from tributary_testing.util import Deadline, wait_until
from tributary_testing.verifier import ITEMS_FIELD_SCHEMAS, verify_exactly_once
from tributary_testing.workload import Workload, create_items_table, preload_items, read_rows

OFFSETS_TOPIC = "tributary.offsets"
ITEMS_PARTITIONS = 4
ROWS = 1000
WAIT = 90  # deadline of each condition, seconds (2 shared cores, JVMs)

#: Kafka's TransactionCoordinator, when it rolls back a transaction that outlived its timeout.
TIMEOUT_ROLLBACK = "Completed rollback of ongoing transaction for transactionalId {} due to timeout"


def items_topic(name):
    return f"{name}.public.items"


class Scenario:
    """One pipeline on a fresh database with the `items` table, a real Kafka, a collector, a workload.

    `cluster`: an already running Kafka (its topics are created here), else a new RealKafka with
    `kafka_options` (e.g. `proxied=True`). `kafka_config` goes into the daemon's `kafka:` section,
    `config_overrides` into daemon_config().
    """

    def __init__(self, env, seed, name="shop", cluster=None, kafka_options=None, kafka_config=None, rows=ROWS,
                 max_events=200, **config_overrides):
        self.env = env
        self.name = name
        self.topic = items_topic(name)
        self.transactional_id = f"tributary-{name}"
        self.db = env.database()
        conn = env.connect(self.db)
        create_items_table(conn)
        self.initial = preload_items(conn, rows)
        conn.close()
        topics = {self.topic: ITEMS_PARTITIONS, OFFSETS_TOPIC: 1}
        if cluster is None:
            kafka = env.kafka(topics=topics, backend="kafka", **(kafka_options or {}))
        else:
            kafka = cluster
            for topic, partitions in topics.items():
                kafka.create_topic(topic, partitions)  # waits until every node knows it
        self.kafka = kafka
        assert kafka.filters_aborted_transactions
        self.collector = env.collector(kafka, topics=[self.topic, OFFSETS_TOPIC])
        self.feed = EventFeed(self.collector, self.topic, field_schemas=ITEMS_FIELD_SCHEMAS)
        self.config = env.config(self.db, kafka, name=name, max_events=max_events,
                                 pipeline={"envelope": {"schemas": False, "tombstones_on_delete": True}},
                                 **config_overrides)
        self.config = daemon_mod.deep_merge(self.config, {"kafka": kafka_config or {}})
        self.workload = Workload(lambda: env.connect(self.db, autocommit=False), self.initial, seed=seed)
        env.workloads.append(self.workload)

    def daemon(self, name="tributary"):
        return self.env.daemon(self.config, name=name)

    def wait_snapshot_done(self, timeout=WAIT):
        self.feed.wait_for(lambda e: e.op == "r" and e.snapshot == "last", timeout, "the last snapshot row")

    def wait_emitted(self, change, timeout=WAIT, what=""):
        matches = change_matcher(change)
        # EventFeed.wait_for looks only at events polled during the call: one polled by an earlier
        # wait (a backlog arrives in one go after a fault) is looked up here first.
        if any(matches(e) for e in self.feed.events):
            return
        self.feed.wait_for(matches, timeout,
                           f"seq {change.seq} (key {change.key}, {change.op}) in {self.topic} {what}")

    def wait_progress(self, changes, what, timeout=WAIT):
        """Waits until the workload committed `changes` more changes and the last of them arrived."""
        target = self.workload.last_seq + changes
        wait_until(lambda: self.workload.last_seq >= target or self.workload.done.is_set(), timeout,
                   f"the workload to reach seq {target} ({what})")
        self.wait_emitted(self.workload.changes()[-1], timeout, what)

    def wait_workload(self, changes, what, timeout=WAIT):
        """Waits until the workload committed `changes` more changes (whatever Kafka does meanwhile)."""
        target = self.workload.last_seq + changes
        wait_until(lambda: self.workload.last_seq >= target or self.workload.done.is_set(), timeout,
                   f"the workload to reach seq {target} ({what})")

    def start_open_ended_workload(self, rate, max_txn_size=40, changes=20000):
        """A workload that keeps going (up to `changes`) until stop_workload(): faults that need an
        open transaction, or in-flight requests, are injected while it still runs."""
        self._stop = threading.Event()
        self.workload.start(changes, rate=rate, max_txn_size=max_txn_size, stop=self._stop)

    def stop_workload(self):
        self._stop.set()
        self.workload.join(timeout=60)

    def finish(self, daemon, pid):
        """The workload ends, its last change arrives; the same process then stops with exit 0."""
        self.workload.join(timeout=180)
        self.wait_emitted(self.workload.log[-1], WAIT, "at the end")
        assert daemon.running and daemon.pid == pid, f"the daemon was restarted or exited: {daemon}"
        assert daemon.starts == 1
        final = self.read_final()
        assert daemon.sigterm(timeout=60) == 0, f"SIGTERM exit codes {daemon.exit_codes}"
        assert daemon.exit_codes == [0]
        return final

    def read_final(self):
        conn = self.env.connect(self.db)
        try:
            return read_rows(conn)
        finally:
            conn.close()

    def verify(self, final, feed=None):
        """After the daemon stopped: the collector caught up, then the exactly-once check."""
        feed = feed or self.feed
        feed.collector.wait_caught_up(timeout=WAIT)
        feed.poll()
        result = verify_exactly_once(feed.events, self.workload.log, self.initial, final,
                                     topic_prefix=self.name, database=self.db, schemas=False,
                                     partitions=ITEMS_PARTITIONS)
        print("verification:", result.stats)
        result.raise_if_failed()
        assert result.stats["s_star"] == 1, "the workload started after the snapshot: all of it is streamed"
        assert result.stats["snapshot_rows"] == len(self.initial)
        return result


def metric(daemon, name, **labels):
    """Sum of the samples of `name` whose labels include `labels` (0 when none)."""
    return daemon.metric(name, **labels)


def aborted_transactions(daemon):
    return metric(daemon, "tributary_kafka_transactions_total", result="aborted")


class OpenTransactionProbe:
    """Tells when a transaction has records in `topic` that are not committed yet: ListOffsets
    answers the high watermark to a read_uncommitted client, the last stable offset to a
    read_committed one; the first is ahead only while a transaction with records there is open."""

    def __init__(self, kafka, topic):
        from confluent_kafka import Consumer

        self.topic = topic
        self.consumers = [Consumer({"bootstrap.servers": kafka.bootstrap_servers,
                                    "group.id": f"tributary-test-probe-{level}",
                                    "isolation.level": level}) for level in ("read_uncommitted", "read_committed")]

    def _ends(self, consumer):
        from confluent_kafka import TopicPartition

        return [consumer.get_watermark_offsets(TopicPartition(self.topic, p), timeout=5, cached=False)[1]
                for p in range(ITEMS_PARTITIONS)]

    def open(self):
        high, stable = (self._ends(c) for c in self.consumers)
        return any(h > s for h, s in zip(high, stable))

    def wait(self, timeout):
        wait_until(self.open, timeout, f"an open transaction with records in {self.topic}", interval=0.01,
                   max_interval=0.05)

    def close(self):
        for consumer in self.consumers:
            consumer.close()


def node_log(kafka, node_id):
    with open(kafka.node(node_id).logfile, errors="replace") as f:
        return f.read()


# ---- 1. the broker killed with SIGKILL and restarted on its data -------------------------------------

def test_broker_sigkill_and_restart_keeps_committed_data(env):
    s = Scenario(env, seed=601)
    daemon = s.daemon()
    daemon.start()
    pid = daemon.pid
    s.wait_snapshot_done()
    s.workload.start(3000, rate=300, max_txn_size=40)
    s.wait_progress(300, "before the broker is killed")

    # What a read_committed reader had before the crash: all of it must survive, at the same offsets.
    before = s.collector.records()
    hwm_before = s.kafka.high_watermarks(s.topic)
    s.kafka.kill(1)
    killed_at_seq = s.workload.last_seq
    daemon.wait_readyz(503, 30, "the broker is dead")
    # The database keeps changing while Kafka is down: a backlog the daemon must send once it is back.
    s.wait_workload(300, "while the broker is down")
    assert daemon.running and daemon.pid == pid
    s.kafka.start_node(1)
    daemon.wait_readyz(200, WAIT, "the broker restarted")
    s.wait_progress(300, "after the broker restarted")
    assert metric(daemon, "tributary_reconnects_total", target="kafka") >= 1
    final = s.finish(daemon, pid)

    # A new reader after the restart sees every record the old one saw before the crash, unchanged.
    fresh = env.collector(s.kafka, topics=[s.topic, OFFSETS_TOPIC])
    fresh.wait_caught_up(timeout=WAIT)
    after = {(r.topic, r.partition, r.offset): r for r in fresh.records()}
    lost = [r for r in before if after.get((r.topic, r.partition, r.offset)) != r]
    assert not lost, f"{len(lost)} of {len(before)} records committed before the crash are gone or changed, " \
                     f"e.g. {lost[:3]}"
    hwm_after = s.kafka.high_watermarks(s.topic)
    assert all(hwm_after[p] >= hwm_before[p] for p in hwm_before), (hwm_before, hwm_after)
    assert sum(hwm_after.values()) > sum(hwm_before.values())
    print(f"records before the crash: {len(before)}, after: {len(after)}; killed at seq {killed_at_seq}; "
          f"high watermarks {hwm_before} -> {hwm_after}")
    s.verify(final, EventFeed(fresh, s.topic, field_schemas=ITEMS_FIELD_SCHEMAS))


# ---- 2. the broker frozen longer than the transaction timeout ----------------------------------------

TXN_TIMEOUT_MS = 5000


def test_broker_frozen_past_transaction_timeout_aborts_and_daemon_resends(env):
    # batch.max_ms must stay below the transaction timeout: the config says so, and the daemon refuses
    # one that does not (exit 2, naming both keys) before it connects anywhere.
    s = Scenario(env, seed=602, kafka_options={"proxied": True}, max_events=5000, max_ms=3000,
                 kafka_config={"transaction_timeout_ms": TXN_TIMEOUT_MS})
    bad = daemon_mod.deep_merge(s.config, {"kafka": {"batch": {"max_ms": TXN_TIMEOUT_MS}}})
    bad_path = daemon_mod.write_config(os.path.join(env.workdir, "bad.yaml"), bad)
    refused = daemon_mod.run_cli(["run", "-c", bad_path], timeout=60)
    assert refused.returncode == 2, (refused.returncode, refused.stderr[-2000:])
    assert "max_ms" in refused.stderr and "transaction_timeout_ms" in refused.stderr, refused.stderr[-2000:]

    proxy = s.kafka.proxy(1)
    daemon = s.daemon()
    daemon.start()
    pid = daemon.pid
    s.wait_snapshot_done()
    s.start_open_ended_workload(rate=250, max_txn_size=20)
    s.wait_progress(300, "before the freeze")

    rollback = TIMEOUT_ROLLBACK.format(s.transactional_id)
    rollbacks_before = node_log(s.kafka, 1).count(rollback)
    aborted_before = aborted_transactions(daemon)
    # After SIGCONT two things race: the coordinator's timeout check (every second, the harness's
    # setting) and the daemon's retried requests (librdkafka's own epoch bump, which aborts without
    # fencing). The proxy holds the daemon's bytes from before the freeze until the rollback is in
    # the broker's log, so it is always the coordinator's rollback that the daemon meets: an epoch
    # bump that librdkafka 2.0.2 reports as _FENCED. The freeze starts while a transaction has
    # records in the log (so it is Ongoing at the coordinator, not in the gap between two); should
    # it commit in the milliseconds before the freeze, the freeze is repeated.
    open_transaction = OpenTransactionProbe(s.kafka, s.topic)
    for attempt in range(3):
        open_transaction.wait(WAIT)
        proxy.stall()
        try:
            s.kafka.freeze(1)
            try:
                time.sleep(TXN_TIMEOUT_MS / 1000 + 3)  # the fault: frozen for longer than the timeout
            finally:
                s.kafka.thaw(1)
            try:
                wait_until(lambda: node_log(s.kafka, 1).count(rollback) > rollbacks_before, 10,
                           "the coordinator's rollback of the timed-out transaction")
                rolled_back = True
            except TimeoutError:
                rolled_back = False
        finally:
            proxy.resume()
        if rolled_back:
            break
        print(f"freeze {attempt + 1}: no transaction was open at the coordinator; again")
        s.wait_progress(100, "after a freeze without an open transaction")
    else:
        pytest.fail(f"three freezes and no `{rollback}` in the broker log")
    open_transaction.close()

    # The daemon meets the bumped epoch as a fence, rebuilds its producer and sends the batch again;
    # a daemon that exited (as before the fix) fails check_running, one that dropped the rolled-back
    # batch or sent it twice fails the verifier (missing / duplicated changes).
    s.wait_progress(300, "after the freeze")
    daemon.check_running("the recovery from the rolled-back transaction")
    log = daemon.current_run_stderr()
    assert re.search(r"WARN .*Kafka producer fenced after its transaction outlived "
                     r"kafka\.transaction_timeout_ms", log), log[-4000:]
    assert aborted_transactions(daemon) > aborted_before
    s.stop_workload()
    final = s.finish(daemon, pid)
    s.verify(final)


# ---- 3. connections cut and stalled through the proxy ------------------------------------------------

SOCKET_TIMEOUT_MS = 3000


def test_connections_cut_and_stalled_through_the_proxy(env):
    s = Scenario(env, seed=603, kafka_options={"proxied": True},
                 kafka_config={"transaction_timeout_ms": 20000,
                               "properties": {"socket.timeout.ms": SOCKET_TIMEOUT_MS}})
    proxy = s.kafka.proxy(1)
    daemon = s.daemon()
    daemon.start()
    pid = daemon.pid
    s.wait_snapshot_done()
    s.start_open_ended_workload(rate=300)
    s.wait_progress(300, "before the first cut")

    for round_number in range(5):
        cut_before = proxy.cuts
        proxy.cut()
        assert proxy.cuts > cut_before, "the cut found no open connection"
        s.wait_progress(150, f"after cut {round_number + 1}")
        assert daemon.running and daemon.pid == pid

    # Silence longer than socket.timeout.ms: requests in flight time out, librdkafka drops the
    # connection and retries on a new one (stalled too, until resume). The old connections' bytes
    # are delivered late, when the proxy resumes: duplicates the idempotent producer must absorb.
    log_mark = len(daemon.current_run_stderr())
    proxy.stall()
    try:
        time.sleep(SOCKET_TIMEOUT_MS / 1000 + 3)  # the fault: a stall longer than the socket timeout
    finally:
        proxy.resume()
    s.wait_progress(300, "after the stall")
    stall_log = daemon.current_run_stderr()[log_mark:]
    assert re.search(r"timed out|REQTMOUT", stall_log, re.IGNORECASE), \
        f"no request timed out during the stall:\n{stall_log[-3000:]}"
    daemon.wait_readyz(200, WAIT, "after the stall")
    s.stop_workload()
    final = s.finish(daemon, pid)
    print("proxy: accepted", proxy.accepted, "connections cut", proxy.cuts)
    s.verify(final)
