"""kill -9 the daemon at random moments (snapshot, streaming, inside a large source transaction); restart.

Against a real Apache Kafka (KRaft, one node; read_committed Collector): an aborted or abandoned
Kafka transaction must stay invisible, so every committed event counts. (An abandoned transaction of
a killed daemon is aborted by the broker when the restarted daemon's producer calls
InitProducerId with the same transactional.id.)

A seeded workload commits mixed inserts/updates/deletes in transactions of varying size, some larger
than `kafka.batch.max_events` (so Kafka transactions end inside source transactions), from before the
first start to the end. Each iteration picks a moment, waits for a condition that marks it, with a
random count, kills the daemon with SIGKILL and restarts it at once:

- snapshot: N Kafka transactions of this snapshot attempt committed (the daemon's /metrics, polled
  by a separate killer process: a 20k-row snapshot is over in well under a second);
- startup / streaming: K streamed events collected since the restart;
- big_txn: a source transaction of 4-10 batches committed, and a new checkpoint inside it with at
  least M of its events emitted (the checkpoint file; Kafka transactions end inside it).

What was hit is recorded per iteration from the facts: the restart retook the snapshot, or the
checkpoint at the kill was inside a source transaction (partial_events), or between transactions.
At the end the daemon catches up and the verifier checks, with several snapshot attempts allowed
(a kill during the snapshot retakes it): every streamed change exactly once, per-key order, the
last snapshot attempt equals the state at the streaming boundary, the replay equals the table.

The same test runs for a MySQL pipeline on the session's MariaDB (`source` = mysql), with fewer
iterations: a snapshot attempt is then told apart by its binlog point (the `snapshot of ... at
FILE:POS` log line, `source.file`/`source.pos` of its rows), and a "restart" re-reads the binlog
from the checkpoint's file/position (inside a transaction: its start, skipping the events emitted).

Environment: TRIBUTARY_CRASH_SEED (default: random, printed), TRIBUTARY_CRASH_ITERATIONS (default 20;
MySQL: TRIBUTARY_CRASH_MYSQL_ITERATIONS, default 5), TRIBUTARY_CRASH_ROWS (preloaded rows, default 20000), TRIBUTARY_CRASH_SUMMARY (a file that receives
the JSON summary of the PostgreSQL run, for scripts/soak.sh; the MySQL run's goes to <file>.mysql), TRIBUTARY_CRASH_PLANT=duplicate|loss (plants one fault in
the collected events before the check, to see the test fail).
"""

import collections
import dataclasses
import json
import os
import queue
import random
import re
import subprocess
import threading
import time
import warnings

import pytest

from tributary_testing.feed import EventFeed, change_matcher
from tributary_testing.sources import items_source
from tributary_testing.util import Deadline, wait_until
from tributary_testing.verifier import ITEMS_FIELD_SCHEMAS, verify_exactly_once
from tributary_testing.workload import Workload, create_items_table, preload_items, read_rows

PREFIX = "shop"
OFFSETS_TOPIC = "tributary.offsets"
MAX_EVENTS = 500   # kafka.batch.max_events: many source transactions are larger
MAX_MS = 20        # kafka.batch.max_ms
CHUNK_ROWS = 500   # snapshot.chunk_rows (PostgreSQL: a killed snapshot resumes after its last chunk)
RATE = 1200        # workload changes per second (pacing only)
WAIT = 120         # deadline of each condition, seconds
CATCH_UP = 120     # deadline of the final catch-up, seconds


def _env_int(name, default):
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


