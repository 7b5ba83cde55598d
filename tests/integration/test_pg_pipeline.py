"""PostgreSQL -> Kafka end to end: snapshot + concurrent streaming exactly once, and pgoutput corner cases.

Both tests run on the session's shared Kafka, each with its own pipeline name (topic prefix,
transactional.id) and offsets topic."""

import random
import string

from tributary_testing.feed import EventFeed, change_matcher
from tributary_testing.util import wait_until
from tributary_testing.verifier import UNAVAILABLE, verify_exactly_once
from tributary_testing.workload import Workload, create_items_table, preload_items, read_rows

PREFIX = "shop"
ITEMS_TOPIC = f"{PREFIX}.public.items"
OFFSETS_TOPIC = f"{PREFIX}.offsets"


def test_snapshot_with_concurrent_workload_is_exactly_once(env, pg):
    rows, changes, max_events = 100_000, 10_000, 2000
    db = env.database()
    conn = env.connect(db)
    create_items_table(conn)
    initial = preload_items(conn, rows)

    # 32 partitions: each Kafka transaction spans many partitions (and, on the mock backend, which
    # keeps only ~5 MiB per partition, ~110k events with schemas fit).
    kafka = env.shared_kafka(topics={ITEMS_TOPIC: 32, OFFSETS_TOPIC: 1})
    collector = env.collector(kafka, topics=[ITEMS_TOPIC])
    feed = EventFeed(collector, ITEMS_TOPIC)
    config = env.config(db, kafka, name=PREFIX, max_events=max_events, offsets_topic=OFFSETS_TOPIC,
                        pipeline={"snapshot": {"mode": "initial", "parallelism": 2}})
    slot = config["pipelines"][0]["source"]["slot"]
    daemon = env.daemon(config)
    workload = Workload(lambda: env.connect(db, autocommit=False), initial, seed=20240601)
    env.workloads.append(workload)

    daemon.start(wait_ready=False)
    # Changes committed before the slot exists belong to the snapshot, later ones to the stream;
    # the rest runs while the snapshot is being read. One transaction is larger than max_events.
    workload.run(300)
    wait_until(lambda: daemon.check_running("the replication slot") and pg.slot_info(slot), 120,
               lambda: f"replication slot {slot} to be created\n{daemon.stderr_tail(30)}")
    workload.start(changes - 300, big_size=max_events + 500, big_count=1)
    daemon.wait_ready(timeout=120)
    workload.join(timeout=300)

    last = workload.log[-1]
    feed.wait_for(change_matcher(last), 600,
                  lambda: f"the workload's last change (seq {last.seq}, key {last.key}, {last.op}) in "
                          f"{ITEMS_TOPIC}\n{daemon.stderr_tail(20)}")
    for path in ("/healthz", "/readyz", "/metrics"):
        status, body = daemon.http_get(path)
        assert status == 200, f"GET {path} while streaming: {status} {body[:200]}"
    final = read_rows(conn)
    assert daemon.sigterm(timeout=60) == 0
    collector.wait_caught_up(timeout=60)
    feed.poll()

    result = verify_exactly_once(feed.events, workload.log, initial, final, topic_prefix=PREFIX,
                                 database=db, schemas=True,
                                 partitions=collector.partition_count(ITEMS_TOPIC))
    print("verification:", result.stats)
    result.raise_if_failed()
    # The run must have exercised both halves: a big snapshot and a stream that overlapped it.
    assert result.stats["snapshot_rows"] >= rows - 300
    assert result.stats["streamed"] >= changes // 2


def _body(seed, length=12_000):
    rng = random.Random(seed)
    return "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(length))


def _fields(event, side="after"):
    """Field names of the value schema's before/after struct (schemas: true)."""
    for field in (event.value_schema or {}).get("fields", []):
        if field.get("field") == side:
            return [f["field"] for f in field.get("fields", [])]
    return None


