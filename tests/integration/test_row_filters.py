"""pipelines[].tables.row_filters against a real PostgreSQL 15 and Kafka (read_committed).

tributary's publication gets the table's `WHERE (...)`, the initial snapshot reads only the rows
it holds for, and the stream carries what PostgreSQL sends for a filtered publication: rows
outside the filter nothing, an UPDATE that moves a row into the filter an INSERT (op c), one that
moves it out a DELETE (op d, with its tombstone). A changed filter is corrected in the existing
publication at the next start; a table without REPLICA IDENTITY FULL is refused (exit 2) before
the publication could make PostgreSQL refuse the table's UPDATEs.
"""

from tributary_testing.feed import EventFeed

NAME = "rowf"
TOPIC = f"{NAME}.public.orders"


def _rowfilter(env, db):
    with env.connect(db).cursor() as cur:
        cur.execute("SELECT rowfilter FROM pg_publication_tables WHERE pubname = %s AND tablename = 'orders'",
                    (f"tributary_{db}",))
        return cur.fetchone()[0]


def test_only_matching_rows_in_snapshot_and_stream(env):
    db = env.database()
    env.sql(db, "CREATE TABLE orders (id int PRIMARY KEY, region text, v int)")
    env.sql(db, "ALTER TABLE orders REPLICA IDENTITY FULL")
    for i in range(1, 7):
        env.sql(db, "INSERT INTO orders VALUES (%s, %s, 0)", (i, "EU" if i % 2 else "US"))
    kafka = env.shared_kafka(topics={TOPIC: 2, f"{NAME}.offsets": 1})
    collector = env.collector(kafka, topics=[TOPIC])
    feed = EventFeed(collector, TOPIC)

    def config(condition):
        return env.config(db, kafka, name=NAME, offsets_topic=f"{NAME}.offsets",
                          pipeline={"tables": {"include": ["public\\.orders"], "exclude": [],
                                               "row_filters": {"public.orders": condition}}})

    daemon = env.daemon(config("region = 'EU'"))
    daemon.start()
    assert "EU" in _rowfilter(env, db)
    env.sql(db, "INSERT INTO orders VALUES (7, 'EU', 0), (8, 'US', 0)")
    env.sql(db, "UPDATE orders SET region = 'EU' WHERE id = 2")   # moves in: INSERT
    env.sql(db, "UPDATE orders SET region = 'US' WHERE id = 1")   # moves out: DELETE
    env.sql(db, "UPDATE orders SET v = 1 WHERE id = 3")           # stays in: UPDATE
    env.sql(db, "UPDATE orders SET v = 1 WHERE id = 4")           # stays out: nothing
    env.sql(db, "DELETE FROM orders WHERE id IN (5, 6)")          # 5 in, 6 out
    env.sql(db, "INSERT INTO orders VALUES (100, 'EU', 0)")       # the end of this run
    feed.wait_for(lambda e: e.op == "c" and e.key == {"id": 100}, 90, "the last insert")
    assert daemon.sigterm(timeout=60) == 0

    # A changed filter: corrected in the existing publication, the stream follows it.
    restarted = env.daemon(config("region <> 'US'"), name="tributary-changed")
    restarted.start()
    assert "US" in _rowfilter(env, db) and "<>" in _rowfilter(env, db), _rowfilter(env, db)
    env.sql(db, "INSERT INTO orders VALUES (200, 'APAC', 0), (201, 'US', 0)")
    feed.wait_for(lambda e: e.op == "c" and e.key == {"id": 200}, 90, "the APAC insert")
    assert restarted.sigterm(timeout=60) == 0
    collector.wait_caught_up(timeout=60)
    feed.poll()

    got = sorted((e.op if not e.tombstone else "tombstone", e.key["id"]) for e in feed.events)
    assert got == sorted([("r", 1), ("r", 3), ("r", 5),      # snapshot: EU rows only
                          ("c", 7), ("c", 2), ("d", 1), ("tombstone", 1), ("u", 3),
                          ("d", 5), ("tombstone", 5), ("c", 100), ("c", 200)]), got
    moved_in = next(e for e in feed.events if e.op == "c" and e.key == {"id": 2})
    assert moved_in.after["region"] == "EU" and moved_in.before is None
    moved_out = next(e for e in feed.events if e.op == "d" and e.key == {"id": 1})
    assert moved_out.before["region"] == "EU", moved_out.before  # the old row, as PostgreSQL sends it


def test_row_filter_without_full_replica_identity_is_refused(env):
    name = "rowfid"
    db = env.database()
    env.sql(db, "CREATE TABLE orders (id int PRIMARY KEY, region text)")
    kafka = env.shared_kafka(topics={f"{name}.public.orders": 1, f"{name}.offsets": 1})
    config = env.config(db, kafka, name=name, offsets_topic=f"{name}.offsets",
                        pipeline={"tables": {"include": ["public\\.orders"], "exclude": [],
                                             "row_filters": {"public.orders": "region = 'EU'"}}})
    daemon = env.daemon(config)
    daemon.start(wait_ready=False)
    assert daemon.wait(120) == 2
    assert "REPLICA IDENTITY FULL" in daemon.stderr_tail(60)
    # Nothing was published that would make PostgreSQL refuse the table's UPDATEs.
    env.sql(db, "INSERT INTO orders VALUES (1, 'EU')")
    env.sql(db, "UPDATE orders SET region = 'US' WHERE id = 1")
