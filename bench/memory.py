#!/usr/bin/python3
"""Memory: tributary's peak RSS while streaming one huge source transaction and while snapshotting.

Issue 10's memory case: peak RSS must be bounded by configuration (Kafka batch bytes, snapshot
chunk rows), not by data size. Two cases, each on its own table in one PostgreSQL 15, one real
single-node Kafka:
  stream    one source transaction of --stream-rows inserts (narrow table: bigint key, text),
            streamed by a pipeline that is already streaming (snapshot of the empty table done)
  snapshot  the initial snapshot of --snapshot-rows rows of mixed types (bench/pg_snapshot.py's
            table), snapshot.parallelism --parallelism
Readers, one after the other, each alone:
  baseline   stream: bench/bare_pgoutput.c (libpq, counts and acknowledges); snapshot: psql
             COPY ... TO STDOUT (text) into /dev/null: the least a reader holds
  tributary  exactly-once into Kafka, defaults but for the options printed
  debezium   (--readers ...,debezium) Debezium 3.6.1.Final's embedded engine (harness JVM flags:
             512 MB heap), printing JSON lines, no Kafka; slow on 2 cores, so off by default
RSS is sampled every 20 ms from /proc/<pid>/status (VmRSS) and the kernel's high-water mark
(VmHWM) is read at the end; `idle` is tributary's RSS once it streams with nothing to do.

Usage: bench/memory.py [--stream-rows 5000000] [--snapshot-rows 10000000] [--parallelism 2]
         [--cases stream,snapshot] [--readers baseline,tributary]
BUILD_DIR (default ./build) or TRIBUTARY_BIN names the tributary binary.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from common import (TRIBUTARY, CountingDebezium, build_bare_reader, commit, kafka_server,  # noqa: E402
                    load, machine, read_checkpoint, wait_for)
from pg_snapshot import FILL as SNAPSHOT_FILL, TABLE as SNAPSHOT_TABLE  # noqa: E402
from tributary_testing.daemon import Daemon, daemon_config, pipeline_config  # noqa: E402
from tributary_testing.pgserver import PgServer  # noqa: E402
from tributary_testing.util import free_port  # noqa: E402

STREAM_TABLE = "CREATE TABLE narrow (id bigint PRIMARY KEY, v text NOT NULL)"
STREAM_FILL = "INSERT INTO narrow SELECT g, 'value-' || g FROM generate_series(1, %s) g"


def status_kb(pid, field):
    """A /proc/<pid>/status field in kB (VmRSS, VmHWM); None once the process is gone."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError):
        return None
    return None


class RssSampler:
    """Samples a process's VmRSS every 20 ms on a thread; `peak_mb` is the largest sample."""

    def __init__(self, pid):
        self.pid, self.peak_kb, self._stop = pid, 0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            kb = status_kb(self.pid, "VmRSS")
            if kb is None:
                return
            self.peak_kb = max(self.peak_kb, kb)
            self._stop.wait(0.02)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    @property
    def peak_mb(self):
        return self.peak_kb / 1024


# ---- stream case ----------------------------------------------------------------------------------

