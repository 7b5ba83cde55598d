"""Process lifecycle against a real PostgreSQL and a real Apache Kafka (issue 7, items 3, 4, 8, 10).

- signals while streaming: SIGHUP re-reads the file (log.level applied at once, other keys named as
  taking effect at a restart; an invalid file is reported and the running configuration kept),
  SIGUSR1 logs a status line per pipeline, SIGUSR2 is logged and ignored; the process keeps running
  and every change arrives exactly once;
- a pipeline that fails at runtime (its role loses REPLICATION and its walsender is terminated) is
  retried alone with backoff while the other pipeline keeps streaming; /readyz and the metrics
  name it; after the fix it recovers by itself and its changes arrive exactly once;
- SIGTERM while Kafka is unreachable with changes pending: exit 1, a log line saying nothing is lost
  and where the next start resumes; the next start delivers every change exactly once;
- Kafka unreachable at start: /readyz names Kafka and its address, and a warning is logged within
  seconds.
"""

import json
import os
import re
import signal
import uuid

import pytest

from tributary_testing import daemon as daemon_mod
from tributary_testing.feed import EventFeed, change_matcher
from tributary_testing.util import free_port, wait_until
from tributary_testing.verifier import ITEMS_FIELD_SCHEMAS, verify_exactly_once
from tributary_testing.workload import Workload, create_items_table, preload_items, read_rows

ROWS = 500
PARTITIONS = 2


class Capture:
    """One pipeline's database (items table, preloaded), its topic's feed and a workload."""

    def __init__(self, env, kafka, name, suffix, seed, role=None):
        self.env = env
        self.name = name
        self.db = env.database(suffix)
        self.topic = f"{name}.public.items"
        conn = env.connect(self.db)
        create_items_table(conn)
        self.initial = preload_items(conn, ROWS)
        conn.close()
        self.role = role
        source = {}
        if role is not None:
            user, password = role
            env.pg.execute(f'GRANT SELECT ON items TO "{user}"', database=self.db)
            env.pg.execute(f'CREATE PUBLICATION "tributary_{self.db}" FOR TABLE items', database=self.db)
            source = {"user": user, "password": password}
        self.pipeline = daemon_mod.pipeline_config(
            env.pg, name=name, database=self.db, topic_prefix=name, slot=f"tributary_{self.db}",
            publication=f"tributary_{self.db}", source=source,
            envelope={"schemas": False, "tombstones_on_delete": True})
        self.kafka = kafka
        self.collector = env.collector(kafka, topics=[self.topic])
        self.feed = EventFeed(self.collector, self.topic, field_schemas=ITEMS_FIELD_SCHEMAS)
        self.workload = Workload(lambda: env.connect(self.db, autocommit=False), self.initial, seed=seed)
        env.workloads.append(self.workload)

    def wait_snapshot_done(self, timeout=120):
        self.feed.wait_for(lambda e: e.op == "r" and e.snapshot == "last", timeout,
                           f"the last snapshot row of {self.name}")

    def wait_emitted(self, change, timeout, what=""):
        self.feed.wait_for(change_matcher(change), timeout,
                           f"seq {change.seq} (key {change.key}, {change.op}) in {self.topic} {what}")

    def wait_progress(self, changes, timeout, what):
        """The workload committed `changes` more changes and the last of them arrived."""
        target = self.workload.last_seq + changes
        wait_until(lambda: self.workload.last_seq >= target or self.workload.done.is_set(), timeout,
                   f"the workload of {self.name} to reach seq {target} ({what})")
        self.wait_emitted(self.workload.changes()[-1], timeout, what)

    def verify(self):
        conn = self.env.connect(self.db)
        try:
            final = read_rows(conn)
        finally:
            conn.close()
        self.collector.wait_caught_up(timeout=60)
        self.feed.poll()
        result = verify_exactly_once(self.feed.events, self.workload.log, self.initial, final,
                                     topic_prefix=self.name, database=self.db, schemas=False,
                                     partitions=self.collector.partition_count(self.topic))
        print(f"verification of {self.name}:", result.stats)
        result.raise_if_failed()
        assert result.stats["snapshot_rows"] == len(self.initial)
        return result


