#!/usr/bin/python3
"""Latency at paced load: source commit -> visible to a read_committed Kafka consumer.

A writer inserts rows into `lat (id bigint PRIMARY KEY, written_us bigint, pad text)` at a fixed rate
(--rates, changes/s), as --txn-rate transactions per second of rate/txn-rate rows each, one
autocommit INSERT ... SELECT generate_series per transaction; `written_us` is clock_timestamp() in
microseconds, taken as the row is inserted, i.e. at most the INSERT's own run time (well under a
millisecond for these sizes) before its commit. The latency of an event is the wall clock when the
consumer got it minus `written_us` (one machine, one clock).

  tributary  exactly-once into Kafka; a confluent_kafka consumer (isolation.level=read_committed,
             fetch.wait.max.ms=10) in this process stamps each record as it is returned
  debezium   Debezium 3.6.1.Final's embedded engine (the harness's DebeziumPeer): each record is
             stamped as its JSON line arrives on the peer's stdout. No Kafka on this path: it
             measures Debezium's decoding and conversion only, a lower bound for Debezium into Kafka

Each rate runs --seconds seconds after a --warmup (default 5 s, not counted); the readers run one after the
other on the same machine, each alone. Printed per reader and rate: the rate reached, events, p50,
p99, p99.9, max (ms), the reader's CPU seconds per million events, the load average.

  baseline   bench/bare_pgoutput.c in latency mode on its own slot: per transaction, the commit
             timestamp PostgreSQL puts in Begin -> the Begin received (PostgreSQL's own share)

Usage: bench/latency.py [--rates 1000,10000,50000] [--seconds 10]
         [--readers baseline,tributary,debezium]
BUILD_DIR (default ./build) or TRIBUTARY_BIN names the tributary binary.
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from common import (TRIBUTARY, CountingDebezium, build_bare_reader, commit, cpu_seconds,  # noqa: E402
                    kafka_server, load, machine, percentile)
from tributary_testing.daemon import Daemon, daemon_config, pipeline_config  # noqa: E402
from tributary_testing.pgserver import PgServer  # noqa: E402
from tributary_testing.util import free_port  # noqa: E402

TS = re.compile(rb'"written_us":\s*(\d+)')
ID = re.compile(rb'"id":\s*(\d+)')
TOPIC = "bench.public.lat"


class Samples:
    """Latencies (ms) of the events whose id lies in the measured window."""

    def __init__(self):
        self.lock = threading.Lock()
        self.window = (0, -1)  # ids [first, last] counted
        self.values = []
        self.ids = []
        self.seen = 0

    def add(self, payload, now_us):
        ts = TS.search(payload)
        ident = ID.search(payload)
        if not ts or not ident:
            return
        with self.lock:
            self.seen += 1
            ident = int(ident.group(1))
            if self.window[0] <= ident <= self.window[1]:
                self.values.append((now_us - int(ts.group(1))) / 1000.0)
                self.ids.append(ident)


class Writer:
    """Paced inserts; `run(rate, seconds, first_id)` returns (ids written, rate reached)."""

    def __init__(self, pg, txn_rate):
        self.conn = pg.connect(superuser=False, autocommit=True)
        self.txn_rate = txn_rate

    def run(self, rate, seconds, first_id):
        per_txn = max(1, round(rate / self.txn_rate))
        interval = per_txn / rate
        sql = ("INSERT INTO lat SELECT g, (extract(epoch FROM clock_timestamp()) * 1e6)::bigint, "
               "'some padding of a typical row' FROM generate_series(%s, %s) g")
        next_id = first_id
        started = time.monotonic()
        tick = 0
        with self.conn.cursor() as cur:
            while True:
                due = started + tick * interval
                if due - started >= seconds:
                    break
                wait = due - time.monotonic()
                if wait > 0:
                    time.sleep(wait)  # pacing the load, not waiting for a condition
                cur.execute(sql, (next_id, next_id + per_txn - 1))
                next_id += per_txn
                tick += 1
        elapsed = time.monotonic() - started
        self.transactions = tick
        return next_id - first_id, (next_id - first_id) / elapsed


def consume(bootstrap, samples, stop, ready):
    from confluent_kafka import Consumer, TopicPartition
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"bench-latency-{os.getpid()}",
                         "enable.auto.commit": False, "isolation.level": "read_committed",
                         "auto.offset.reset": "latest", "fetch.wait.max.ms": 10,
                         "enable.partition.eof": False})
    partitions = consumer.list_topics(TOPIC, timeout=30).topics[TOPIC].partitions
    consumer.assign([TopicPartition(TOPIC, p, -1) for p in partitions])  # -1: the end
    for p in partitions:
        consumer.position([TopicPartition(TOPIC, p)])
    ready.set()
    try:
        while not stop.is_set():
            for m in consumer.consume(num_messages=1000, timeout=0.05):
                if m.error() is None and m.value() is not None:
                    samples.add(m.value(), time.time_ns() // 1000)
    finally:
        consumer.close()


def measure(reader, writer, rates, args, next_id, cpu_of):
    rows = []
    for rate in rates:
        samples = reader.samples
        written, _ = writer.run(rate, args.warmup, next_id)
        next_id += written
        with samples.lock:
            samples.window = (next_id, 1 << 62)
            samples.values, samples.ids = [], []
        load_before, cpu_before = load(), cpu_of()
        written, reached = writer.run(rate, args.seconds, next_id)
        last_id = next_id + written - 1
        with samples.lock:
            samples.window = (next_id, last_id)
        next_id += written
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            with samples.lock:
                if len(samples.values) >= written:
                    break
            time.sleep(0.05)  # polling the consumer thread's count, with a deadline
        cpu = cpu_of() - cpu_before
        with samples.lock:
            values = sorted(samples.values)
            in_order = [v for _, v in sorted(zip(samples.ids, samples.values))]
        # a growing queue shows as a later median above the earlier one
        tenth = max(1, len(in_order) // 10)
        trend = (percentile(sorted(in_order[-tenth:]), 0.5) - percentile(sorted(in_order[:tenth]), 0.5)
                 if in_order else float("nan"))
        rows.append(dict(reader=reader.name, rate=rate, reached=reached, written=written,
                         received=len(values), min=values[0] if values else float("nan"),
                         trend=trend, p50=percentile(values, 0.5),
                         p99=percentile(values, 0.99), p999=percentile(values, 0.999),
                         max=values[-1] if values else float("nan"),
                         cpu=cpu * 1e6 / max(1, written), load=f"{load_before}/{load()}"))
        print(f"  {reader.name} at {rate:,}/s: {len(values):,}/{written:,} events, "
              f"p99 {rows[-1]['p99']:.1f} ms", file=sys.stderr, flush=True)
    return rows, next_id


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rates", default="1000,10000,50000")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=5.0)
    parser.add_argument("--txn-rate", type=float, default=100.0, help="source transactions per second")
    parser.add_argument("--readers", default="baseline,tributary,debezium")
    parser.add_argument("--kafka", choices=("real", "mock"), default="real")
    args = parser.parse_args()
    rates = [int(r) for r in args.rates.split(",")]
    work = tempfile.mkdtemp(prefix="tributary-latency-")
    server, label, topics_config = kafka_server(args.kafka, work, topics={TOPIC: 16})
    print(f"machine: {machine()}; commit {commit()}; binary {TRIBUTARY}")
    print(f"command: {' '.join(sys.argv)}")
    results = []
    with PgServer(database="bench") as pg, server as kafka:
        label = label or f"Apache Kafka {kafka.version} (1 node, KRaft)"
        print(f"kafka: {label}; PostgreSQL 15 (harness PgServer: fsync off, synchronous_commit off)")
        pg.execute("CREATE TABLE lat (id bigint PRIMARY KEY, written_us bigint NOT NULL, pad text); "
                   "ALTER TABLE lat OWNER TO cdc")
        if hasattr(kafka, "create_topic"):
            kafka.create_topic(TOPIC, partitions=16)
        writer = Writer(pg, args.txn_rate)
        next_id = 1
        for name in args.readers.split(","):
            if name == "baseline":
                rows, next_id = run_baseline(pg, work, writer, rates, args, next_id)
            elif name == "tributary":
                rows, next_id = run_tributary(pg, kafka, topics_config, work, writer, rates, args, next_id)
            else:
                rows, next_id = run_debezium(pg, work, writer, rates, args, next_id)
            results.extend(rows)
    print(f"\nsource: {args.txn_rate:.0f} transactions/s, rate/{args.txn_rate:.0f} rows each")
    print("| reader | target/s | reached/s | events | min ms | p50 ms | p99 ms | p99.9 ms | max ms | "
          "p50 last-first tenth ms | reader CPU s/M events | load 1m (before/after) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        print(f"| {r['reader']} | {r['rate']:,} | {r['reached']:,.0f} | {r['received']:,}/{r['written']:,} | "
              f"{r['min']:.1f} | {r['p50']:.1f} | {r['p99']:.1f} | {r['p999']:.1f} | {r['max']:.1f} | {r['trend']:+.1f} | {r['cpu']:.2f} | "
              f"{r['load']} |")


class Reader:
    def __init__(self, name):
        self.name = name
        self.samples = Samples()


def run_tributary(pg, kafka, topics_config, work, writer, rates, args, next_id):
    reader = Reader("tributary")
    workdir = tempfile.mkdtemp(prefix="tributary-", dir=work)
    pipeline = pipeline_config(pg, name="bench", database="bench", topic_prefix="bench",
                               tables={"include": ["public\\.lat"], "exclude": []},
                               snapshot={"mode": "never"}, envelope={"schemas": False})
    config = daemon_config([pipeline], kafka.bootstrap_servers, os.path.join(workdir, "offsets"),
                           log_level="warn", kafka={"topics": topics_config},
                           http={"listen": f"127.0.0.1:{free_port()}"})
    daemon = Daemon(workdir, config, name="tributary", binary=TRIBUTARY)
    stop, ready = threading.Event(), threading.Event()
    consumer = threading.Thread(target=consume, args=(kafka.bootstrap_servers, reader.samples, stop, ready),
                                daemon=True)
    daemon.start(wait_ready=True)
    try:
        consumer.start()
        if not ready.wait(60):
            raise TimeoutError("the latency consumer did not get its assignment in 60 s")
        return measure(reader, writer, rates, args, next_id, lambda: cpu_seconds(daemon.pid))
    finally:
        stop.set()
        consumer.join(timeout=30)
        daemon.stop()


def run_baseline(pg, work, writer, rates, args, next_id):
    """bench/bare_pgoutput.c in latency mode: commit timestamp (Begin) -> the Begin received, per
    transaction: PostgreSQL's own share of the latency, nothing decoded, no Kafka."""
    pg.execute("CREATE PUBLICATION bench_lat FOR TABLE lat")
    pg.execute("SELECT pg_create_logical_replication_slot('baseline_lat', 'pgoutput')")
    conninfo = f"host={pg.host} port={pg.port} dbname=bench user={pg.user} password={pg.password}"
    proc = subprocess.Popen([build_bare_reader(work), conninfo, "baseline_lat", "bench_lat", "0"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    lock, window = threading.Lock(), {"on": False, "values": []}

    def read():
        for line in proc.stdout:
            with lock:
                if window["on"]:
                    window["values"].append(int(line) / 1000.0)
    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    rows = []
    try:
        for rate in rates:
            written, _ = writer.run(rate, args.warmup, next_id)
            next_id += written
            with lock:
                window["on"], window["values"] = True, []
            load_before, cpu_before = load(), cpu_seconds(proc.pid)
            written, reached = writer.run(rate, args.seconds, next_id)
            next_id += written
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                with lock:
                    if len(window["values"]) >= writer.transactions:
                        break
                time.sleep(0.05)  # polling the reader thread's count, with a deadline
            with lock:
                window["on"] = False
                in_order = list(window["values"])
            values = sorted(in_order)
            tenth = max(1, len(in_order) // 10)
            trend = (percentile(sorted(in_order[-tenth:]), 0.5) - percentile(sorted(in_order[:tenth]), 0.5)
                     if in_order else float("nan"))
            rows.append(dict(reader="baseline (per transaction)", rate=rate, reached=reached,
                             written=writer.transactions, received=len(values),
                             min=values[0] if values else float("nan"), trend=trend,
                             p50=percentile(values, 0.5), p99=percentile(values, 0.99),
                             p999=percentile(values, 0.999), max=values[-1] if values else float("nan"),
                             cpu=(cpu_seconds(proc.pid) - cpu_before) * 1e6 / max(1, written),
                             load=f"{load_before}/{load()}"))
            print(f"  baseline at {rate:,}/s: p99 {rows[-1]['p99']:.1f} ms", file=sys.stderr, flush=True)
    finally:
        proc.kill()
        proc.wait(timeout=30)
        pg.execute("SELECT pg_drop_replication_slot('baseline_lat')")
    return rows, next_id


def run_debezium(pg, work, writer, rates, args, next_id):
    reader = Reader("debezium")
    workdir = tempfile.mkdtemp(prefix="debezium-", dir=work)
    peer = CountingDebezium(
        on_line=lambda line, _now: reader.samples.add(line, time.time_ns() // 1000),
        connector="postgresql", host=pg.host, port=pg.port, user=pg.user, password=pg.password,
        database="bench", topic_prefix="dbz", tables_include=["public.lat"], workdir=workdir,
        slot="debezium_lat", publication="debezium_lat", extra={"snapshot.mode": "no_data"})
    with peer:
        return measure(reader, writer, rates, args, next_id, lambda: cpu_seconds(peer._proc.pid))


if __name__ == "__main__":
    main()
