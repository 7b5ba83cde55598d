"""The metrics fixes, against real PostgreSQL and real Kafka: one table label (schema.table) for
snapshot rows and streamed events, the snapshot-done hook visible (progress 1 for a table whose
estimate is 0), and the new series present and plausible: process_* from /proc/self, the
events-per-transaction histogram (one observation per committed transaction), in-flight bytes (0
when idle) and the checkpoint age."""

import re
import time

from tributary_testing.daemon import parse_metric
from tributary_testing.util import wait_until

ROWS = 2000


def _series(body, name):
    """[(labels dict, value)] of the samples of `name`."""
    out = []
    for match in re.finditer(r"^" + re.escape(name) + r"(\{[^}]*\})? (\S+)$", body, re.M):
        labels = dict(re.findall(r'(\w+)="([^"]*)"', match.group(1) or ""))
        out.append((labels, float(match.group(2))))
    return out


def test_one_table_label_snapshot_done_and_new_metrics(env):
    prefix = "opsmetrics"
    db = env.database()
    # Never analyzed (estimate 0): only the snapshot-done hook makes its progress 1.
    env.sql(db, "CREATE TABLE items (id int PRIMARY KEY, v text) WITH (autovacuum_enabled = false)")
    env.sql(db, f"INSERT INTO items SELECT g, 'row' FROM generate_series(1, {ROWS}) g")
    kafka = env.shared_kafka(topics={f"{prefix}.public.items": 2})
    config = env.config(db, kafka, name=prefix, offsets_topic=f"{prefix}.offsets", max_events=500)
    daemon = env.daemon(config).start()

    env.sql(db, "INSERT INTO items VALUES (100001, 'c')")
    env.sql(db, "UPDATE items SET v = 'u' WHERE id = 1")
    env.sql(db, "DELETE FROM items WHERE id = 2")
    wait_until(lambda: daemon.metric("tributary_events_total", pipeline=prefix, op="d") >= 1, 60,
               lambda: daemon.http_get("/metrics")[1][-3000:])

    body = daemon.http_get("/metrics")[1]
    events = [(labels, v) for labels, v in _series(body, "tributary_events_total")
              if labels.get("pipeline") == prefix]
    assert {labels["table"] for labels, _ in events} == {"public.items"}, events
    by_op = {labels["op"]: v for labels, v in events}
    assert by_op.get("r") == ROWS and by_op.get("c") == 1 and by_op.get("u") == 1 and by_op.get("d") == 1, by_op
    snapshot_rows = [(labels, v) for labels, v in _series(body, "tributary_snapshot_rows_total")
                     if labels.get("pipeline") == prefix]
    assert snapshot_rows == [({"pipeline": prefix, "table": "public.items"}, ROWS)], snapshot_rows
    assert parse_metric(body, "tributary_snapshot_progress_ratio", pipeline=prefix,
                        table="public.items") == 1.0, body[-3000:]

    # Process metrics, as every Prometheus client exports them.
    def one(name):
        samples = _series(body, name)
        assert len(samples) == 1, (name, samples)
        return samples[0][1]

    assert one("process_resident_memory_bytes") > 1024 * 1024
    assert one("process_virtual_memory_bytes") >= one("process_resident_memory_bytes")
    assert one("process_open_fds") > 0
    assert one("process_max_fds") >= one("process_open_fds")
    assert one("process_cpu_seconds_total") > 0
    assert abs(one("process_start_time_seconds") - time.time()) < 3600
    assert "# TYPE process_cpu_seconds_total counter" in body

    # Idle: every committed transaction is one histogram observation; nothing in flight; the
    # checkpoint is recent. (Scraped until one scrape shows them settled: commits go on while the
    # position moves.)
    def settled():
        text = daemon.http_get("/metrics")[1]
        committed = parse_metric(text, "tributary_kafka_transactions_total", pipeline=prefix,
                                 result="committed")
        count = parse_metric(text, "tributary_kafka_batch_events_count", pipeline=prefix)
        total = parse_metric(text, "tributary_kafka_batch_events_sum", pipeline=prefix)
        inflight = _series(text, "tributary_inflight_bytes")
        return text if (committed > 0 and count == committed and total >= ROWS + 3 and
                        inflight == [({"pipeline": prefix}, 0.0)]) else None

    text = wait_until(settled, 30, lambda: daemon.http_get("/metrics")[1][-4000:])
    ages = _series(text, "tributary_checkpoint_age_seconds")
    assert len(ages) == 1 and ages[0][0] == {"pipeline": prefix}, ages
    assert 0 <= ages[0][1] < 60, ages
    assert "# TYPE tributary_kafka_batch_events histogram" in text
    assert daemon.sigterm(timeout=60) == 0
