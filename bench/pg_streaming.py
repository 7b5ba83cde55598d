#!/usr/bin/python3
"""PostgreSQL streaming: tributary beside a bare pgoutput reader and two peers, on the same WAL.

For each table (narrow: 2 columns; wide: 12 columns of mixed types) and shape
  a  all changes in one transaction
  b  transactions of 1,000 changes
  c  single-change transactions (a tenth of --changes, as the issue's 100,000 of 1M)
one slot per reader is created at the same point, the changes (inserts) are written, then each
reader reads the same WAL alone on the machine, one after the other:
  baseline      bench/bare_pgoutput.c: libpq, pgoutput proto_version 1, counts I/U/D, acknowledges
  wal2json|kcat pg_recvlogical -P wal2json (format-version 2, one line per change) | kcat -P
  debezium      Debezium 3.6.1.Final's embedded engine (the harness's DebeziumPeer): it prints JSON
                lines to stdout and writes no Kafka, so its rate is an upper bound for Debezium
  tributary     schemas off and schemas on, exactly-once into Kafka
Rates run from a reader's first change to its last (startup not counted). CPU: user+sys seconds
per million events of the reader process (from its first event; wal2json|kcat: both processes,
whole run) and of its walsender (whole connection). The load average is printed beside each row.

Usage: bench/pg_streaming.py [--changes 1000000] [--tables narrow,wide] [--shapes a,b,c]
         [--schemas off,on] [--readers baseline,wal2json,debezium,tributary] [--kafka real|mock]
         [--max-events 10000] [--max-ms 50] [--perf DIR]
BUILD_DIR (default ./build) or TRIBUTARY_BIN names the tributary binary.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from common import (TRIBUTARY, CountingDebezium, build_bare_reader, commit, cpu_seconds,  # noqa: E402
                    kafka_server, load, lsn_to_int, machine, read_checkpoint, slot_pid,
                    watch)
from tributary_testing.daemon import Daemon, daemon_config, pipeline_config  # noqa: E402
from tributary_testing.pgserver import PgServer  # noqa: E402
from tributary_testing.util import free_port  # noqa: E402

TABLES = {
    "narrow": "CREATE TABLE narrow (id bigint PRIMARY KEY, v int NOT NULL)",
    "wide": """CREATE TABLE wide (id bigint PRIMARY KEY, qty int NOT NULL, price numeric(12,2),
               name text, note varchar(64), active boolean, day date, updated_at timestamptz,
               ratio double precision, uid uuid, payload jsonb, raw bytea)""",
}
ROW = {
    "narrow": "g, g % 1000",
    "wide": """g, g % 1000, (g % 100000) / 100.0, 'item-' || g, 'a note of some length ' || g,
               g % 2 = 0, date '2024-01-01' + (g % 365)::int, timestamptz '2024-01-01' + g * interval '1 s',
               g / 7.0, md5(g::text)::uuid, jsonb_build_object('k', g, 's', 'v' || g),
               decode(md5(g::text), 'hex')""",
}
SHAPES = {"a": "one transaction", "b": "transactions of 1,000", "c": "single-change transactions"}


def write_changes(pg, table, shape, changes, first_id):
    """Inserts `changes` rows with ids from first_id, shaped as transactions of 1 / 1,000 / all."""
    per_txn = {"a": changes, "b": 1000, "c": 1}[shape]
    pg.execute(f"""CREATE OR REPLACE PROCEDURE bench_write(first bigint, n bigint, per bigint)
                   LANGUAGE plpgsql AS $$
                   DECLARE s bigint := first;
                   BEGIN
                     WHILE s < first + n LOOP
                       INSERT INTO {table} SELECT {ROW[table]}
                         FROM generate_series(s, least(s + per, first + n) - 1) g;
                       COMMIT;
                       s := s + per;
                     END LOOP;
                   END $$""")
    pg.execute("CALL bench_write(%s, %s, %s)", (first_id, changes, per_txn))


class Walsender:
    """Samples the CPU time of a slot's walsender while it lives (it ends with its connection)."""

    def __init__(self, pg, slot):
        self.pg, self.slot, self.cpu, self.pid = pg, slot, 0.0, None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def sample(self):
        try:
            if self.pid is None:
                self.pid = slot_pid(self.pg, self.slot)
            if self.pid is not None:
                self.cpu = cpu_seconds(self.pid)
        except OSError:
            pass  # the walsender ended: the last sample stands

    def _run(self):
        while not self._stop.wait(0.05):
            self.sample()

    def stop(self):
        self.sample()
        self._stop.set()
        self._thread.join()
        return self.cpu