def log_lines(daemon, pattern):
    """Lines matching `pattern` in the current run's stderr."""
    return [line for line in daemon.current_run_stderr().splitlines() if re.search(pattern, line)]


def wait_log(daemon, pattern, timeout, what, after=0):
    """Waits until a line of the current run matching `pattern` appears past the first `after`
    matches; the daemon must keep running. Returns the line."""
    found = []

    def check():
        daemon.check_running(what)
        lines = log_lines(daemon, pattern)
        if len(lines) > after:
            found.append(lines[after])
            return True
        return False

    wait_until(check, timeout, lambda: f"{what}: /{pattern}/ in stderr\n{daemon.stderr_tail(40)}")
    return found[0]


def config_of(env, kafka, captures, offsets_topic, **kwargs):
    return daemon_mod.daemon_config([c.pipeline for c in captures], kafka.bootstrap_servers,
                                    os.path.join(env.workdir, "offsets"), offsets_topic=offsets_topic,
                                    **kwargs)


# ---- item 3: signals -------------------------------------------------------------------------------

def test_signals_while_streaming_keep_the_daemon_running(env):
    kafka = env.shared_kafka(topics={"lc_sig.public.items": PARTITIONS, "lc_sig.offsets": 1})
    c = Capture(env, kafka, "lc_sig", "", seed=31)
    config = config_of(env, kafka, [c], "lc_sig.offsets", max_events=100)
    daemon = env.daemon(config)
    daemon.start()
    pid = daemon.pid
    c.wait_snapshot_done()
    c.workload.start(3000, rate=300, max_txn_size=30)
    c.wait_progress(200, 60, "before the signals")
    assert not log_lines(daemon, r" DEBUG "), "debug lines before log.level was changed"

    # SIGHUP with log.level and a restart-only key changed in the file.
    changed = daemon_mod.deep_merge(config, {"log": {"level": "debug"},
                                             "kafka": {"batch": {"max_events": 150}}})
    daemon_mod.write_config(daemon.config_path, changed)
    os.kill(daemon.pid, signal.SIGHUP)
    line = wait_log(daemon, r"SIGHUP: re-read", 30, "the SIGHUP log line")
    print("SIGHUP:", line)
    assert "applied log.level info -> debug" in line, line
    assert "take effect only at a restart: kafka.batch.max_events" in line, line
    assert "stderr" in line, line
    wait_log(daemon, r" DEBUG ", 30, "debug lines after log.level debug")
    c.wait_progress(100, 60, "after SIGHUP")

    os.kill(daemon.pid, signal.SIGUSR1)
    status = wait_log(daemon, r"pipeline=lc_sig status: state=streaming committed=LSN ", 30,
                      "the SIGUSR1 status line")
    print("SIGUSR1:", status)
    assert "lag_seconds=" in status and "kafka=reachable" in status, status

    os.kill(daemon.pid, signal.SIGUSR2)
    wait_log(daemon, r"WARN SIGUSR2 received; ignored", 30, "the SIGUSR2 log line")

    # An invalid file: reported, the running configuration kept (debug lines go on).
    daemon_mod.write_config(daemon.config_path, "pipelines: 5\nlog: {level: loud}\nbogus_key: 1\n")
    os.kill(daemon.pid, signal.SIGHUP)
    bad = wait_log(daemon, r"SIGHUP: configuration .* problem\(s\); keeping the running configuration",
                   30, "the invalid-file SIGHUP line")
    print("invalid SIGHUP:", bad)
    debug_lines = len(log_lines(daemon, r" DEBUG "))
    wait_log(daemon, r" DEBUG ", 30, "debug lines after the invalid file", after=debug_lines)
    daemon.wait_readyz(200, 30, "after the signals")
    c.wait_progress(100, 60, "after the invalid SIGHUP")

    c.workload.join(timeout=120)
    c.wait_emitted(c.workload.log[-1], 120, "after the workload")
    assert daemon.running and daemon.pid == pid and daemon.starts == 1, daemon
    assert daemon.sigterm(timeout=60) == 0
    c.verify()