class Driver:
    """Commits the seeded workload's transactions on one thread (so seq order is commit order).

    Sizes: mostly 1-5, some 6-50, some 51-300, a few 501-1500 (larger than a Kafka batch). `big(n)`
    queues a transaction of n changes and returns its Changes once committed.
    """

    def __init__(self, workload, seed, rate=RATE):
        self.workload = workload
        self.rng = random.Random(seed)
        self.rate = rate
        self.committed = 0
        self.big_count = 0
        self._requests = queue.Queue()
        self._stop = threading.Event()
        self._paused = threading.Event()
        self._idle = threading.Event()
        self._error = None
        self._thread = threading.Thread(target=self._run, name="crash-workload", daemon=True)

    def start(self):
        self._thread.start()
        return self

    def _size(self):
        pick = self.rng.random()
        if pick < 0.70:
            return self.rng.randint(1, 5)
        if pick < 0.90:
            return self.rng.randint(6, 50)
        if pick < 0.985:
            return self.rng.randint(51, 300)
        self.big_count += 1
        return self.rng.randint(MAX_EVENTS + 1, 3 * MAX_EVENTS)

    def _run(self):
        started = time.monotonic()
        try:
            while not self._stop.is_set():
                try:
                    size, reply = self._requests.get_nowait()
                except queue.Empty:
                    size, reply = None, None
                if reply is None and self._paused.is_set():
                    self._idle.set()
                    self._stop.wait(0.02)  # idle poll for requests, not synchronization
                    continue
                self._idle.clear()
                if reply is not None:
                    changes = self.workload.transaction(size)
                    self.big_count += 1
                    reply.put(changes)
                else:
                    changes = self.workload.transaction(self._size())
                self.committed += len(changes)
                ahead = self.committed / self.rate - (time.monotonic() - started)
                if ahead > 0:
                    self._stop.wait(ahead)  # pacing
                else:
                    started = time.monotonic() - self.committed / self.rate  # no catch-up bursts
        except BaseException as e:  # reported by check()
            self._error = e
            self._idle.set()

    def check(self):
        if self._error is not None:
            raise RuntimeError(f"the workload failed: {self._error!r}") from self._error
        return True

    def big(self, size, timeout=WAIT):
        reply = queue.Queue()
        self._requests.put((size, reply))
        deadline = Deadline(timeout)
        while True:
            self.check()
            try:
                return reply.get(timeout=min(0.5, max(0.01, deadline.remaining())))
            except queue.Empty:
                if deadline.expired():
                    raise TimeoutError(f"the workload did not commit a transaction of {size} changes "
                                       f"within {timeout}s")

    def pause(self, timeout=WAIT):
        """Stops committing (after the transaction in progress); returns when idle."""
        self._paused.set()
        wait_until(lambda: self.check() and self._idle.is_set(), timeout, "the workload to go idle")

    def stop(self):
        self._stop.set()
        self._thread.join(timeout=60)


class Tracker:
    """Counts what the collector has seen: r events per snapshot attempt (PostgreSQL: source.lsn;
    MySQL: source file/pos), streamed events."""

    def __init__(self, feed, source):
        self.feed = feed
        self.source = source
        self.r_by_lsn = collections.Counter()
        self.last_marker_lsns = set()
        self.streamed = 0
        self.watch = None          # identities (key, op, version) of a transaction being watched
        self.watch_seen = 0

    def poll(self):
        for event in self.feed.poll():
            if event.tombstone:
                continue
            if event.op == "r":
                lsn = self.source.event_attempt(event)
                self.r_by_lsn[lsn] += 1
                if event.snapshot == "last":
                    self.last_marker_lsns.add(lsn)
            else:
                self.streamed += 1
                if self.watch is not None:
                    image = event.before if event.op == "d" else event.after
                    version = image.get("version") if isinstance(image, dict) else None
                    if (event.key.get("id"), event.op, version) in self.watch:
                        self.watch_seen += 1

    def wait(self, condition, what, daemon, timeout=WAIT):
        def check():
            daemon.check_running(what)
            self.poll()
            return condition()
        self.feed.collector.wait_for(check, timeout, what)