def stream_baseline(ctx):
    slot = "bare_memory"
    ctx.pg.execute("SELECT pg_create_logical_replication_slot(%s, 'pgoutput')", (slot,))
    conninfo = (f"host={ctx.pg.host} port={ctx.pg.port} dbname=bench user={ctx.pg.user} "
                f"password={ctx.pg.password}")
    proc = subprocess.Popen([ctx.bare, conninfo, slot, "memory_narrow", str(ctx.stream_rows)],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    with RssSampler(proc.pid) as sampler:
        started = time.monotonic()
        ctx.pg.execute(STREAM_FILL, (ctx.stream_rows,))
        proc.stdout.readline()  # the reader counted every change
        seconds = time.monotonic() - started
        hwm = status_kb(proc.pid, "VmHWM") or 0
    proc.stdin.close()
    proc.wait(timeout=60)
    ctx.pg.execute("TRUNCATE narrow")
    drop_slot(ctx.pg, slot)
    return dict(rows=ctx.stream_rows, seconds=seconds, peak=max(sampler.peak_mb, hwm / 1024),
                idle=None, note="libpq, counts and acknowledges")


def drop_slot(pg, slot):
    """Drops `slot` once its walsender let go of it (it lingers a moment after the reader exits)."""
    wait_for(lambda: not pg.execute("SELECT active FROM pg_replication_slots WHERE slot_name = %s",
                                    (slot,))[0][0], 60, f"slot {slot} inactive", interval=0.05)
    pg.execute("SELECT pg_drop_replication_slot(%s)", (slot,))


def tributary_daemon(ctx, name, table, snapshot):
    workdir = tempfile.mkdtemp(prefix=f"tributary-{name}-", dir=ctx.work)
    pipeline = pipeline_config(ctx.pg, name=name, database="bench", topic_prefix=name,
                               tables={"include": [f"public\\.{table}"], "exclude": []},
                               snapshot=snapshot, envelope={"schemas": False})
    config = daemon_config([pipeline], ctx.kafka.bootstrap_servers, os.path.join(workdir, "offsets"),
                           log_level="warn", kafka={"topics": ctx.topics_config},
                           http={"listen": f"127.0.0.1:{free_port()}"})
    daemon = Daemon(workdir, config, name="tributary", binary=TRIBUTARY)
    return daemon, os.path.join(workdir, "offsets", f"{name}.offsets")


def stream_tributary(ctx):
    name = "memory_stream"
    daemon, checkpoint = tributary_daemon(ctx, name, "narrow", {"mode": "initial"})
    daemon.start(wait_ready=True)
    try:
        wait_for(lambda: (read_checkpoint(checkpoint) or {}).get("snapshot_completed"), 120,
                 "the empty table's snapshot", lambda: daemon.check_running("streaming"), interval=0.05)
        idle = (status_kb(daemon.pid, "VmRSS") or 0) / 1024
        with RssSampler(daemon.pid) as sampler:
            started = time.monotonic()
            ctx.pg.execute(STREAM_FILL, (ctx.stream_rows,))
            wait_for(lambda: (daemon.metric("tributary_events_total", op="c") or 0) >= ctx.stream_rows,
                     7200, f"{ctx.stream_rows:,} events", lambda: daemon.check_running("the events"))
            wait_for(lambda: (daemon.metric("tributary_inflight_bytes") or 0) == 0, 600,
                     "the last commit", lambda: daemon.check_running("the last commit"))
            seconds = time.monotonic() - started
            hwm = status_kb(daemon.pid, "VmHWM") or 0
        commits = daemon.metric("tributary_kafka_commit_duration_seconds_count") or 0
    finally:
        daemon.stop()
    ctx.pg.execute("TRUNCATE narrow")
    drop_slot(ctx.pg, f"tributary_{name}")
    return dict(rows=ctx.stream_rows, seconds=seconds, peak=max(sampler.peak_mb, hwm / 1024),
                idle=idle, note=f"{commits:.0f} Kafka transactions; kafka.batch.max_bytes 16 MiB")


def stream_debezium(ctx):
    peer = CountingDebezium(
        connector="postgresql", host=ctx.pg.host, port=ctx.pg.port, user=ctx.pg.user,
        password=ctx.pg.password, database="bench", topic_prefix="dbz",
        tables_include=["public.narrow"], workdir=tempfile.mkdtemp(prefix="dbz-", dir=ctx.work),
        slot="dbz_memory", publication="dbz_memory")
    with peer:
        idle = (status_kb(peer._proc.pid, "VmRSS") or 0) / 1024
        with RssSampler(peer._proc.pid) as sampler:
            started = time.monotonic()
            ctx.pg.execute(STREAM_FILL, (ctx.stream_rows,))
            peer.wait_count(ctx.stream_rows, timeout=7200)
            seconds = time.monotonic() - started
            hwm = status_kb(peer._proc.pid, "VmHWM") or 0
    ctx.pg.execute("TRUNCATE narrow")
    drop_slot(ctx.pg, "dbz_memory")
    return dict(rows=ctx.stream_rows, seconds=seconds, peak=max(sampler.peak_mb, hwm / 1024),
                idle=idle, note="JVM, -Xmx512m, no Kafka")


# ---- snapshot case --------------------------------------------------------------------------------

def snapshot_baseline(ctx):
    env = dict(os.environ, PGPASSWORD=ctx.pg.password)
    with open(os.devnull, "wb") as sink:
        proc = subprocess.Popen(["psql", "-h", ctx.pg.host, "-p", str(ctx.pg.port), "-U",
                                 ctx.pg.user, "-d", "bench", "-X", "-q", "-c",
                                 "COPY mixed TO STDOUT"], stdout=sink, env=env)
        with RssSampler(proc.pid) as sampler:
            started = time.monotonic()
            proc.wait(timeout=7200)
            seconds = time.monotonic() - started
    return dict(rows=ctx.snapshot_rows, seconds=seconds, peak=sampler.peak_mb, idle=None,
                note="psql COPY (text) to /dev/null")


def snapshot_tributary(ctx):
    name = "memory_snapshot"
    daemon, checkpoint = tributary_daemon(ctx, name, "mixed",
                                          {"mode": "initial", "parallelism": ctx.parallelism})
    daemon.start(wait_ready=False)
    try:
        with RssSampler(daemon.pid) as sampler:
            started = time.monotonic()
            wait_for(lambda: (read_checkpoint(checkpoint) or {}).get("snapshot_completed"), 7200,
                     "the snapshot's end", lambda: daemon.check_running("the snapshot's end"))
            seconds = time.monotonic() - started
            hwm = status_kb(daemon.pid, "VmHWM") or 0
        idle = (status_kb(daemon.pid, "VmRSS") or 0) / 1024
        rows = daemon.metric("tributary_snapshot_rows_total") or 0
    finally:
        daemon.stop()
    drop_slot(ctx.pg, f"tributary_{name}")
    return dict(rows=rows, seconds=seconds, peak=max(sampler.peak_mb, hwm / 1024), idle=idle,
                note=f"parallelism {ctx.parallelism}, chunk_rows 8096; RSS after it: idle column")


def snapshot_debezium(ctx):
    peer = CountingDebezium(
        connector="postgresql", host=ctx.pg.host, port=ctx.pg.port, user=ctx.pg.user,
        password=ctx.pg.password, database="bench", topic_prefix="dbz",
        tables_include=["public.mixed"], workdir=tempfile.mkdtemp(prefix="dbz-", dir=ctx.work),
        slot="dbz_memory_snapshot", publication="dbz_memory_snapshot")
    with peer:
        with RssSampler(peer._proc.pid) as sampler:
            started = time.monotonic()
            peer.wait_count(ctx.snapshot_rows, timeout=7200)
            seconds = time.monotonic() - started
            hwm = status_kb(peer._proc.pid, "VmHWM") or 0
    drop_slot(ctx.pg, "dbz_memory_snapshot")
    return dict(rows=ctx.snapshot_rows, seconds=seconds, peak=max(sampler.peak_mb, hwm / 1024),
                idle=None, note="JVM, -Xmx512m, no Kafka")


class Context:
    pass


def print_table(case, results):
    print(f"\n### {case}\n")
    print("| reader | rows | seconds | peak RSS MB | idle RSS MB | load 1m (before/after) | note |")
    print("|---|---|---|---|---|---|---|")
    for r in results:
        idle = f"{r['idle']:.1f}" if r.get("idle") is not None else "-"
        print(f"| {r['reader']} | {r['rows']:,.0f} | {r['seconds']:.1f} | {r['peak']:.1f} | {idle} | "
              f"{r['load']} | {r['note']} |")
    peaks = {r["reader"]: r["peak"] for r in results}
    if "tributary" in peaks:
        ratios = [f"tributary/{other} = {peaks['tributary'] / peaks[other]:.2f}"
                  for other in ("baseline", "debezium") if peaks.get(other)]
        target = "target <= 128 MB: " + ("met" if peaks["tributary"] <= 128 else
                                          f"missed by {peaks['tributary'] - 128:.1f} MB")
        print("\npeak RSS ratios: " + "; ".join(ratios + [target]))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--stream-rows", type=int, default=5_000_000)
    parser.add_argument("--snapshot-rows", type=int, default=10_000_000)
    parser.add_argument("--parallelism", type=int, default=2)
    parser.add_argument("--cases", default="stream,snapshot")
    parser.add_argument("--readers", default="baseline,tributary")
    args = parser.parse_args()
    cases, readers = args.cases.split(","), args.readers.split(",")
    ctx = Context()
    ctx.stream_rows, ctx.snapshot_rows, ctx.parallelism = (args.stream_rows, args.snapshot_rows,
                                                           args.parallelism)
    ctx.work = tempfile.mkdtemp(prefix="tributary-bench-memory-")
    ctx.bare = build_bare_reader(ctx.work)
    server, _, ctx.topics_config = kafka_server("real", ctx.work)
    print(f"machine: {machine()}; commit {commit()}; binary {TRIBUTARY}")
    print(f"command: {' '.join(sys.argv)}")
    with PgServer(database="bench") as pg, server as kafka:
        ctx.pg, ctx.kafka = pg, kafka
        print(f"kafka: Apache Kafka {kafka.version} (1 node, KRaft); PostgreSQL 15 (harness PgServer)")
        runs = {"stream": {"baseline": stream_baseline, "tributary": stream_tributary,
                           "debezium": stream_debezium},
                "snapshot": {"baseline": snapshot_baseline, "tributary": snapshot_tributary,
                             "debezium": snapshot_debezium}}
        if "stream" in cases:
            pg.execute(STREAM_TABLE + "; ALTER TABLE narrow OWNER TO cdc; "
                       "CREATE PUBLICATION memory_narrow FOR TABLE narrow")
        if "snapshot" in cases:
            pg.execute(SNAPSHOT_TABLE + "; ALTER TABLE mixed OWNER TO cdc")
            started = time.monotonic()
            for first in range(1, args.snapshot_rows + 1, 200_000):
                pg.execute(SNAPSHOT_FILL, (first, min(args.snapshot_rows, first + 199_999)))
            pg.execute("VACUUM ANALYZE mixed")
            size = pg.execute("SELECT pg_size_pretty(pg_total_relation_size('mixed'))")[0][0]
            print(f"table mixed: {args.snapshot_rows:,} rows, {size}, written in "
                  f"{time.monotonic() - started:.1f} s")
        for case in cases:
            results = []
            for reader in readers:
                before = load()
                r = runs[case][reader](ctx)
                r["reader"], r["load"] = reader, f"{before}/{load()}"
                print(f"  {case} {reader}: peak {r['peak']:.1f} MB, {r['seconds']:.1f} s",
                      file=sys.stderr, flush=True)
                results.append(r)
            title = (f"stream: one transaction of {args.stream_rows:,} inserts" if case == "stream"
                     else f"snapshot: {args.snapshot_rows:,} rows, parallelism {args.parallelism}")
            print_table(title, results)


if __name__ == "__main__":
    main()