# ---- item 4: a failing pipeline is retried alone ---------------------------------------------------

def test_failed_pipeline_is_retried_alone_and_recovers(env):
    topics = {"lc_good.public.items": PARTITIONS, "lc_flaky.public.items": PARTITIONS, "lc_iso.offsets": 1}
    kafka = env.shared_kafka(topics=topics)
    user, password = f"lc_flaky_{uuid.uuid4().hex[:8]}", "flaky-secret"
    env.pg.create_role(user, password, replication=True)
    good = Capture(env, kafka, "lc_good", "_good", seed=41)
    flaky = Capture(env, kafka, "lc_flaky", "_flaky", seed=42, role=(user, password))
    daemon = env.daemon(config_of(env, kafka, [good, flaky], "lc_iso.offsets", max_events=100))
    daemon.start()
    pid = daemon.pid
    good.wait_snapshot_done()
    flaky.wait_snapshot_done()
    for capture in (good, flaky):
        capture.workload.start(2500, rate=200, max_txn_size=30)
    flaky.wait_progress(100, 60, "before the break")

    # Break it at runtime, in a way an operator can fix: no REPLICATION, walsender terminated.
    env.pg.execute(f'ALTER ROLE "{user}" NOREPLICATION', database="postgres")
    env.pg.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_replication WHERE usename = %s",
                   (user,), database="postgres")
    daemon.wait_readyz(503, 60, "the broken pipeline")
    last = {}

    def reported():
        daemon.check_running("/readyz naming the retried pipeline (the other one must go on)")
        last["readyz"] = daemon.http_get("/readyz")
        status, body = last["readyz"]
        return (status == 503 and "pipeline 'lc_flaky': retrying after" in body
                and "lacks the REPLICATION privilege" in body and "next retry" in body
                and "lc_good" not in body)

    wait_until(reported, 60, lambda: f"/readyz naming the retried pipeline; last {last.get('readyz')}")
    print("readyz while broken:", last["readyz"])
    wait_until(lambda: daemon.metric("tributary_pipeline_failures_total", pipeline="lc_flaky") >= 1, 30,
               "tributary_pipeline_failures_total of lc_flaky")
    assert daemon.metric("tributary_pipeline_up", pipeline="lc_flaky") == 0
    assert daemon.metric("tributary_pipeline_up", pipeline="lc_good") == 1
    assert daemon.metric("tributary_pipeline_failures_total", pipeline="lc_good") == 0
    status, body = daemon.http_get("/status")
    if status == 200:  # served once the /status route exists
        state = json.loads(body)["pipelines"]["lc_flaky"]
        assert state["state"] == "retrying" and state["attempts"] >= 1, state
        assert "REPLICATION" in state["error"] and state["next_retry_at"], state
    # The other pipeline goes on meanwhile, and the broken one fails again at its retries.
    good.wait_progress(300, 60, "while lc_flaky is broken")
    wait_until(lambda: daemon.metric("tributary_pipeline_failures_total", pipeline="lc_flaky") >= 2, 60,
               "a second failed attempt of lc_flaky")
    assert daemon.running and daemon.pid == pid

    env.pg.execute(f'ALTER ROLE "{user}" REPLICATION', database="postgres")
    daemon.wait_readyz(200, 120, "lc_flaky recovered")
    wait_log(daemon, r"pipeline=lc_flaky recovered after \d+ failure\(s\)", 30, "the recovery line")
    assert daemon.metric("tributary_pipeline_up", pipeline="lc_flaky") == 1
    for capture in (good, flaky):
        capture.workload.join(timeout=180)
        capture.wait_emitted(capture.workload.log[-1], 120, "after the workload")
    assert daemon.running and daemon.pid == pid and daemon.starts == 1, daemon
    assert daemon.sigterm(timeout=60) == 0
    good.verify()
    flaky.verify()


