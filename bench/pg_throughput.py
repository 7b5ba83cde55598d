#!/usr/bin/python3
"""Throughput of the PostgreSQL pipeline, each figure beside a baseline from the same run.

  snapshot: N rows read, enveloped and committed to Kafka, vs. `COPY table TO STDOUT` of the same
            table by psql (the bare cost of reading the rows out of PostgreSQL);
  streaming: M changes decoded from the same WAL, vs. `pg_recvlogical` (pgoutput, to /dev/null)
            on a second slot created at the same point.

Kafka: a real single-node Apache Kafka (KRaft, from tests/support/kafka/fetch.sh) by default;
`--kafka mock` uses librdkafka's mock cluster instead, which takes the broker's JVM off the 2 cores
so the figures measure tributary alone. The output says which one ran.
Usage: bench/pg_throughput.py [--rows N] [--changes M] [--schemas true|false] [--kafka real|mock]
Needs a build (BUILD_DIR, default ./build) with the tests enabled (for tributary-mock-kafka).
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "support"))

from tributary_testing.kafka import MockKafka  # noqa: E402
from tributary_testing.kafka_server import RealKafka  # noqa: E402
from tributary_testing.pgserver import PgServer  # noqa: E402
from tributary_testing.util import free_port  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import commit_stats, lsn_to_int, wait_checkpoint  # noqa: E402

BUILD = os.environ.get("BUILD_DIR", os.path.join(ROOT, "build"))
TRIBUTARY = os.path.join(BUILD, "tributary")
MOCK_KAFKA = os.path.join(BUILD, "tests", "support", "mock_kafka", "tributary-mock-kafka")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--changes", type=int, default=200_000)
    parser.add_argument("--schemas", default="false")
    parser.add_argument("--kafka", choices=("real", "mock"), default="real")
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="tributary-bench-")
    if args.kafka == "mock":
        # The mock cluster has no CreateTopics: its topics exist up front and the daemon creates none.
        kafka_server = MockKafka(binary=MOCK_KAFKA, partitions=16,
                                 topics={"bench.public.items": 16, "tributary.offsets": 1})
        topics_config = "{create: false}"
    else:
        kafka_server = RealKafka(logdir=work, heap="1g")  # the daemon creates its topics
        topics_config = "{create: true, partitions: 16}"
    with PgServer(database="bench") as pg, kafka_server as kafka:
        kafka_label = ("librdkafka mock cluster" if args.kafka == "mock"
                       else f"Apache Kafka {kafka.version} (1 node, KRaft)")
        print(f"kafka: {kafka_label} at {kafka.bootstrap_servers}", flush=True)
        pg.execute("""
            CREATE TABLE items (id bigint PRIMARY KEY, qty int NOT NULL, name text NOT NULL,
                                price numeric(12,2) NOT NULL, updated_at timestamptz NOT NULL);
            ALTER TABLE items OWNER TO cdc;""")
        pg.execute(f"""INSERT INTO items SELECT g, g % 1000, 'item-' || g, (g % 100000) / 100.0,
                       '2024-01-01'::timestamptz + g * interval '1 second'
                       FROM generate_series(1, {args.rows}) g""")
        pg.execute("VACUUM ANALYZE items")
        env = dict(os.environ, PGPASSWORD=pg.password)
        conn_args = ["-h", "127.0.0.1", "-p", str(pg.port), "-U", pg.user]

        started = time.monotonic()
        subprocess.run(["psql", *conn_args, "-d",
                        "bench", "-qAt", "-c", "COPY items TO STDOUT"], env=env, check=True,
                       stdout=subprocess.DEVNULL)
        copy_seconds = time.monotonic() - started

        port = free_port()
        config = os.path.join(work, "bench.yaml")
        with open(config, "w") as f:
            f.write(f"""pipelines:
  - name: bench
    source: {{type: postgres, host: 127.0.0.1, port: {pg.port}, database: bench, user: cdc,
              password: "${{PGPASSWORD}}"}}
    snapshot: {{parallelism: 2}}
    envelope: {{schemas: {args.schemas}}}
