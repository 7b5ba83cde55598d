"""The MySQL source under load (issue 8's big test): a 100,000-row table snapshotted (in primary-key
chunks over 2 connections) while 10,000 mixed changes in many transactions commit concurrently,
with an `ALTER TABLE items ADD COLUMN note VARCHAR(20)` in the middle of the changes (the workload
writes `note` from then on). Read back from a real Kafka with a read_committed Collector and
checked by the verifier: every change exactly once, per-key order, the final state equal to the
table, envelopes checked, a few rows column by column, and the columns right before and after the
DDL (value schema and payload)."""

import decimal
import re

from tributary_testing.feed import EventFeed, change_matcher
from tributary_testing.sources import items_source
from tributary_testing.util import wait_until
from tributary_testing.verifier import ITEMS_FIELD_SCHEMAS, verify_exactly_once
from tributary_testing.workload import ITEMS_COLUMNS, Workload, create_items_table, preload_items, read_rows

ROWS = 100_000
CHANGES = 10_000
WAIT = 150


class NoteWorkload(Workload):
    """The items workload; inserts and updates with seq >= `note_from` also set note = 'n<seq>'."""

    note_from = None

    def _statement(self, change):
        sql, params = super()._statement(change)
        if self.note_from is None or change.seq < self.note_from or change.op == "d":
            return sql, params
        note = f"n{change.seq}"
        if change.op == "c":
            head, values = sql.split(") VALUES (")
            return f"{head}, note) VALUES ({values[:-1]}, %s)", params + (note,)
        head, where = sql.split(" WHERE ")
        return f"{head}, note = %s WHERE {where}", params[:-1] + (note, params[-1])


def _fields(event):
    """The field names of the value schema's `after` struct."""
    after = next(f for f in event.value_schema["fields"] if f["field"] == "after")
    return [f["field"] for f in after["fields"]]


def test_snapshot_concurrent_with_changes_and_add_column(env, request):
    name = "myconc"
    source = items_source("mysql", env, request)
    conn = source.connect()
    create_items_table(conn)
    initial = preload_items(conn, ROWS)
    with conn.cursor() as cur:
        cur.execute("ANALYZE TABLE items")  # TABLE_ROWS, the chunk planner's estimate, up to date
        cur.fetchall()
    conn.close()
    kafka = env.shared_kafka()
    topic = source.topic(name)
    collector = env.collector(kafka, topics=[topic])
    config = source.config(kafka, name, offsets_topic=f"tributary.offsets.{name}")
    daemon = env.daemon(config).start(wait_ready=False)
    # The snapshot point is taken: every change from now on commits after it, concurrently with
    # the snapshot's reads.
    wait_until(lambda: source.snapshot_attempt(daemon.current_run_stderr()) is not None, WAIT,
               what="the snapshot's binlog point in the log")
    feed = EventFeed(collector, topic, ITEMS_FIELD_SCHEMAS)
    workload = NoteWorkload(source.connect, initial, seed=87)
    workload.run(CHANGES // 2, max_txn_size=80)
    alter = source.connect()
    with alter.cursor() as cur:  # waits for the snapshot's metadata locks if it still reads
        cur.execute("ALTER TABLE items ADD COLUMN note VARCHAR(20) NULL")
    alter.close()
    last_before = workload.last_seq
    workload.note_from = last_before + 1
    workload.run(CHANGES - len(workload.changes()), max_txn_size=80)
    workload.close()
    changes = workload.changes()
    assert len(changes) == CHANGES and workload.txn_count > 500
    feed.wait_for(change_matcher(changes[-1]), WAIT, "the last change")

    log = daemon.current_run_stderr()
    chunked = re.search(r"table=\S+\.items snapshot of table started, about \d+ rows, in (\d+) "
                        r"primary-key chunks on `id`", log)
    assert chunked and int(chunked.group(1)) >= 2, log[-3000:]

    final = read_rows(source.connect())
    result = verify_exactly_once(feed.events, changes, initial, final, topic_prefix=name,
                                 columns=list(ITEMS_COLUMNS), **source.verify_kwargs())
    result.raise_if_failed()
    assert result.stats["op_r"] == ROWS  # the point precedes every change: all streamed
    by_version = {e.after["version"]: e for e in feed.events if e.op in ("c", "u")}
    assert len(by_version) == sum(1 for c in changes if c.op in "cu")

    # The DDL: streamed rows before it have the old columns, from it on `note` (last) with the
    # value written; an update of a row last written before the DDL has note NULL before.
    for version, event in by_version.items():
        if version < workload.note_from:
            assert "note" not in event.after and "note" not in _fields(event), event.where
        else:
            assert event.after["note"] == f"n{version}", event.where
            assert _fields(event)[-1] == "note", event.where
    right_before = max(v for v in by_version if v < workload.note_from)
    right_after = min(v for v in by_version if v >= workload.note_from)
    assert _fields(by_version[right_before]) == list(ITEMS_COLUMNS)
    assert _fields(by_version[right_after]) == list(ITEMS_COLUMNS) + ["note"]
    old_rows = [e for v, e in by_version.items() if v >= workload.note_from and e.op == "u"
                and e.before["version"] < workload.note_from]
    assert old_rows and all(e.before["note"] is None for e in old_rows)

    # Column by column for a few rows: snapshot rows against the preload, streamed rows against the
    # table at the end (rows not changed since their last event).
    snapshot = {e.after["id"]: e.after for e in feed.events if e.op == "r"}
    for key in (1, 11, 12345, ROWS):
        row, after = initial[key], snapshot[key]
        assert after["payload"] == row["payload"] and after["qty"] == row["qty"]
        assert decimal.Decimal(str(after["amount"])) == row["amount"]
        assert after["flag"] == row["flag"] and after["updated_at"] == row["updated_at"]
        assert "note" not in after
    last_event = {}
    for event in sorted(feed.events, key=lambda e: (e.partition, e.offset)):
        if event.op in ("c", "u"):
            last_event[event.after["id"]] = event.after
    checked = 0
    for key, after in sorted(last_event.items()):
        row = final.get(key)
        if row is None or row["version"] != after["version"]:
            continue
        for column in ITEMS_COLUMNS + ("note",):
            if column == "amount" and row[column] is not None:
                assert decimal.Decimal(str(after[column])) == row[column], (key, column)
            else:
                assert after.get(column) == row[column], (key, column)
        checked += 1
        if checked == 20:
            break
    assert checked == 20
    daemon.stop()