def run_baseline(ctx, slot, publication, expected):
    walsender = Walsender(ctx.pg, slot)
    conninfo = (f"host={ctx.pg.host} port={ctx.pg.port} dbname=bench user={ctx.pg.user} "
                f"password={ctx.pg.password}")
    proc = subprocess.Popen([ctx.bare, conninfo, slot, publication, str(expected)],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    result = json.loads(proc.stdout.readline())
    wal_cpu = walsender.stop()  # the walsender still runs: the reader waits for stdin to close
    reader_cpu = cpu_seconds(proc.pid)
    proc.stdin.close()
    proc.wait(timeout=60)
    events = result["inserts"] + result["updates"] + result["deletes"]
    return dict(events=events, seconds=result["seconds"], cpu=reader_cpu, wal_cpu=wal_cpu)


def run_wal2json(ctx, slot, table, end_lsn):
    topic = f"wal2json.{table}"
    ctx.kafka.create_topic(topic, partitions=16)
    before = ctx.kafka_count(topic)
    walsender = Walsender(ctx.pg, slot)
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    env = dict(os.environ, PGPASSWORD=ctx.pg.password)
    started = time.monotonic()
    recv = subprocess.Popen(
        ["pg_recvlogical", "-h", ctx.pg.host, "-p", str(ctx.pg.port), "-U", ctx.pg.user, "-d", "bench",
         "--slot", slot, "--start", "--endpos", end_lsn, "--no-loop", "-F", "0", "-f", "-",
         "-o", "format-version=2", "-o", "include-transaction=false",
         "-o", f"add-tables=public.{table}"], env=env, stdout=subprocess.PIPE)
    kcat = subprocess.Popen(["kcat", "-P", "-b", ctx.kafka.bootstrap_servers, "-t", topic],
                            stdin=recv.stdout)
    recv.stdout.close()
    if recv.wait(timeout=3600) != 0 or kcat.wait(timeout=600) != 0:
        raise RuntimeError(f"pg_recvlogical ({recv.returncode}) | kcat ({kcat.returncode}) failed")
    seconds = time.monotonic() - started
    wal_cpu = walsender.stop()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - usage.ru_utime) + (after.ru_stime - usage.ru_stime)
    events = ctx.kafka_count(topic) - before
    return dict(events=events, seconds=seconds, cpu=cpu, wal_cpu=wal_cpu)


def run_debezium(ctx, slot, publication, table, expected):
    workdir = tempfile.mkdtemp(prefix=f"debezium-{slot}-", dir=ctx.work)
    peer = CountingDebezium(
        connector="postgresql", host=ctx.pg.host, port=ctx.pg.port, user=ctx.pg.user,
        password=ctx.pg.password, database="bench", topic_prefix="dbz", tables_include=[f"public.{table}"],
        workdir=workdir, slot=slot, publication=publication,
        extra={"snapshot.mode": "no_data", "publication.autocreate.mode": "disabled"})
    cpu_at_first = {}

    def on_line(line, now):
        if not cpu_at_first:
            cpu_at_first["cpu"] = cpu_seconds(peer._proc.pid)
    peer.on_line = on_line
    with peer:
        peer.wait_count(expected, timeout=3600)
        wal_cpu = cpu_seconds(slot_pid(ctx.pg, slot))
        cpu = cpu_seconds(peer._proc.pid) - cpu_at_first["cpu"]
        seconds = peer.last_at - peer.first_at
        events = peer.count
    return dict(events=events, seconds=seconds, cpu=cpu, wal_cpu=wal_cpu,
                note=f"JVM start to streaming {peer.startup_seconds:.1f} s")


