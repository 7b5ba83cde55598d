#!/usr/bin/python3
"""Throughput of the MySQL pipeline on MariaDB, each figure beside a baseline from the same run.

  snapshot: N rows read, enveloped and committed to Kafka, vs. a plain `SELECT * FROM items` of
            the same table by the `mariadb` client (--quick: rows streamed, not buffered; counted
            with wc -l), the bare cost of reading the rows out of the server;
  streaming: M changes decoded from the binlog, vs. `mariadb-binlog --read-from-remote-server`
            over the same binlog range: decoding the row events to text (--verbose, to /dev/null)
            and fetching them raw (--raw, files in a temp dir).
  peer (--debezium on, the default): Debezium 2.6.2.Final's MySQL connector with its MariaDB
            adapter (the harness's DebeziumPeer, embedded engine, JSON lines to stdout, no Kafka:
            an upper bound for its rate), once for the snapshot of the same table and once
            streaming the whole binlog from its start (snapshot.mode never: the preload's N row
            events, then the M changes), rates from its first record to its last.

The server is a throwaway MariaDB 10.11 (tests/support/tributary_testing/mariadb_server.py: ROW,
FULL image and metadata). Kafka: a real single-node Apache Kafka (KRaft, from
tests/support/kafka/fetch.sh) by default; `--kafka mock` uses librdkafka's mock cluster instead.
Usage: bench/mysql_throughput.py [--rows N] [--changes M] [--schemas true|false] [--kafka real|mock]
       [--debezium on|off]
Needs a build (BUILD_DIR, default ./build) with the tests enabled (for tributary-mock-kafka).
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "support"))

from tributary_testing.kafka import MockKafka  # noqa: E402
from tributary_testing.kafka_server import RealKafka  # noqa: E402
from tributary_testing.mariadb_server import MariaDbServer  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import CountingDebezium, commit_stats, wait_checkpoint  # noqa: E402
from tributary_testing.util import free_port  # noqa: E402

BUILD = os.environ.get("BUILD_DIR", os.path.join(ROOT, "build"))
TRIBUTARY = os.environ.get("TRIBUTARY_BIN", os.path.join(BUILD, "tributary"))
MOCK_KAFKA = os.path.join(BUILD, "tests", "support", "mock_kafka", "tributary-mock-kafka")
MARIADB = shutil.which("mariadb") or "/usr/bin/mariadb"
MARIADB_BINLOG = shutil.which("mariadb-binlog") or shutil.which("mysqlbinlog") or "/usr/bin/mariadb-binlog"
TOPIC = "bench.bench.items"


def binlog_key(file, pos):
    """A sortable binlog position: files are <base>.<zero-padded number>."""
    return (file, int(pos))


def preload(db, rows, chunk=100_000):
    conn = db.connect(database="bench")
    try:
        with conn.cursor() as cur:
            cur.execute("SET time_zone = '+00:00'")
            cur.execute("""CREATE TABLE items (id BIGINT PRIMARY KEY, qty INT NOT NULL,
                           name VARCHAR(64) NOT NULL, price DECIMAL(12,2) NOT NULL,
                           updated_at TIMESTAMP(6) NOT NULL)""")
            for low in range(1, rows + 1, chunk):
                high = min(rows, low + chunk - 1)
                cur.execute(f"""INSERT INTO items
                                SELECT seq, seq % 1000, CONCAT('item-', seq), (seq % 100000) / 100,
                                       TIMESTAMP '2024-01-01 00:00:00' + INTERVAL seq SECOND
                                FROM seq_{low}_to_{high}""")
            cur.execute("ANALYZE TABLE items")
    finally:
        conn.close()


def make_changes(db, changes, batch=100):
    """Alternating transactions of `batch` updates and `batch` inserts, as the PostgreSQL bench."""
    conn = db.connect(database="bench", autocommit=False)
    try:
        with conn.cursor() as cur:
            for start in range(0, changes, batch):
                if (start // batch) % 2 == 0:
                    cur.execute("UPDATE items SET qty = qty + 1, updated_at = NOW(6) "
                                "WHERE id > %s AND id <= %s", (start, start + batch))
                else:
                    low = 10_000_000 + start + 1
                    cur.execute(f"INSERT INTO items SELECT seq, 1, 'new', 1.00, NOW(6) "
                                f"FROM seq_{low}_to_{low + batch - 1}")
                conn.commit()
    finally:
        conn.close()


def run_debezium(db, work, name, expected, extra=None):
    """(records, seconds from the first record to the last) of a Debezium MariaDB peer reading
    bench.items until it printed `expected` records."""
    peer = CountingDebezium(connector="mariadb", host=db.host, port=db.port, user=db.user,
                            password=db.password, database="bench", topic_prefix="dbz",
                            tables_include=["bench.items"], server_id=5600 + len(name),
                            workdir=os.path.join(work, f"debezium-{name}"), extra=extra)
    with peer:
        peer.wait_count(expected, timeout=7200)
        return peer.count, peer.last_at - peer.first_at, peer.startup_seconds


def timed(command, **kwargs):
    started = time.monotonic()
    result = subprocess.run(command, check=True, **kwargs)
    return time.monotonic() - started, result


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--changes", type=int, default=200_000)
    parser.add_argument("--schemas", default="false")
    parser.add_argument("--kafka", choices=("real", "mock"), default="real")
    parser.add_argument("--debezium", choices=("on", "off"), default="on")
    args = parser.parse_args()
    peer_snapshot = peer_stream = None
    work = tempfile.mkdtemp(prefix="tributary-mysql-bench-")
    if args.kafka == "mock":
        kafka_server = MockKafka(binary=MOCK_KAFKA, partitions=16, topics={TOPIC: 16, "tributary.offsets": 1})
        topics_config = "{create: false}"
    else:
        kafka_server = RealKafka(logdir=work, heap="1g")  # the daemon creates its topics
        topics_config = "{create: true, partitions: 16}"
    # A bigger buffer pool than the tests' 64M: the table (about 100 MB at 1M rows) stays in memory.
    with MariaDbServer(database="bench", settings={"innodb_buffer_pool_size": "512M",
                                                   "max_binlog_size": "1G"}) as db, kafka_server as kafka:
        kafka_label = ("librdkafka mock cluster" if args.kafka == "mock"
                       else f"Apache Kafka {kafka.version} (1 node, KRaft)")
        version = db.execute("SELECT VERSION()")[0][0]
        print(f"kafka: {kafka_label} at {kafka.bootstrap_servers}; server: MariaDB {version}", flush=True)
        started = time.monotonic()
        preload(db, args.rows)
        print(f"preloaded {args.rows} rows in {time.monotonic() - started:.1f} s", flush=True)
        client = ["-h", db.host, "-P", str(db.port), "-u", db.user, f"-p{db.password}"]

        # Baseline: a plain SELECT, rows streamed by the C client and counted.
        select = subprocess.Popen([MARIADB, *client, "--quick", "--batch", "--skip-column-names", "bench",
                                   "-e", "SELECT * FROM items"], stdout=subprocess.PIPE)
        started = time.monotonic()
        count = subprocess.run(["wc", "-l"], stdin=select.stdout, stdout=subprocess.PIPE, check=True)
        select.stdout.close()
        if select.wait() != 0:
            raise RuntimeError(f"mariadb SELECT exited with {select.returncode}")
        select_seconds = time.monotonic() - started
        selected = int(count.stdout.split()[0])
        if selected != args.rows:
            raise RuntimeError(f"SELECT returned {selected} rows, expected {args.rows}")

        port = free_port()
        config = os.path.join(work, "bench.yaml")
        with open(config, "w") as f:
            f.write(f"""pipelines:
  - name: bench
    source: {{type: mysql, host: 127.0.0.1, port: {db.port}, user: {db.user},
              password: "${{BENCH_MYSQL_PASSWORD}}", server_id: 5499}}
    tables: {{include: ["bench\\\\.items"]}}
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
        env = dict(os.environ, BENCH_MYSQL_PASSWORD=db.password)
        checkpoint = os.path.join(work, "offsets", "bench.offsets")
        started = time.monotonic()
        daemon = subprocess.Popen([TRIBUTARY, "run", "--config", config], env=env)
        try:
            wait_checkpoint(checkpoint, lambda c: c.get("snapshot_completed"), 900, daemon)
            snapshot_seconds = time.monotonic() - started
            snapshot_commits = commit_stats(port)
        finally:
            daemon.terminate()
            daemon.wait(timeout=60)

        if args.debezium == "on":
            peer_snapshot = run_debezium(db, work, "snapshot", args.rows)

        # The same binlog range for both readers: from here to the end of a marker transaction.
        start_file, start_pos = db.master_status()
        make_changes(db, args.changes)
        db.execute("INSERT INTO items VALUES (-1, 0, 'end', 0, NOW(6))", database="bench")
        end_file, end_pos = db.master_status()
        files = [name for name, _ in db.binlog_files() if start_file <= name <= end_file]
        remote = ["--read-from-remote-server", "--host", db.host, "--port", str(db.port),
                  "--user", db.user, f"--password={db.password}"]
        # Nothing else writes: the listed files end with the marker (a --stop-position at the
        # file's end only makes mariadb-binlog warn, and --raw ignores it).
        decode_seconds, _ = timed([MARIADB_BINLOG, *remote, "--verbose", f"--start-position={start_pos}",
                                   *files], stdout=subprocess.DEVNULL)
        raw_dir = os.path.join(work, "raw")
        os.makedirs(raw_dir)
        raw_seconds, _ = timed([MARIADB_BINLOG, *remote, "--raw", f"--result-file={raw_dir}/",
                                f"--start-position={start_pos}", *files], stdout=subprocess.DEVNULL)
        raw_bytes = sum(os.path.getsize(os.path.join(raw_dir, name)) for name in os.listdir(raw_dir))

        started = time.monotonic()
        daemon = subprocess.Popen([TRIBUTARY, "run", "--config", config], env=env)
        try:
            def caught_up(c):
                position = c.get("position") or {}
                return ("file" in position and
                        binlog_key(position["file"], position.get("pos", 0)) >= binlog_key(end_file, end_pos))
            wait_checkpoint(checkpoint, caught_up, 900, daemon)
            stream_seconds = time.monotonic() - started
            stream_commits = commit_stats(port)
        finally:
            daemon.terminate()
            daemon.wait(timeout=60)
        if args.debezium == "on":
            peer_stream = run_debezium(db, work, "stream", args.rows + args.changes + 1,
                                       extra={"snapshot.mode": "never"})

    changes = args.changes + 1
    rows = args.rows
    print()
    print(f"kafka: {kafka_label}; MariaDB {version}; schemas={args.schemas}")
    print("| what | tributary | baseline | baseline rate | tributary / baseline time |")
    print("|---|---|---|---|---|")
    print(f"| snapshot, {rows:,} rows | {snapshot_seconds:.2f} s = {rows / snapshot_seconds:,.0f} rows/s "
          f"| `SELECT * FROM items` (mariadb --quick) {select_seconds:.2f} s "
          f"| {rows / select_seconds:,.0f} rows/s | {snapshot_seconds / select_seconds:.1f}x |")
    print(f"| streaming, {changes:,} changes | {stream_seconds:.2f} s = {changes / stream_seconds:,.0f} events/s "
          f"| `mariadb-binlog --read-from-remote-server --verbose` > /dev/null {decode_seconds:.2f} s "
          f"| {changes / decode_seconds:,.0f} events/s | {stream_seconds / decode_seconds:.1f}x |")
    print(f"| (same range, bytes only) | | `mariadb-binlog --read-from-remote-server --raw` "
          f"{raw_seconds:.2f} s ({raw_bytes / 1e6:.0f} MB) | {changes / raw_seconds:,.0f} events/s "
          f"| {stream_seconds / raw_seconds:.1f}x |")
    if peer_snapshot:
        records, seconds, startup = peer_snapshot
        print(f"| Debezium 2.6.2 snapshot, {records:,} rows | | {seconds:.2f} s (JVM start "
              f"{startup:.1f} s) | {records / seconds:,.0f} rows/s | tributary/debezium rate = "
              f"{(rows / snapshot_seconds) / (records / seconds):.2f} |")
    if peer_stream:
        records, seconds, startup = peer_stream
        print(f"| Debezium 2.6.2 streaming the binlog from its start, {records:,} records | | "
              f"{seconds:.2f} s | {records / seconds:,.0f} events/s | tributary/debezium rate = "
              f"{(changes / stream_seconds) / (records / seconds):.2f} |")
    print(f"snapshot: {snapshot_commits[0]:.0f} Kafka transactions, mean commit {snapshot_commits[1] * 1000:.1f} ms, "
          f"{snapshot_commits[2]:.0f} events each")
    print(f"streaming: {stream_commits[0]:.0f} Kafka transactions, mean commit {stream_commits[1] * 1000:.1f} ms, "
          f"{stream_commits[2]:.0f} events each")
    print("tributary's times run from its start (connecting to Kafka included) to the checkpoint "
          "that covers the last row / change.")


if __name__ == "__main__":
    main()