def _read_checkpoint(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (FileNotFoundError, ValueError):
        return None


class Run:
    """One start of the daemon and whether it snapshots (its consistent point: the slot's LSN, or
    the binlog point)."""

    def __init__(self, daemon, source, checkpoint_path=None):
        def checkpoint_state():
            checkpoint = _read_checkpoint(checkpoint_path) if checkpoint_path else None
            return "snapshot" if checkpoint and checkpoint.get("snapshot_completed") is False else ""

        # No wait for /readyz (polled with back-off): a snapshot may be over before it answers.
        daemon.start(wait_ready=False)

        def mode_known():
            daemon.check_running("the snapshot or streaming log line")
            text = daemon.current_run_stderr()
            if checkpoint_state():  # the snapshot resumes, or is taken anew (no chunk recorded)
                return "unfinished tables" in text or bool(source.snapshot_started.search(text))
            return bool(source.snapshot_started.search(text) or source.streaming_started.search(text))

        _poll_until(mode_known, WAIT, lambda: f"the daemon to snapshot or stream\n{daemon.stderr_tail(30)}")
        self.attempt = source.snapshot_attempt(daemon.current_run_stderr())
        # An interrupted chunked snapshot resumed while streaming (no new slot, no new attempt).
        self.resumed = "unfinished tables are read in chunks" in daemon.current_run_stderr()
        _poll_until(lambda: daemon.check_running("/healthz") and daemon.http_get("/healthz")[0] == 200,
                    WAIT, lambda: f"/healthz of the daemon\n{daemon.stderr_tail(30)}")


# Kills a process when the daemon's committed-transactions counter reaches a target or its checkpoint
# says the snapshot is complete. A separate process: the test process (collector thread decoding
# thousands of records) answers too late for a snapshot that is over in a few hundred milliseconds.
_KILLER = r"""
import json, os, re, signal, sys, time, urllib.request
pid, port, target, checkpoint, timeout = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4], float(sys.argv[5])
pattern = re.compile(r'^tributary_kafka_transactions_total\{[^}]*result="committed"[^}]*\} ([0-9.e+]+)$', re.M)
deadline = time.monotonic() + timeout
while time.monotonic() < deadline:
    try:
        with open("/proc/%d/stat" % pid) as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
    except OSError:
        state = "gone"
    if state in ("Z", "X", "gone"):
        print("the daemon exited by itself")
        sys.exit(4)
    try:
        body = urllib.request.urlopen("http://127.0.0.1:%s/metrics" % port, timeout=1).read().decode()
    except Exception:
        body = ""
    match = pattern.search(body)
    committed = int(float(match.group(1))) if match else 0
    try:
        with open(checkpoint) as f:
            done = bool(json.load(f).get("snapshot_completed"))
    except Exception:
        done = False
    if committed >= target or done:
        os.kill(pid, signal.SIGKILL)
        print("committed=%d snapshot_completed=%s" % (committed, done))
        sys.exit(0)
    time.sleep(0.002)
sys.exit(3)
"""


def _kill_when_committed(daemon, target, checkpoint_path, timeout=WAIT):
    """SIGKILLs the daemon once it committed `target` Kafka transactions (or ended its snapshot)."""
    killer = subprocess.run(["/usr/bin/python3", "-c", _KILLER, str(daemon.pid), str(daemon.http_port),
                             str(target), checkpoint_path, str(timeout)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            timeout=timeout + 30)
    if killer.returncode != 0:
        daemon.check_running(f"{target} committed Kafka transactions")
        raise TimeoutError(f"the daemon did not commit {target} Kafka transactions within {timeout}s "
                           f"({killer.stdout.strip()})\n{daemon.stderr_tail(30)}")
    return killer.stdout.strip()


def _plan(rng, iterations):
    """Moment kinds per iteration: first 1-3 (10% of a long run) kills during the snapshot."""
    snapshot_kills = min(iterations, max(rng.randint(1, 3), iterations // 10))
    kinds = ["snapshot"] * snapshot_kills
    for _ in range(iterations - snapshot_kills):
        pick = rng.random()
        kinds.append("startup" if pick < 0.15 else "streaming" if pick < 0.55 else "big_txn")
    return kinds


@pytest.mark.parametrize("source_kind", ["postgres", "mysql"])
def test_kill9_at_random_moments_loses_and_duplicates_nothing(env, request, source_kind):
    seed = _env_int("TRIBUTARY_CRASH_SEED", random.SystemRandom().randrange(1, 2**31))
    if source_kind == "mysql":
        iterations = _env_int("TRIBUTARY_CRASH_MYSQL_ITERATIONS", 5)
    else:
        iterations = _env_int("TRIBUTARY_CRASH_ITERATIONS", 20)
    rows = _env_int("TRIBUTARY_CRASH_ROWS", 20_000)
    print(f"kill -9 test ({source_kind}): seed {seed} (TRIBUTARY_CRASH_SEED), {iterations} iterations, "
          f"{rows} rows", flush=True)
    rng = random.Random(seed)

    source = items_source(source_kind, env, request)
    db = source.db
    items_topic = source.topic(PREFIX)
    conn = source.connect()
    create_items_table(conn)
    initial = preload_items(conn, rows)

    kafka = env.kafka(topics={items_topic: 8, OFFSETS_TOPIC: 1})
    collector = env.collector(kafka, topics=[items_topic, OFFSETS_TOPIC])
    feed = EventFeed(collector, items_topic, field_schemas=ITEMS_FIELD_SCHEMAS)
    tracker = Tracker(feed, source)
    pipeline = {"envelope": {"schemas": False, "tombstones_on_delete": True}}
    if source_kind == "postgres":
        # Chunks of one Kafka batch: a kill lands between chunks, and the restart resumes there.
        pipeline["snapshot"] = {"chunk_rows": CHUNK_ROWS}
    config = source.config(kafka, PREFIX, max_events=MAX_EVENTS, max_ms=MAX_MS, pipeline=pipeline)
    daemon = env.daemon(config)
    checkpoint_path = os.path.join(env.workdir, "offsets", f"{PREFIX}.offsets")

    workload = Workload(lambda: source.connect(autocommit=False), initial, seed=seed)
    env.workloads.append(workload)
    driver = Driver(workload, seed + 1).start()
    moments = []
    summary = {"seed": seed, "iterations": iterations, "source": source_kind, "events": 0, "lost": None,
               "duplicated": None}
    try:
        # The workload runs from before the first start: its early changes are folded into a snapshot.
        wait_until(lambda: driver.check() and workload.last_seq >= 50, WAIT, "the workload to start")
        run = Run(daemon, source, checkpoint_path)
        for iteration, kind in enumerate(_plan(rng, iterations)):
            record, run = _one_iteration(iteration, kind, rng, daemon, run, driver, tracker,
                                         checkpoint_path, rows, source)
            moments.append(record)
            print(_describe(record), flush=True)
        daemon.wait_ready()
        # Some changes after the last restart's slot exists (streamed, not in a retaken snapshot), so
        # that the last change is a streamed one even when the last kill retook the snapshot.
        seq = workload.last_seq
        wait_until(lambda: driver.check() and workload.last_seq >= seq + 50, WAIT,
                   "the workload to commit 50 changes after the last restart")

        # Catch up: no more changes, the last one collected, then a clean stop.
        driver.pause()
        driver.check()
        last = workload.log[-1]
        caught_up = None
        try:
            tracker.poll()  # the tracker polls the feed: look at what it has, then wait for more
            if not any(change_matcher(last)(e) for e in feed.events):
                feed.wait_for(change_matcher(last), CATCH_UP, f"the workload's last change (seq {last.seq})")
        except TimeoutError as e:  # verified below anyway: the report says what is missing
            caught_up = e
        # A snapshot the last kill interrupted resumes in this run: the rows it has not read yet
        # are not in the topics until it finishes (stopping earlier loses nothing: the next start
        # would resume it), so the verification waits for the checkpoint to say it finished.
        wait_until(lambda: daemon.check_running("the resumed snapshot's end") and bool(
            (_read_checkpoint(checkpoint_path) or {}).get("snapshot_completed", True)),
            CATCH_UP, "the snapshot to finish (checkpoint snapshot_completed)")
        final = read_rows(conn)
        code = daemon.sigterm(timeout=60)
        assert code == 0, f"final SIGTERM: exit code {code}\n{daemon.stderr_tail(60)}"
        collector.wait_caught_up(timeout=60)
        feed.poll()

        events = _plant(feed.events, os.environ.get("TRIBUTARY_CRASH_PLANT", ""), rng)
        if any(m.get("hit", "").startswith("snapshot (resumed") for m in moments):
            # A resumed snapshot (DBLog): its chunks' rows are read after streaming resumed.
            stats = _verify_resumed(events, workload.log, final)
            summary.update(events=stats["streamed"] + stats["snapshot_rows"], lost=stats["missing"],
                           duplicated=stats["duplicated"], problems=stats["problems"],
                           streamed=stats["streamed"], snapshot_attempts=1,
                           stale_snapshot_keys=stats["stale_snapshot_keys"],
                           snapshot_rows_read_twice=stats["snapshot_rows_read_twice"],
                           snapshot_resumes=stats["snapshot_resumes"], s_star=stats["s_star"])
            print("verification:", stats, flush=True)
            if caught_up is not None and not stats["problem_list"]:
                raise caught_up
            assert not stats["problem_list"], "\n".join(stats["problem_list"][:40])
            return _after_verification(summary, collector, daemon, iterations, seed, driver, moments)
        result = verify_exactly_once(events, workload.log, initial, final, topic_prefix=PREFIX,
                                     schemas=False, snapshot_attempts=True, **source.verify_kwargs(),
                                     partitions=collector.partition_count(items_topic))
        stats = result.stats
        summary.update(events=stats["streamed"] + stats["snapshot_rows"] + stats["earlier_snapshot_rows"],
                       lost=stats["missing"] + stats["snapshot_missing"],
                       duplicated=stats["problems"].get("duplicate", 0),
                       problems=stats["problems"], streamed=stats["streamed"],
                       snapshot_attempts=stats["snapshot_attempts"],
                       stale_snapshot_keys=stats["stale_snapshot_keys"], s_star=stats["s_star"])
        print("verification:", stats, flush=True)
        if caught_up is not None and result.ok:
            raise caught_up
        result.raise_if_failed()
    finally:
        driver.stop()
        summary["moments"] = collections.Counter(m["hit"] for m in moments if "hit" in m)
        _write_summary(summary, moments)
    _after_verification(summary, collector, daemon, iterations, seed, driver, moments)


def _after_verification(summary, collector, daemon, iterations, seed, driver, moments):
    driver.stop()
    summary["moments"] = collections.Counter(m["hit"] for m in moments if "hit" in m)
    _write_summary(summary, moments)
    # The offsets topic holds committed records keyed by the pipeline name.
    offsets = collector.records(OFFSETS_TOPIC)
    assert offsets and {r.key for r in offsets} == {PREFIX.encode()}, {r.key for r in offsets}
    assert daemon.exit_codes[:-1] == [-9] * (daemon.starts - 1), daemon.exit_codes
    hits = summary["moments"]
    print("moments hit:", dict(hits), flush=True)
    if iterations >= 5:
        for wanted in ("snapshot", "inside a source transaction"):
            if not any(h.startswith(wanted) for h in hits):
                warnings.warn(f"no kill landed {wanted!r} this time (seed {seed})")


def _poll_until(condition, timeout, what):
    """A tight poll (a few ms) for moments that pass quickly; still a condition with a deadline."""
    return wait_until(condition, timeout, what, interval=0.004, max_interval=0.004)


def _one_iteration(iteration, kind, rng, daemon, run, driver, tracker, checkpoint_path, rows, source):
    """Waits for a moment of `kind`, kills the daemon, restarts it; returns (what was hit, new Run).

    Moments that pass in a fraction of a second (the snapshot, one large source transaction) are
    taken from the daemon's commit counter and its checkpoint file, which have no consumer lag; the
    others from what the collector has seen.
    """
    tracker.poll()
    attempt = run.attempt
    record = {"iteration": iteration, "kind": kind, "pid": daemon.pid}
    streamed_at_start = tracker.streamed

    def snapshot_done():
        if run.resumed:
            checkpoint = _read_checkpoint(checkpoint_path)
            return bool(checkpoint and checkpoint.get("snapshot_completed"))
        if attempt is None or attempt in tracker.last_marker_lsns:
            return True
        checkpoint = _read_checkpoint(checkpoint_path)
        return bool(checkpoint and checkpoint.get("snapshot_completed"))

    def running(what):
        return daemon.check_running(what) and driver.check()

    if kind == "snapshot" and (attempt is not None or run.resumed) and not snapshot_done():
        # The daemon's own counter, polled by a separate process that sends the SIGKILL.
        target = rng.randint(1, max(1, rows // MAX_EVENTS - 2))
        name = "resumed while streaming" if run.resumed else f"at {_attempt_name(attempt)}"
        record["condition"] = f"{target} Kafka transactions of the snapshot {name} committed"
        record["killer"] = _kill_when_committed(daemon, target, checkpoint_path)
    else:
        if kind == "snapshot":
            kind = record["kind"] = "streaming"  # the snapshot was complete: nothing left to cut
        tracker.wait(snapshot_done, "the end of the snapshot", daemon)
        if kind == "startup":
            target = rng.randint(0, 20)
            record["condition"] = f"{target} streamed events collected after the restart"
            tracker.wait(lambda: tracker.streamed - streamed_at_start >= target, record["condition"], daemon)
        elif kind == "streaming":
            target = rng.randint(1, 2500)
            record["condition"] = f"{target} streamed events collected after the restart"
            tracker.wait(lambda: tracker.streamed - streamed_at_start >= target, record["condition"], daemon)
        else:  # big_txn: a source transaction of several Kafka batches, cut after M of its events
            size = rng.randint(4 * MAX_EVENTS, 10 * MAX_EVENTS)
            target = rng.randint(1, size - 2 * MAX_EVENTS)
            stale = _read_checkpoint(checkpoint_path)
            changes = driver.big(size)
            tracker.watch = {(c.key, c.op, c.version) for c in changes}
            tracker.watch_seen = 0
            record["condition"] = (f"a new checkpoint inside a source transaction with >= {target} events "
                                   f"emitted (of {len(changes)}, seq {changes[0].seq}-{changes[-1].seq})")

            def inside():
                checkpoint = _read_checkpoint(checkpoint_path) or {}
                if checkpoint != stale and checkpoint.get("partial_events", 0) >= target:
                    return True
                tracker.poll()  # fallback: the transaction went by entirely
                return tracker.watch_seen >= len(changes)

            try:
                _poll_until(lambda: running(record["condition"]) and inside(), WAIT, record["condition"])
            finally:
                record["watch_seen"] = tracker.watch_seen
                tracker.watch = None

    tracker.poll()
    record["streamed_since_start"] = tracker.streamed - streamed_at_start
    record["commits_since_start"] = _committed_this_run(daemon, record.get("killer"))
    record["exit"] = daemon.kill9()  # already dead if the killer process struck
    assert record["exit"] == -9, f"kill -9 of pid {record['pid']}: exit code {record['exit']}"
    checkpoint = _read_checkpoint(checkpoint_path)
    position = (checkpoint or {}).get("position") or {}
    record["checkpoint"] = checkpoint and {
        "snapshot_completed": checkpoint.get("snapshot_completed"),
        "lsn": position.get("lsn"),
        "partial_commit_lsn": position.get("partial_commit_lsn"),
        "file": position.get("file"), "pos": position.get("pos"),
        "partial_events": checkpoint.get("partial_events")}
    run = Run(daemon, source, checkpoint_path)
    # What was hit: the restart retakes the snapshot iff it was not complete; the checkpoint
    # (Kafka's commit may be one batch further) says whether a source transaction was cut.
    if run.resumed:
        record["hit"] = "snapshot (resumed on restart)"
    elif run.attempt is not None:
        record["hit"] = "snapshot (retaken on restart)"
    elif kind == "snapshot":
        record["hit"] = "snapshot end (completed before the kill)"
    elif checkpoint and checkpoint.get("partial_events"):
        record["hit"] = "inside a source transaction"
    else:
        record["hit"] = "streaming, between source transactions"
    driver.check()
    return record, run


def _verify_resumed(events, log, final):
    """The checks of a run whose snapshot was resumed (DBLog: a chunk read after streaming resumed
    holds each key's state at its read, and the keys the stream changed inside its window are not
    in it): every streamed change from S* (the first one collected) on exactly once, in per-key
    order; at most one `r` per key (no chunk read again); replaying each key's records in
    partition order gives the table (a key whose last record is an `r` the table disagrees with
    is a stale snapshot key)."""
    by_identity = {(c.key, c.op, c.version): c for c in log}
    per_key = collections.defaultdict(list)
    for event in events:
        if not event.tombstone:
            per_key[event.key.get("id")].append(event)
    problems, seen, r_count, duplicated = [], {}, collections.Counter(), 0
    replayed = {}
    for key, sequence in per_key.items():
        last_seq = None
        for event in sequence:
            if event.op == "r":
                r_count[key] += 1
                replayed[key] = event.after
                continue
            image = event.before if event.op == "d" else event.after
            change = by_identity.get((key, event.op, (image or {}).get("version")))
            if change is None:
                problems.append(f"key {key}: {event.op} at {event.where} matches no workload change")
                continue
            if change.seq in seen:
                duplicated += 1
                problems.append(f"seq {change.seq} at {seen[change.seq].where} and {event.where}")
                continue
            seen[change.seq] = event
            if last_seq is not None and change.seq < last_seq:
                problems.append(f"key {key}: seq {change.seq} at {event.where} after seq {last_seq}")
            last_seq = change.seq
            if event.op == "d":
                replayed.pop(key, None)
            else:
                replayed[key] = event.after
    s_star = min(seen) if seen else (log[-1].seq + 1 if log else 1)
    missing = [c for c in log if c.seq >= s_star and c.seq not in seen]
    problems += [f"seq {c.seq} (key {c.key} {c.op} version {c.version}) never arrived" for c in missing]
    read_twice = sorted(k for k, n in r_count.items() if n > 1)
    problems += [f"key {k}: {r_count[k]} snapshot rows (a chunk read again)" for k in read_twice[:20]]
    stale = 0
    for key in set(replayed) | set(final):
        got, want = replayed.get(key), final.get(key)
        if (got is None) != (want is None) or (got and want and got.get("version") != want.get("version")):
            last = per_key.get(key, [None])[-1]
            stale += bool(last is not None and last.op == "r")
            problems.append(f"key {key}: replayed {got} but the table has {want}")
    return {"streamed": len(seen), "snapshot_rows": sum(r_count.values()), "missing": len(missing),
            "duplicated": duplicated, "snapshot_rows_read_twice": len(read_twice),
            "stale_snapshot_keys": stale, "s_star": s_star, "snapshot_resumes": None,
            "problems": len(problems), "problem_list": problems}


def _attempt_name(attempt):
    return f"binlog {attempt[0]}:{attempt[1]}" if isinstance(attempt, tuple) else f"lsn {attempt:X}"


def _committed_this_run(daemon, killer_output):
    """Kafka transactions the daemon committed since its start: its /metrics counter (a moment
    before the kill), or what the killer process saw when it struck (the daemon is gone)."""
    if daemon.running:
        try:
            return int(daemon.metric("tributary_kafka_transactions_total", result="committed"))
        except Exception:  # a diagnostic only: the HTTP thread may not answer in time
            pass
    match = re.search(r"committed=(\d+)", killer_output or "")
    return int(match.group(1)) if match else "?"


def _plant(events, what, rng):
    """TRIBUTARY_CRASH_PLANT=duplicate|loss: a fault planted in the collected events, to see the
    test fail (and the soak summary count it)."""
    if not what:
        return events
    streamed = [i for i, e in enumerate(events) if not e.tombstone and e.op in ("c", "u")]
    pick = streamed[rng.randrange(len(streamed))]
    if what == "duplicate":
        copy = dataclasses.replace(events[pick], offset=max(e.offset for e in events) + 1)
        print(f"planted: a duplicate of {events[pick].where}", flush=True)
        return events + [copy]
    if what == "loss":
        print(f"planted: the loss of {events[pick].where}", flush=True)
        return events[:pick] + events[pick + 1:]
    raise ValueError(f"TRIBUTARY_CRASH_PLANT={what!r}: expected duplicate or loss")


def _describe(m):
    cp = m.get("checkpoint") or {}
    partial = f", checkpoint partial {cp.get('partial_events')} events" if cp.get("partial_events") else ""
    snapshot = "" if cp.get("snapshot_completed", True) else ", checkpoint in the snapshot"
    if m.get("killer"):
        snapshot += f", killer saw {m['killer']}"
    return (f"iteration {m['iteration']:3d} {m['kind']:9s} kill -9 after {m['condition']}: hit "
            f"{m['hit']} (Kafka commits {m['commits_since_start']}, streamed events collected "
            f"{m['streamed_since_start']}{partial}{snapshot})")


def _write_summary(summary, moments):
    path = os.environ.get("TRIBUTARY_CRASH_SUMMARY")
    if not path:
        return
    if summary.get("source") != "postgres":  # scripts/soak.sh reads the PostgreSQL run's file
        path = f"{path}.{summary['source']}"
    with open(path, "w") as f:
        json.dump(dict(summary, moments=dict(summary["moments"]), log=[_describe(m) for m in moments
                                                                    if "hit" in m]), f, indent=1)
