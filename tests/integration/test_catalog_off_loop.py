"""A Relation message's catalog query runs off the event loop.

While another session holds ACCESS EXCLUSIVE on pg_namespace (which the catalog's schema query
reads), a Relation message (after ALTER TABLE) makes the daemon's catalog query wait on the lock:
the loop must keep serving /healthz and /metrics meanwhile, and once the lock is released every
change arrives exactly once and in order, the ones after the ALTER with the new column."""

from tributary_testing.feed import EventFeed
from tributary_testing.util import wait_until

PREFIX = "lockcat"
TOPIC = f"{PREFIX}.public.items"
OFFSETS_TOPIC = f"{PREFIX}.offsets"


def test_relation_schema_query_blocked_by_a_lock_keeps_the_loop_responsive(env, pg):
    db = env.database()
    env.sql(db, "CREATE TABLE items (id int PRIMARY KEY, n int NOT NULL)")
    env.sql(db, "INSERT INTO items VALUES (1, 0)")
    kafka = env.shared_kafka(topics={TOPIC: 1, OFFSETS_TOPIC: 1})
    collector = env.collector(kafka, topics=[TOPIC])
    feed = EventFeed(collector, TOPIC)
    daemon = env.daemon(env.config(db, kafka, name=PREFIX, offsets_topic=OFFSETS_TOPIC))
    daemon.start()
    feed.wait_for(lambda e: e.op == "r" and e.key == {"id": 1}, 120, "the snapshot row")
    # A first streamed change: the stream has had the table's first Relation message.
    env.sql(db, "INSERT INTO items VALUES (2, 0)")
    feed.wait_for(lambda e: e.op == "c" and e.key == {"id": 2}, 120, "row 2, streamed")

    # Opened (and their catalog caches warmed) before the lock: a new connection would wait on it.
    watcher = env.connect(db, superuser=True)
    application = f"tributary-{PREFIX}-catalog"

    def catalog_waits_on_a_lock():
        with watcher.cursor() as cur:
            cur.execute("SELECT count(*) FROM pg_stat_activity WHERE application_name = %s "
                        "AND wait_event_type = 'Lock'", (application,))
            return cur.fetchone()[0] > 0

    assert not catalog_waits_on_a_lock()
    writer = env.connect(db, autocommit=False)
    with writer.cursor() as cur:
        cur.execute("ALTER TABLE items ADD COLUMN extra text")
        for i in range(3, 13):
            cur.execute("INSERT INTO items VALUES (%s, %s, %s)", (i, i, f"x{i}"))
    locker = env.connect(db, superuser=True, autocommit=False)
    with locker.cursor() as cur:
        cur.execute("LOCK TABLE pg_catalog.pg_namespace IN ACCESS EXCLUSIVE MODE")
    try:
        writer.commit()  # decoded with a new Relation message: the daemon asks the catalog
        wait_until(catalog_waits_on_a_lock, 60,
                   lambda: f"the daemon's catalog query to wait on the pg_namespace lock\n"
                           f"{daemon.stderr_tail(20)}")
        # The loop answers while the query waits (the old code ran it on the loop: no answer).
        for path in ("/healthz", "/metrics", "/healthz"):
            status, body = daemon.http_get(path, timeout=3)
            assert status == 200, f"GET {path} while the catalog query waits: {status} {body[:200]}"
        assert catalog_waits_on_a_lock(), "the catalog query stopped waiting before the checks"
        assert not any(e.key == {"id": 3} for e in feed.events + feed.poll()), \
            "an event after the Relation message was emitted before its schema was known"
    finally:
        locker.rollback()

    feed.wait_for(lambda e: e.op == "c" and e.key == {"id": 12}, 120,
                  lambda: f"row 12 after the lock was released\n{daemon.stderr_tail(20)}")
    assert daemon.sigterm(timeout=60) == 0
    collector.wait_caught_up(timeout=60)
    feed.poll()
    streamed = [e for e in feed.events if e.op == "c"]
    assert [e.key["id"] for e in streamed] == list(range(2, 13)), \
        [(e.key, e.where) for e in streamed]
    assert "extra" not in streamed[0].after, streamed[0].after
    for event in streamed[1:]:
        i = event.key["id"]
        assert event.after == {"id": i, "n": i, "extra": f"x{i}"}, (event.where, event.after)