def test_pgoutput_corner_cases(env, pg):
    db = env.database()
    big = _body(1)
    for statement in [
        "CREATE TABLE customers (id int PRIMARY KEY, name text NOT NULL, score int)",  # identity DEFAULT
        "CREATE TABLE logs (id bigint PRIMARY KEY, line text)",
        "CREATE TABLE nopk (a int, b text)",
        "ALTER TABLE nopk REPLICA IDENTITY FULL",
        "CREATE TABLE docs (id int PRIMARY KEY, body text, n int)",
        "ALTER TABLE docs ALTER COLUMN body SET STORAGE EXTERNAL",  # out of line, uncompressed
        "INSERT INTO customers VALUES (1, 'ann', 1), (2, 'bob', 2), (3, 'cy', 3)",
        "INSERT INTO logs VALUES (1, 'one'), (2, 'two'), (3, 'three')",
        "INSERT INTO nopk VALUES (1, 'one')",
    ]:
        env.sql(db, statement)
    env.sql(db, "INSERT INTO docs VALUES (1, %s, 0)", (big,))

    prefix = "feat"
    # One partition per topic: the assertions below read each table's events in production order.
    topics = {f"{prefix}.public.{t}": 1 for t in ("customers", "logs", "nopk", "docs")}
    offsets_topic = f"{prefix}.offsets"
    kafka = env.shared_kafka(topics={**topics, offsets_topic: 1})
    collector = env.collector(kafka, pattern=rf"{prefix}\.public\..*")
    feeds = {t: EventFeed(collector, f"{prefix}.public.{t}") for t in ("customers", "logs", "nopk", "docs")}
    # skipped_operations none: the TRUNCATE below is written (the default "t" skips it, as Debezium).
    daemon = env.daemon(env.config(db, kafka, name=prefix, max_events=100, offsets_topic=offsets_topic,
                                   pipeline={"skipped_operations": "none"}))
    daemon.start()

    # Snapshot first, so that every change below is streamed.
    expected_snapshot = {"customers": 3, "logs": 3, "nopk": 1, "docs": 1}
    for table, count in expected_snapshot.items():
        feeds[table].wait_for_count(lambda e: e.op == "r", count, 120, f"{count} snapshot rows of {table}")
    snapshot_docs = [e for e in feeds["docs"].events if e.op == "r"]
    assert snapshot_docs[0].after["body"] == big, "snapshot must carry the full TOASTed value"

    for statement in [
        "UPDATE customers SET score = 10 WHERE id = 1",
        "DELETE FROM customers WHERE id = 2",
        "ALTER TABLE customers ADD COLUMN email text",
        "INSERT INTO customers VALUES (4, 'dan', 4, 'dan@example.com')",
        "UPDATE customers SET email = 'cy@example.com' WHERE id = 3",
        "TRUNCATE logs",
        "INSERT INTO nopk VALUES (2, 'two')",
        "UPDATE nopk SET b = 'uno' WHERE a = 1",
        "UPDATE docs SET n = n + 1 WHERE id = 1",
        "UPDATE docs SET body = 'small now', n = n + 1 WHERE id = 1",
        "INSERT INTO customers VALUES (99, 'the end', 0, NULL)",
    ]:
        env.sql(db, statement)

    feeds["customers"].wait_for(lambda e: not e.tombstone and e.op == "c" and e.key == {"id": 99}, 120,
                                "the final marker insert (customers id 99)")
    assert daemon.sigterm(timeout=60) == 0
    collector.wait_caught_up(timeout=60)
    for feed in feeds.values():
        feed.poll()

    def streamed(table):
        return [e for e in feeds[table].events if e.tombstone or e.op != "r"]

    # customers: REPLICA IDENTITY DEFAULT -> before is null on updates, key-only on deletes.
    events = streamed("customers")
    ops = [("tombstone" if e.tombstone else e.op, e.key.get("id") if e.key else None) for e in events]
    assert ops == [("u", 1), ("d", 2), ("tombstone", 2), ("c", 4), ("u", 3), ("c", 99)], ops
    update, delete, _, insert, update_after_alter, _ = events
    assert update.before is None, f"identity DEFAULT update must have before=null: {update.payload}"
    assert update.after == {"id": 1, "name": "ann", "score": 10}, update.after
    assert delete.after is None and delete.before is not None
    assert delete.before["id"] == 2
    # Only the key came from the WAL; as Debezium, a NOT NULL column without a DEFAULT gets its
    # type's fallback ("" for text), a nullable one null.
    assert delete.before == {"id": 2, "name": "", "score": None}, \
        f"identity DEFAULT delete carries only the key (+ Debezium's fallbacks): {delete.before}"
    # The schema change reaches the stream: new column in the row and in the value schema.
    assert "email" not in update.after and "email" not in (_fields(update) or [])
    assert insert.after == {"id": 4, "name": "dan", "score": 4, "email": "dan@example.com"}, insert.after
    assert _fields(insert) == ["id", "name", "score", "email"], _fields(insert)
    assert update_after_alter.after["email"] == "cy@example.com"
    assert all(e.key_schema is not None for e in events), "schemas: true must wrap keys too"

    # logs: TRUNCATE -> one op t with a null key, no tombstone.
    events = streamed("logs")
    assert [(e.op, e.key) for e in events] == [("t", None)], [(e.op, e.key) for e in events]
    assert events[0].before is None and events[0].after is None
    assert events[0].source["table"] == "logs"

    # nopk: no primary key -> null Kafka key.
    events = streamed("nopk")
    assert [(e.op, e.key_raw) for e in events] == [("c", None), ("u", None)], [(e.op, e.key_raw) for e in events]
    assert events[0].after == {"a": 2, "b": "two"}
    assert events[1].before == {"a": 1, "b": "one"} and events[1].after == {"a": 1, "b": "uno"}
    assert all(e.key_raw is None for e in feeds["nopk"].events)

    # docs: unchanged TOASTed column with identity DEFAULT -> placeholder, never an invented value.
    events = streamed("docs")
    assert [e.op for e in events] == ["u", "u"]
    assert events[0].before is None
    assert events[0].after == {"id": 1, "body": UNAVAILABLE, "n": 1}, events[0].after
    assert events[1].after == {"id": 1, "body": "small now", "n": 2}

    # Envelope metadata on every streamed event.
    for table in feeds:
        for e in streamed(table):
            if e.tombstone:
                continue
            assert e.source["connector"] == "postgresql" and e.source["snapshot"] == "false", e.payload
            assert e.source["table"] == table and e.source["schema"] == "public" and e.source["db"] == db
            assert isinstance(e.source["lsn"], int) and isinstance(e.source["txId"], int), e.source


