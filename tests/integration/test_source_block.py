"""What Debezium 3.6 writes around the row images, on a real PostgreSQL and Kafka (the conformance test
compares the same against Debezium itself; this one covers what its workload cannot reach):

- snapshot markers per table with tables read in parallel (snapshot.parallelism 2, fetch_size 1, so
  the readers interleave): a table's first row first_in_data_collection, its last
  last_in_data_collection (a one-row table's too), "true" between, "first" on the first row of the
  first table in Debezium's order (schema.table), "last" on the last row of the last non-empty table;
- source.origin / source.origin_lsn from a transaction replayed through a replication origin
  (pg_replication_origin_xact_setup), null on every other change;
- Debezium's context headers on every record, tombstones too: connectorLogicalName (the topic
  prefix), taskId "0", connectorName "postgresql", runId (one UUID for the daemon run).
"""

import re

from tributary_testing.feed import EventFeed

NAME = "srcblock"
# name -> rows; read in this (sorted) order by Debezium: aa_one first, ff_empty last (and empty)
TABLES = {"aa_one": 1, "bb_empty": 0, "cc_many": 5, "dd_two": 2, "ee_many": 7, "ff_empty": 0}
ORIGIN_LSN = 0x1A2B3C4D
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")


def _expected_markers():
    """{table: {id: marker}} as Debezium's SnapshotMarkerResolver with one snapshot thread."""
    tables = sorted(TABLES)
    last_table = max(t for t in tables if TABLES[t])
    out = {}
    for t in tables:
        rows = TABLES[t]
        marks = {}
        for i in range(1, rows + 1):
            if t == last_table and i == rows:
                marks[i] = "last"
            elif t == tables[0] and i == 1:
                marks[i] = "first"
            elif i == rows:
                marks[i] = "last_in_data_collection"
            elif i == 1:
                marks[i] = "first_in_data_collection"
            else:
                marks[i] = "true"
        out[t] = marks
    return out


def test_snapshot_markers_origin_and_context_headers(env):
    db = env.database()
    for table, rows in TABLES.items():
        env.sql(db, f"CREATE TABLE {table} (id int PRIMARY KEY, v text)")
        if rows:
            env.sql(db, f"INSERT INTO {table} SELECT g, 'v' || g FROM generate_series(1, {rows}) g")
    topics = {f"{NAME}.public.{t}": 2 for t in TABLES}
    kafka = env.shared_kafka(topics={**topics, f"{NAME}.offsets": 1})
    collector = env.collector(kafka, topics=list(topics))
    config = env.config(db, kafka, name=NAME, offsets_topic=f"{NAME}.offsets",
                        pipeline={"snapshot": {"parallelism": 2, "fetch_size": 1}})
    daemon = env.daemon(config)
    daemon.start()

    feeds = {t: EventFeed(collector, f"{NAME}.public.{t}") for t in TABLES}
    expected = _expected_markers()
    for t, marks in expected.items():
        if marks:
            feeds[t].wait_for_count(lambda e: e.op == "r", len(marks), 60, f"the snapshot rows of {t}")
    got = {t: {e.key["id"]: e.snapshot for e in feeds[t].events if e.op == "r"} for t in TABLES}
    assert got == expected

    # A transaction through a replication origin (as a subscription's apply worker writes it), then
    # a plain one, then a delete (its tombstone carries the headers too).
    origin = f"{db}_upstream"
    conn = env.connect(db, superuser=True)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT pg_replication_origin_create(%s) WHERE NOT EXISTS "
                        "(SELECT 1 FROM pg_replication_origin WHERE roname = %s)", (origin, origin))
            cur.execute("SELECT pg_replication_origin_session_setup(%s)", (origin,))
            cur.execute("BEGIN")
            cur.execute("SELECT pg_replication_origin_xact_setup(%s, now())", ("0/1A2B3C4D",))
            cur.execute("INSERT INTO cc_many VALUES (100, 'replicated')")
            cur.execute("COMMIT")
            cur.execute("SELECT pg_replication_origin_session_reset()")
            cur.execute("SELECT pg_replication_origin_drop(%s)", (origin,))
    finally:
        conn.close()
    env.sql(db, "INSERT INTO cc_many VALUES (101, 'local')")
    env.sql(db, "DELETE FROM cc_many WHERE id = 101")

    feed = feeds["cc_many"]
    replicated = feed.wait_for(lambda e: e.op == "c" and e.key["id"] == 100, 60, "the replicated insert")
    local = feed.wait_for(lambda e: e.op == "c" and e.key["id"] == 101, 60, "the local insert")
    feed.wait_for(lambda e: e.tombstone and e.key["id"] == 101, 60, "the delete's tombstone")
    assert (replicated.source["origin"], replicated.source["origin_lsn"]) == (origin, ORIGIN_LSN), replicated.source
    assert (local.source["origin"], local.source["origin_lsn"]) == (None, None), local.source
    source_schema = next(f for f in local.value_schema["fields"] if f["field"] == "source")
    assert [(f["field"], f["type"], f["optional"]) for f in source_schema["fields"][-2:]] == [
        ("origin", "string", True), ("origin_lsn", "int64", True)]
    snapshot_rows = [e for t in TABLES for e in feeds[t].events if e.op == "r"]
    assert all(e.source["origin"] is None and e.source["origin_lsn"] is None for e in snapshot_rows)

    collector.wait_caught_up()
    run_ids = set()
    records = [r for t in topics for r in collector.records(t)]
    assert any(r.value is None for r in records), "no tombstone collected"
    for r in records:
        headers = {k: bytes(v).decode("utf-8") for k, v in r.headers}
        context = {k: v for k, v in headers.items() if k.startswith("__debezium.context.")}
        run_ids.add(context.pop("__debezium.context.runId", None))
        assert context == {"__debezium.context.connectorLogicalName": NAME, "__debezium.context.taskId": "0",
                           "__debezium.context.connectorName": "postgresql"}, (r.topic, r.offset, headers)
    assert len(run_ids) == 1 and UUID.fullmatch(next(iter(run_ids)) or ""), run_ids
