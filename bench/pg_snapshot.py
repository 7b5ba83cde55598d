#!/usr/bin/python3
"""PostgreSQL initial snapshot: tributary beside COPY and Debezium, on the same table.

One table of mixed column types (bigint key, int, numeric(12,2), text, timestamptz, boolean,
float8, date, a nullable varchar) with --rows rows. Each reader reads it alone, one after the
other:
  copy_text     psql: COPY mixed TO STDOUT (text), output to /dev/null (the baseline)
  copy_binary   psql: COPY mixed TO STDOUT (FORMAT binary)
  debezium      Debezium 3.6.1.Final's embedded engine (the harness's DebeziumPeer), snapshot.mode
                initial: it prints JSON lines to stdout and writes no Kafka, so its rate is an upper
                bound for Debezium's
  tributary_pN  snapshot.parallelism N (--parallelism 1,2), schemas off/on (--schemas), exactly-once
                into Kafka, resumable chunks of snapshot.chunk_rows (default 8096)
Rates: COPY from start to end (whole command); Debezium and tributary from their first record to
their last (start-up not counted: the JVM start is in the note). CPU: user+sys seconds per million
rows of the reader process (psql, the JVM from its first record, tributary from its first row).
The load average is printed beside each row.

Usage: bench/pg_snapshot.py [--rows 1000000] [--parallelism 1,2] [--schemas off]
         [--readers copy_text,copy_binary,debezium,tributary] [--chunk-rows 8096]
BUILD_DIR (default ./build) or TRIBUTARY_BIN names the tributary binary.
"""

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from common import (TRIBUTARY, CountingDebezium, commit, cpu_seconds, kafka_server, load,  # noqa: E402
                    machine, read_checkpoint, watch)
from tributary_testing.daemon import Daemon, daemon_config, pipeline_config  # noqa: E402
from tributary_testing.pgserver import PgServer  # noqa: E402
from tributary_testing.util import free_port  # noqa: E402

TABLE = ("CREATE TABLE mixed (id bigint PRIMARY KEY, qty int NOT NULL, amount numeric(12,2), "
         "name text NOT NULL, created timestamptz NOT NULL, flag boolean, ratio float8, day date, "
         "note varchar(40))")
FILL = ("INSERT INTO mixed SELECT g, g %% 1000, (g %% 100000) / 100.0, 'name-' || g, "
        "timestamptz '2024-01-01' + g * interval '1 second', g %% 2 = 0, g / 7.0, "
        "date '2020-01-01' + (g %% 3000), CASE WHEN g %% 5 = 0 THEN NULL ELSE 'note ' || g END "
        "FROM generate_series(%s, %s) g")


def run_copy(ctx, binary):
    env = dict(os.environ, PGPASSWORD=ctx.pg.password)
    sql = "COPY mixed TO STDOUT" + (" (FORMAT binary)" if binary else "")
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    with open(os.devnull, "wb") as sink:
        subprocess.run(["psql", "-h", ctx.pg.host, "-p", str(ctx.pg.port), "-U", ctx.pg.user,
                        "-d", "bench", "-X", "-q", "-c", sql], stdout=sink, env=env, check=True)
    seconds = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - usage.ru_utime) + (after.ru_stime - usage.ru_stime)
    return dict(rows=ctx.rows, seconds=seconds, cpu=cpu, note="psql, output to /dev/null")


def run_debezium(ctx):
    workdir = tempfile.mkdtemp(prefix="debezium-snapshot-", dir=ctx.work)
    peer = CountingDebezium(
        connector="postgresql", host=ctx.pg.host, port=ctx.pg.port, user=ctx.pg.user,
        password=ctx.pg.password, database="bench", topic_prefix="dbz",
        tables_include=["public.mixed"], workdir=workdir, slot="dbz_snapshot",
        publication="dbz_snapshot")
    cpu_at_first = {}

    def on_line(line, now):
        if not cpu_at_first:
            cpu_at_first["cpu"] = cpu_seconds(peer._proc.pid)
    peer.on_line = on_line
    with peer:
        peer.wait_count(ctx.rows, timeout=7200)
        cpu = cpu_seconds(peer._proc.pid) - cpu_at_first["cpu"]
        seconds = peer.last_at - peer.first_at
        rows = peer.count
    ctx.pg.execute("SELECT pg_drop_replication_slot('dbz_snapshot')")
    return dict(rows=rows, seconds=seconds, cpu=cpu,
                note=f"JVM start to streaming {peer.startup_seconds:.1f} s")