def run_tributary(ctx, slot, publication, table, schemas, end_lsn):
    name = f"{slot}"
    workdir = tempfile.mkdtemp(prefix=f"tributary-{slot}-", dir=ctx.work)
    pipeline = pipeline_config(ctx.pg, name=name, database="bench", topic_prefix="bench", slot=slot,
                               publication=publication,
                               tables={"include": [f"public\\.{table}"], "exclude": []},
                               snapshot={"mode": "never"}, envelope={"schemas": schemas})
    config = daemon_config([pipeline], ctx.kafka.bootstrap_servers, os.path.join(workdir, "offsets"),
                           max_events=ctx.max_events, max_ms=ctx.max_ms, log_level="warn",
                           kafka={"topics": ctx.topics_config},
                           http={"listen": f"127.0.0.1:{free_port()}"})
    daemon = Daemon(workdir, config, name="tributary", binary=TRIBUTARY)
    checkpoint = os.path.join(workdir, "offsets", f"{name}.offsets")
    target = lsn_to_int(end_lsn)
    daemon.start(wait_ready=False)
    perf = None
    if ctx.perf:
        perf_data = os.path.join(ctx.perf, f"perf-{slot}.data")
        perf = subprocess.Popen(["perf", "record", "-q", "-F", "499", "-g", "-o", perf_data,
                                 "-p", str(daemon.pid)], stdout=subprocess.DEVNULL)
    try:
        first_at, cpu_at_first, done_at = watch(
            daemon, "tributary_events_total",
            lambda: (read_checkpoint(checkpoint) or {}).get("position", {}).get("lsn_decimal", 0) > target,
            3600, f"the checkpoint past {end_lsn}")
        cpu = cpu_seconds(daemon.pid) - (cpu_at_first or 0.0)
        wal_cpu = cpu_seconds(slot_pid(ctx.pg, slot))
        events = daemon.metric("tributary_events_total") or 0
        commits = daemon.metric("tributary_kafka_commit_duration_seconds_count") or 0
        commit_seconds = daemon.metric("tributary_kafka_commit_duration_seconds_sum") or 0
    finally:
        if perf is not None:
            perf.send_signal(2)  # SIGINT: perf writes its data file and exits
            perf.wait(timeout=120)
        daemon.stop()
    if first_at is None:
        raise RuntimeError("tributary reached the end before its first event was seen: no rate")
    return dict(events=events, seconds=done_at - first_at, cpu=cpu, wal_cpu=wal_cpu,
                note=f"{commits:.0f} Kafka transactions, mean commit "
                     f"{1000 * commit_seconds / max(1, commits):.0f} ms")