def test_skipped_operations(env, pg):
    """pipelines[].skipped_operations (Debezium's skipped.operations): default "t" drops TRUNCATE,
    "none" keeps every op, "c,d" drops creates and deletes (and keeps TRUNCATE); snapshot reads
    are never skipped, and a skipped-only transaction still moves the slot on."""
    from tributary_testing import daemon as daemon_mod
    import os
    db = env.database()
    for statement in ["CREATE TABLE t (id int PRIMARY KEY, v text)", "INSERT INTO t VALUES (1, 'one')"]:
        env.sql(db, statement)
    variants = {"skipdef": None, "skipnone": "none", "skipcd": "c,d"}
    kafka = env.shared_kafka(topics={**{f"{n}.public.t": 1 for n in variants}, "skip.offsets": 1})
    collector = env.collector(kafka, pattern=r"skip(def|none|cd)\.public\.t")
    feeds = {n: EventFeed(collector, f"{n}.public.t") for n in variants}
    pipelines = [daemon_mod.pipeline_config(pg, name=n, database=db,
                                            **({} if v is None else {"skipped_operations": v}))
                 for n, v in variants.items()]
    config = daemon_mod.daemon_config(pipelines, kafka.bootstrap_servers, os.path.join(env.workdir, "offsets"),
                                      offsets_topic="skip.offsets")
    daemon = env.daemon(config)
    daemon.start()
    for feed in feeds.values():
        feed.wait_for(lambda e: e.op == "r", 120, "the snapshot row")
    for statement in ["INSERT INTO t VALUES (2, 'two')", "UPDATE t SET v = 'uno' WHERE id = 1",
                      "DELETE FROM t WHERE id = 1", "TRUNCATE t", "INSERT INTO t VALUES (3, 'three')",
                      "UPDATE t SET v = 'end' WHERE id = 3"]:
        env.sql(db, statement)
    for feed in feeds.values():
        feed.wait_for(lambda e: not e.tombstone and e.op == "u" and e.key == {"id": 3}, 120, "the final update")
    # A transaction of skipped creates alone: skipcd's slot must still be confirmed past it.
    env.sql(db, "INSERT INTO t VALUES (4, 'four')")
    target = env.sql(db, "SELECT pg_current_wal_lsn()::text")[0][0]
    wait_until(lambda: env.sql(db, "SELECT confirmed_flush_lsn >= %s::pg_lsn FROM pg_replication_slots "
                                   "WHERE slot_name = 'tributary_skipcd'", (target,))[0][0],
               120, "the skipcd slot confirmed past a transaction of skipped creates")
    for name in ("skipdef", "skipnone"):
        feeds[name].wait_for(lambda e: not e.tombstone and e.op == "c" and e.key == {"id": 4}, 120, "insert 4")
    assert daemon.sigterm(timeout=60) == 0
    collector.wait_caught_up(timeout=60)

    def ops(name):
        feeds[name].poll()
        return [("tombstone" if e.tombstone else e.op, e.key.get("id") if e.key else None)
                for e in feeds[name].events]

    assert ops("skipdef") == [("r", 1), ("c", 2), ("u", 1), ("d", 1), ("tombstone", 1), ("c", 3), ("u", 3),
                              ("c", 4)], ops("skipdef")
    assert ops("skipnone") == [("r", 1), ("c", 2), ("u", 1), ("d", 1), ("tombstone", 1), ("t", None), ("c", 3),
                               ("u", 3), ("c", 4)], ops("skipnone")
    assert ops("skipcd") == [("r", 1), ("u", 1), ("t", None), ("u", 3)], ops("skipcd")