def run_tributary(ctx, parallelism, schemas):
    name = f"snap_p{parallelism}_{'on' if schemas else 'off'}"
    workdir = tempfile.mkdtemp(prefix=f"tributary-{name}-", dir=ctx.work)
    pipeline = pipeline_config(ctx.pg, name=name, database="bench", topic_prefix=name,
                               tables={"include": ["public\\.mixed"], "exclude": []},
                               snapshot={"mode": "initial", "parallelism": parallelism,
                                         "chunk_rows": ctx.chunk_rows},
                               envelope={"schemas": schemas})
    config = daemon_config([pipeline], ctx.kafka.bootstrap_servers, os.path.join(workdir, "offsets"),
                           log_level="warn", kafka={"topics": ctx.topics_config},
                           http={"listen": f"127.0.0.1:{free_port()}"})
    daemon = Daemon(workdir, config, name="tributary", binary=TRIBUTARY)
    checkpoint = os.path.join(workdir, "offsets", f"{name}.offsets")
    daemon.start(wait_ready=False)
    try:
        first_at, cpu_at_first, done_at = watch(
            daemon, "tributary_snapshot_rows_total",
            lambda: (read_checkpoint(checkpoint) or {}).get("snapshot_completed"), 7200,
            "the snapshot's end")
        cpu = cpu_seconds(daemon.pid) - (cpu_at_first or 0.0)
        rows = daemon.metric("tributary_snapshot_rows_total") or 0
        commits = daemon.metric("tributary_kafka_commit_duration_seconds_count") or 0
        rss = _rss_mb(daemon.pid)
    finally:
        daemon.stop()
    if first_at is None:
        raise RuntimeError("tributary finished before its first row was seen: no rate")
    ctx.pg.execute("SELECT pg_drop_replication_slot(%s)", (f"tributary_{name}",))
    return dict(rows=rows, seconds=done_at - first_at, cpu=cpu,
                note=f"{commits:.0f} Kafka transactions, RSS {rss:.0f} MB at the end")


def _rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


class Context:
    pass


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--parallelism", default="1,2")
    parser.add_argument("--schemas", default="off")
    parser.add_argument("--readers", default="copy_text,copy_binary,debezium,tributary")
    parser.add_argument("--chunk-rows", type=int, default=8096)
    args = parser.parse_args()
    readers = args.readers.split(",")
    ctx = Context()
    ctx.rows, ctx.chunk_rows = args.rows, args.chunk_rows
    ctx.work = tempfile.mkdtemp(prefix="tributary-bench-snapshot-")
    server, label, ctx.topics_config = kafka_server("real", ctx.work)
    print(f"machine: {machine()}; commit {commit()}; binary {TRIBUTARY}")
    print(f"command: {' '.join(sys.argv)}")
    with PgServer(database="bench") as pg, server as kafka:
        ctx.pg, ctx.kafka = pg, kafka
        print(f"kafka: Apache Kafka {kafka.version} (1 node, KRaft); PostgreSQL 15 (harness "
              f"PgServer: fsync off); {args.rows:,} rows, chunk_rows {args.chunk_rows}")
        pg.execute(TABLE + "; ALTER TABLE mixed OWNER TO cdc")
        started = time.monotonic()
        step = 200_000
        for first in range(1, args.rows + 1, step):
            pg.execute(FILL, (first, min(args.rows, first + step - 1)))
        pg.execute("VACUUM ANALYZE mixed")
        size = pg.execute("SELECT pg_size_pretty(pg_total_relation_size('mixed'))")[0][0]
        print(f"table mixed: {args.rows:,} rows, {size}, written in {time.monotonic() - started:.1f} s\n")
        results = []
        plan = []
        if "copy_text" in readers:
            plan.append(("copy_text", lambda: run_copy(ctx, False)))
        if "copy_binary" in readers:
            plan.append(("copy_binary", lambda: run_copy(ctx, True)))
        if "debezium" in readers:
            plan.append(("debezium", lambda: run_debezium(ctx)))
        if "tributary" in readers:
            for p in (int(x) for x in args.parallelism.split(",")):
                for s in args.schemas.split(","):
                    plan.append((f"tributary_p{p}_{s}",
                                 lambda p=p, s=s: run_tributary(ctx, p, s == "on")))
        for reader, run in plan:
            load_before = load()
            r = run()
            r["reader"], r["load"] = reader, f"{load_before}/{load()}"
            print(f"  {reader}: {r['rows']:,.0f} rows in {r['seconds']:.2f} s", file=sys.stderr,
                  flush=True)
            results.append(r)
        print_table(results)


def print_table(results):
    print("| reader | rows | seconds | rows/s | reader CPU s/M rows | load 1m (before/after) | note |")
    print("|---|---|---|---|---|---|---|")
    rates = {}
    for r in results:
        rate = r["rows"] / r["seconds"] if r["seconds"] > 0 else float("inf")
        rates[r["reader"]] = rate
        per_m = 1e6 / r["rows"] if r["rows"] else float("nan")
        print(f"| {r['reader']} | {r['rows']:,.0f} | {r['seconds']:.2f} | {rate:,.0f} | "
              f"{r['cpu'] * per_m:.2f} | {r['load']} | {r.get('note', '')} |")
    ratios = []
    for mine in (name for name in rates if name.startswith("tributary")):
        for other in ("copy_text", "copy_binary", "debezium"):
            if other in rates:
                ratios.append(f"{mine}/{other} = {rates[mine] / rates[other]:.2f}")
    if ratios:
        print("\nratios (rows/s): " + "; ".join(ratios))


if __name__ == "__main__":
    main()