class Context:
    pass


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--changes", type=int, default=1_000_000)
    parser.add_argument("--tables", default="narrow,wide")
    parser.add_argument("--shapes", default="a,b,c")
    parser.add_argument("--schemas", default="off,on")
    parser.add_argument("--readers", default="baseline,wal2json,debezium,tributary")
    parser.add_argument("--kafka", choices=("real", "mock"), default="real")
    parser.add_argument("--max-events", type=int, default=10000, help="kafka.batch.max_events")
    parser.add_argument("--max-ms", type=int, default=50, help="kafka.batch.max_ms")
    parser.add_argument("--perf", metavar="DIR", help="perf record each tributary run into DIR "
                        "(perf-<slot>.data; read with perf report -i)")
    args = parser.parse_args()
    readers = args.readers.split(",")
    ctx = Context()
    ctx.perf = os.path.abspath(args.perf) if args.perf else None
    ctx.max_events, ctx.max_ms = args.max_events, args.max_ms
    if ctx.perf:
        os.makedirs(ctx.perf, exist_ok=True)
    ctx.work = tempfile.mkdtemp(prefix="tributary-bench-")
    ctx.bare = build_bare_reader(ctx.work)
    server, label, ctx.topics_config = kafka_server(
        args.kafka, ctx.work, topics={f"bench.public.{t}": 16 for t in args.tables.split(",")})
    if args.kafka == "mock" and "wal2json" in readers:
        raise SystemExit("--kafka mock: leave out wal2json (kcat needs topics the mock does not create)")
    print(f"machine: {machine()}; commit {commit()}; binary {TRIBUTARY}")
    print(f"command: {' '.join(sys.argv)}")
    with PgServer(database="bench") as pg, server as kafka:
        ctx.pg, ctx.kafka = pg, kafka
        label = label or f"Apache Kafka {kafka.version} (1 node, KRaft)"
        print(f"kafka: {label}; PostgreSQL 15 (harness PgServer: fsync off); tributary batch "
              f"max_events {args.max_events}, max_ms {args.max_ms}")

        def kafka_count(topic):
            return sum(kafka.high_watermarks(topic).values())
        ctx.kafka_count = kafka_count
        next_id = 1
        for table in args.tables.split(","):
            pg.execute(TABLES[table] + f"; ALTER TABLE {table} OWNER TO cdc")
            pg.execute(f"CREATE PUBLICATION bench_{table} FOR TABLE {table}")
            for shape in args.shapes.split(","):
                changes = args.changes // 10 if shape == "c" else args.changes
                slots = {r: f"{r}_{table}_{shape}" for r in readers if r != "tributary"}
                if "tributary" in readers:
                    slots.update({f"tributary_{s}": f"tributary_{s}_{table}_{shape}"
                                  for s in args.schemas.split(",")})
                plugins = {"wal2json": "wal2json"}
                for reader, slot in slots.items():
                    pg.execute("SELECT pg_create_logical_replication_slot(%s, %s)",
                               (slot, plugins.get(reader, "pgoutput")))
                started = time.monotonic()
                write_changes(pg, table, shape, changes, next_id)
                write_seconds = time.monotonic() - started
                next_id += changes
                # synchronous_commit is off: the insert position, not the write position, is
                # past every change written so far
                end_lsn = pg.execute("SELECT pg_current_wal_insert_lsn()::text")[0][0]
                pg.execute(f"INSERT INTO {table} SELECT {ROW[table]} "
                           f"FROM generate_series({next_id}, {next_id}) g")  # after end_lsn: every reader reads past it
                next_id += 1
                marker_lsn = pg.execute("SELECT pg_current_wal_insert_lsn()::text")[0][0]
                expected = changes + 1
                print(f"\n## {table}, ({shape}) {SHAPES[shape]}: {changes:,} inserts "
                      f"(written in {write_seconds:.1f} s)\n", flush=True)
                results = []
                for reader, slot in slots.items():
                    load_before = load()
                    publication = f"bench_{table}"
                    if reader == "baseline":
                        r = run_baseline(ctx, slot, publication, expected)
                    elif reader == "wal2json":
                        r = run_wal2json(ctx, slot, table, marker_lsn)
                    elif reader == "debezium":
                        r = run_debezium(ctx, slot, publication, table, expected)
                    else:
                        schemas = reader.endswith("_on")
                        r = run_tributary(ctx, slot, publication, table, schemas, end_lsn)
                    r["reader"], r["load"] = reader, f"{load_before}/{load()}"
                    print(f"  {reader}: {r['events']:,.0f} events in {r['seconds']:.2f} s",
                          file=sys.stderr, flush=True)
                    results.append(r)
                    pg.execute("SELECT pg_drop_replication_slot(%s)", (slot,))
                print_table(results)


def print_table(results):
    print("| reader | events | seconds | events/s | reader CPU s/M events | walsender CPU s/M events"
          " | load 1m (before/after) | note |")
    print("|---|---|---|---|---|---|---|---|")
    rates = {}
    for r in results:
        rate = r["events"] / r["seconds"] if r["seconds"] > 0 else float("inf")
        rates[r["reader"]] = rate
        per_m = 1e6 / r["events"] if r["events"] else float("nan")
        print(f"| {r['reader']} | {r['events']:,.0f} | {r['seconds']:.2f} | {rate:,.0f} | "
              f"{r['cpu'] * per_m:.2f} | {r['wal_cpu'] * per_m:.2f} | {r['load']} | {r.get('note', '')} |")
    ratios = []
    for mine in ("tributary_off", "tributary_on"):
        if mine not in rates:
            continue
        for other in ("baseline", "wal2json", "debezium"):
            if other in rates:
                ratios.append(f"{mine}/{other} = {rates[mine] / rates[other]:.2f}")
    if ratios:
        print("\nratios (events/s): " + "; ".join(ratios), flush=True)


if __name__ == "__main__":
    main()