kafka:
  bootstrap_servers: {kafka.bootstrap_servers}
  batch: {{max_events: 10000, max_ms: 100}}
  topics: {topics_config}
offsets: {{directory: {work}/offsets}}
http: {{listen: "127.0.0.1:{port}"}}
log: {{level: warn}}
""")
        checkpoint = os.path.join(work, "offsets", "bench.offsets")
        started = time.monotonic()
        daemon = subprocess.Popen([TRIBUTARY, "run", "--config", config], env=env)
        try:
            wait_checkpoint(checkpoint, lambda p: p["snapshot_completed"], 600, daemon)
            snapshot_seconds = time.monotonic() - started
            snapshot_commits = commit_stats(port)
        finally:
            daemon.terminate()
            daemon.wait(timeout=60)

        # The same WAL for both readers: a baseline slot created before the changes are made.
        pg.execute("CREATE PUBLICATION bench_baseline FOR TABLE items")
        pg.execute("SELECT pg_create_logical_replication_slot('bench_baseline', 'pgoutput')")
        batch = 100
        with pg.connect(superuser=False, autocommit=False) as connection:
            with connection.cursor() as cursor:
                for start in range(0, args.changes, batch):
                    if (start // batch) % 2 == 0:
                        cursor.execute("UPDATE items SET qty = qty + 1, updated_at = now() "
                                       "WHERE id > %s AND id <= %s", (start, start + batch))
                    else:
                        cursor.execute("INSERT INTO items SELECT g, 1, 'new', 1.00, now() FROM "
                                       "generate_series(%s, %s) g",
                                       (10_000_000 + start + 1, 10_000_000 + start + batch))
                    connection.commit()
        # A marker transaction after the changes: both readers stop once they have read it.
        end_lsn = pg.execute("SELECT pg_current_wal_insert_lsn()::text")[0][0]  # async commit
        pg.execute("INSERT INTO items VALUES (-1, 0, 'end', 0, now())")

        started = time.monotonic()
        subprocess.run(["pg_recvlogical", *conn_args, "-d", "bench", "--slot", "bench_baseline",
                        "--start", "-o", "proto_version=1", "-o", "publication_names=bench_baseline",
                        "--endpos", end_lsn, "--no-loop", "-f", "/dev/null"],
                       env=env, check=True)
        recvlogical_seconds = time.monotonic() - started

        started = time.monotonic()
        daemon = subprocess.Popen([TRIBUTARY, "run", "--config", config], env=env)
        try:
            wait_checkpoint(checkpoint,
                            lambda p: p["position"]["lsn_decimal"] > lsn_to_int(end_lsn), 900, daemon)
            stream_seconds = time.monotonic() - started
            stream_commits = commit_stats(port)
        finally:
            daemon.terminate()
            daemon.wait(timeout=60)

    changes = args.changes + 1
    print(f"kafka    : {kafka_label}")
    print(f"snapshot : {args.rows} rows in {snapshot_seconds:.2f} s = "
          f"{args.rows / snapshot_seconds:,.0f} rows/s (schemas={args.schemas})")
    print(f"  baseline COPY TO STDOUT: {copy_seconds:.2f} s = {args.rows / copy_seconds:,.0f} rows/s;"
          f" tributary takes {snapshot_seconds / copy_seconds:.1f}x the time of a bare COPY")
    print(f"  {snapshot_commits[0]:.0f} Kafka transactions, mean commit {snapshot_commits[1] * 1000:.1f} ms,"
          f" {snapshot_commits[2]:.0f} events each")
    print(f"streaming: {changes} changes in {stream_seconds:.2f} s = "
          f"{changes / stream_seconds:,.0f} events/s")
    print(f"  baseline pg_recvlogical: {recvlogical_seconds:.2f} s = "
          f"{changes / recvlogical_seconds:,.0f} events/s; tributary takes "
          f"{stream_seconds / recvlogical_seconds:.1f}x the time of pg_recvlogical on the same WAL")
    print(f"  {stream_commits[0]:.0f} Kafka transactions, mean commit {stream_commits[1] * 1000:.1f} ms,"
          f" {stream_commits[2]:.0f} events each")


if __name__ == "__main__":
    main()
