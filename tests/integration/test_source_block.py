"""What Debezium 3.6 writes around the row images, on a real PostgreSQL and Kafka (the conformance test
compares the same against Debezium itself; this one covers what its workload cannot reach):

- snapshot markers per table with tables read in parallel (snapshot.parallelism 2, fetch_size 1, so
  the readers interleave): a table's first row first_in_data_collection, its last
  last_in_data_collection (a one-row table's too), "true" between, "first" on the first row of the
  first table in Debezium's order (schema.table), "last" on the last row of the last non-empty table;
"""

from tributary_testing.feed import EventFeed

NAME = "srcblock"
# name -> rows; read in this (sorted) order by Debezium: aa_one first, ff_empty last (and empty)
TABLES = {"aa_one": 1, "bb_empty": 0, "cc_many": 5, "dd_two": 2, "ee_many": 7, "ff_empty": 0}


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


def test_snapshot_markers_per_table_with_parallel_readers(env):
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
