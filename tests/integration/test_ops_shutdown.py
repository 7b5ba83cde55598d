"""SIGTERM: the open batch committed (or, Kafka gone, aborted) and the process ended within
shutdown.timeout_ms; nothing lost, nothing duplicated, against a real PostgreSQL and a real Kafka.

test_lifecycle.py already covers SIGTERM with Kafka stopped or frozen at the default 30 s bound
(exit 1, the "nothing is lost" line, the restart verified) and SIGTERM after a workload finished.
Added here:
- SIGTERM in the middle of a streaming workload (changes still arriving, a batch open): exit 0
  before shutdown.timeout_ms plus a margin, the clean path (no "nothing is lost" line), and a
  restart while the workload goes on delivers every change exactly once (read_committed verifier);
- Kafka frozen with changes read but not committed and a small shutdown.timeout_ms (6 s): the
  process ends with exit 1 before a deadline derived from that setting, naming the bound, and
  after Kafka comes back a restart delivers every change exactly once.
"""

import re

from test_lifecycle import Capture, config_of, log_lines
from tributary_testing.util import wait_until

SHUTDOWN_MS = 6000
# Process start-up, the JVM-side close of connections and a loaded 2-core machine: generous,
# the point is that the process ends on its own, shortly after the bound, not within it.
MARGIN_S = 20


def test_sigterm_mid_workload_commits_and_restart_loses_nothing(env):
    kafka = env.shared_kafka(topics={"ops_stop.public.items": 2, "ops_stop.offsets": 1})
    c = Capture(env, kafka, "ops_stop", "", seed=161)
    config = config_of(env, kafka, [c], "ops_stop.offsets", max_events=50,
                       shutdown={"timeout_ms": SHUTDOWN_MS})
    daemon = env.daemon(config)
    daemon.start()
    c.wait_snapshot_done()
    c.workload.start(2000, rate=300, max_txn_size=20)
    c.wait_progress(300, 60, "before SIGTERM")
    assert daemon.sigterm(timeout=SHUTDOWN_MS / 1000 + MARGIN_S) == 0
    assert not c.workload.done.is_set(), "the workload ended before SIGTERM: nothing was in flight"
    assert not log_lines(daemon, "nothing is lost"), daemon.current_run_stderr()[-2000:]
    print("stop:", log_lines(daemon, r"shutting down|exiting with code"))

    daemon.start()  # the workload goes on meanwhile
    c.workload.join(timeout=120)
    c.wait_emitted(c.workload.log[-1], 120, "after the restart")
    assert daemon.sigterm(timeout=SHUTDOWN_MS / 1000 + MARGIN_S) == 0
    c.verify()


def test_sigterm_with_kafka_frozen_ends_within_the_shutdown_bound(env):
    kafka = env.kafka(topics={"ops_frz.public.items": 2, "ops_frz.offsets": 1})
    c = Capture(env, kafka, "ops_frz", "", seed=171)
    config = config_of(env, kafka, [c], "ops_frz.offsets", max_events=100,
                       shutdown={"timeout_ms": SHUTDOWN_MS})
    daemon = env.daemon(config)
    daemon.start()
    c.wait_snapshot_done()
    c.workload.start(1200, rate=200, max_txn_size=20)
    c.wait_progress(200, 60, "before the freeze")

    kafka.freeze(1)
    try:
        # Changes committed in PostgreSQL after the broker froze: read, not committed to Kafka.
        seq = c.workload.last_seq
        wait_until(lambda: c.workload.last_seq >= seq + 100 or c.workload.done.is_set(), 60,
                   "changes while Kafka is frozen")
        # Ends by itself before the deadline (sigterm() raises TimeoutError and kills it otherwise).
        code = daemon.sigterm(timeout=SHUTDOWN_MS / 1000 + MARGIN_S)
    finally:
        kafka.thaw(1)
    log = daemon.current_run_stderr()
    assert code == 1, f"SIGTERM with Kafka frozen exited {code}:\n{log[-3000:]}"
    lost = [line for line in log.splitlines() if "nothing is lost" in line]
    assert lost and any(re.search(r"resumes from the last committed checkpoint, LSN [0-9A-F]+/[0-9A-F]+", line)
                        for line in lost), log[-3000:]
    print("exit lines:", lost)

    c.workload.join(timeout=120)
    daemon.start()
    c.wait_emitted(c.workload.log[-1], 120, "after Kafka came back")
    assert daemon.sigterm(timeout=SHUTDOWN_MS / 1000 + MARGIN_S) == 0
    c.verify()
