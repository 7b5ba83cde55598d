#!/usr/bin/python3
"""The README's demo: a throwaway PostgreSQL, a local single-node Apache Kafka (KRaft, the jars
from Maven Central cached by tests/support/kafka/fetch.sh), the daemon, a sample workload, and
every envelope printed as it arrives (read_committed).

Run through scripts/demo.sh, which installs and builds first. DEMO_SECONDS (default 30) sets how
long the workload runs; Ctrl-C ends it early. Both servers are stopped afterwards.
"""

import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "support"))

from confluent_kafka import Consumer, TopicPartition  # noqa: E402

from tributary_testing.kafka_server import RealKafka  # noqa: E402
from tributary_testing.pgserver import PgServer  # noqa: E402

BUILD = os.environ.get("BUILD_DIR", os.path.join(ROOT, "build"))
TRIBUTARY = os.path.join(BUILD, "tributary")


def printer(bootstrap, stop):
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "tributary-demo",
                         "isolation.level": "read_committed", "enable.auto.commit": False})
    assigned = set()
    last_refresh = 0.0
    while not stop.is_set():
        if time.time() - last_refresh > 1.0:
            last_refresh = time.time()
            metadata = consumer.list_topics(timeout=5)
            new = [TopicPartition(t, p, 0) for t, m in metadata.topics.items()
                   if t.startswith("shop.") for p in m.partitions if (t, p) not in assigned]
            if new:
                assigned.update((tp.topic, tp.partition) for tp in new)
                consumer.assign([TopicPartition(t, p, 0) for t, p in sorted(assigned)])
        message = consumer.poll(0.2)
        if message is None or message.error():
            continue
        key = message.key().decode() if message.key() else "null"
        value = message.value().decode() if message.value() is not None else "null (tombstone)"
        print(f"\n{message.topic()} [{message.partition()}@{message.offset()}] key={key}\n  {value}",
              flush=True)
    consumer.close()


def workload(pg, stop, seconds):
    connection = pg.connect(superuser=False)
    cursor = connection.cursor()
    rng = random.Random(42)
    end = time.time() + seconds
    while time.time() < end and not stop.is_set():
        action = rng.choice(["insert", "insert", "update", "delete"])
        if action == "insert":
            cursor.execute("INSERT INTO orders (customer_id, amount, status) VALUES (%s, %s, 'new')",
                           (rng.randint(1, 3), round(rng.uniform(1, 500), 2)))
        elif action == "update":
            cursor.execute("UPDATE orders SET status = 'shipped', amount = amount + 1 "
                           "WHERE id = (SELECT min(id) FROM orders WHERE status = 'new')")
        else:
            cursor.execute("DELETE FROM orders WHERE id = (SELECT min(id) FROM orders)")
        stop.wait(1.0)
    connection.close()


def main():
    seconds = float(os.environ.get("DEMO_SECONDS", "30"))
    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    workdir = tempfile.mkdtemp(prefix="tributary-demo-")
    print("== starting PostgreSQL and Apache Kafka (KRaft, one node) ...", flush=True)
    with PgServer(database="shop") as pg, RealKafka(logdir=workdir) as kafka:
        pg.execute("""
            CREATE TABLE customers (id serial PRIMARY KEY, name text NOT NULL, email text);
            CREATE TABLE orders (id serial PRIMARY KEY, customer_id int NOT NULL,
                                 amount numeric(10,2) NOT NULL, status text NOT NULL,
                                 created_at timestamptz NOT NULL DEFAULT now());
            ALTER TABLE customers OWNER TO cdc; ALTER TABLE orders OWNER TO cdc;
            INSERT INTO customers (name, email) VALUES ('Ada', 'ada@example.com'),
                ('Grace', 'grace@example.com'), ('Linus', 'linus@example.com');
            INSERT INTO orders (customer_id, amount, status) VALUES (1, 10.50, 'new'), (2, 99.99, 'new');
        """, database="shop")
        config = os.path.join(workdir, "demo.yaml")
        with open(config, "w") as f:
            f.write(f"""pipelines:
  - name: shop
    source: {{type: postgres, host: 127.0.0.1, port: {pg.port}, database: shop, user: cdc,
              password: "${{DEMO_PG_PASSWORD}}"}}
    tables: {{include: ["public\\\\..*"]}}
    envelope: {{schemas: false}}
kafka:
  bootstrap_servers: {kafka.bootstrap_servers}
  batch: {{max_ms: 100}}
offsets: {{directory: {workdir}/offsets}}
http: {{listen: "127.0.0.1:0"}}
log: {{level: info}}
""")
        print(f"== tributary demo: PostgreSQL on 127.0.0.1:{pg.port}, Apache Kafka {kafka.version} on "
              f"{kafka.bootstrap_servers} (data and logs in {kafka.workdir}), config {config}\n"
              f"== read the topics yourself while it runs (committed records only):\n"
              f"   kcat -b {kafka.bootstrap_servers} -X isolation.level=read_committed -C -t "
              f"shop.public.orders -o beginning -f '%t [%p@%o] key=%k %s\\n'", flush=True)
        env = dict(os.environ, DEMO_PG_PASSWORD=pg.password)
        daemon = subprocess.Popen([TRIBUTARY, "run", "--config", config], env=env)
        reader = threading.Thread(target=printer, args=(kafka.bootstrap_servers, stop), daemon=True)
        reader.start()
        try:
            workload(pg, stop, seconds)
            time.sleep(2)  # let the last envelopes arrive before stopping (display only)
        finally:
            stop.set()
            daemon.send_signal(signal.SIGTERM)
            code = daemon.wait(timeout=60)
            reader.join(timeout=10)
        print(f"\n== tributary exited with code {code}; checkpoint:", flush=True)
        subprocess.run([TRIBUTARY, "offsets", "show", "--config", config], env=env, check=False)
    return code


if __name__ == "__main__":
    sys.exit(main())