# ---- item 8: SIGTERM while Kafka is unreachable ----------------------------------------------------

@pytest.mark.parametrize("fault", ["stopped", "frozen"])
def test_sigterm_while_kafka_is_down_exits_1_and_loses_nothing(env, fault):
    # stopped: connections refused, commits fail fast and the sink gives up at its deadline;
    # frozen (SIGSTOP): connections hang, a commit blocks for its whole timeout and the process's
    # 30 s shutdown limit ends it.
    kafka = env.kafka(topics={"lc_down.public.items": PARTITIONS, "lc_down.offsets": 1})
    c = Capture(env, kafka, "lc_down", "", seed=81)
    daemon = env.daemon(config_of(env, kafka, [c], "lc_down.offsets", max_events=100))
    daemon.start()
    c.wait_snapshot_done()
    c.workload.start(1500, rate=200, max_txn_size=20)
    c.wait_progress(200, 60, "before the outage")

    if fault == "stopped":
        kafka.stop(1)
    else:
        kafka.freeze(1)
    daemon.wait_readyz(503, 60, "Kafka is down")
    # Changes committed in PostgreSQL after the broker went away: read, not committed to Kafka.
    seq = c.workload.last_seq
    wait_until(lambda: c.workload.last_seq >= seq + 100 or c.workload.done.is_set(), 60,
               "changes during the outage")
    code = daemon.sigterm(timeout=90)
    log = daemon.current_run_stderr()
    assert code == 1, f"SIGTERM with an uncommitted transaction exited {code}:\n{log[-3000:]}"
    lost = [line for line in log.splitlines() if "nothing is lost" in line]
    assert lost and any(re.search(r"resumes from the last committed checkpoint, LSN [0-9A-F]+/[0-9A-F]+",
                                  line) for line in lost), log[-3000:]
    print("exit line:", lost[-1])

    if fault == "stopped":
        kafka.start_node(1)
    else:
        kafka.thaw(1)
    c.workload.join(timeout=120)
    daemon.start()
    c.wait_emitted(c.workload.log[-1], 120, "after the restart")
    assert daemon.sigterm(timeout=60) == 0
    c.verify()


# ---- item 10: Kafka unreachable at start -----------------------------------------------------------

def test_kafka_unreachable_at_start_is_named_by_readyz_and_logged(env):
    db = env.database()
    conn = env.connect(db)
    create_items_table(conn)
    conn.close()
    servers = f"127.0.0.1:{free_port()}"  # nothing listens there
    config = env.config(db, None, name="lc_nokafka")
    config["kafka"]["bootstrap_servers"] = servers
    daemon = env.daemon(config)
    daemon.start(wait_ready=False)
    last = {}

    def named():
        daemon.check_running("/readyz naming Kafka")
        last["readyz"] = daemon.http_get("/readyz")
        return last["readyz"][0] == 503 and f"pipeline 'lc_nokafka': kafka not reachable at {servers}" \
            in last["readyz"][1]

    wait_until(named, 15, lambda: f"/readyz naming Kafka; last {last.get('readyz')}")
    print("readyz:", last["readyz"])
    warning = wait_log(daemon, rf"WARN pipeline=lc_nokafka kafka not reachable at {re.escape(servers)}", 10,
                       "the warning")
    print("warning:", warning)
    status, body = daemon.http_get("/status")
    if status == 200:
        state = json.loads(body)["pipelines"]["lc_nokafka"]
        assert state["state"] == "starting" and servers in state["waiting_for"], state
    assert daemon.sigterm(timeout=60) == 0, "nothing was read: a stop without Kafka is clean"
