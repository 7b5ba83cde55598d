"""pipelines[].heartbeat against real PostgreSQL / MariaDB and Kafka (read_committed).

Debezium's heartbeats (HeartbeatImpl, heartbeat.interval.ms): a record on
`__debezium-heartbeat.<topic_prefix>`, key `{"serverName": <prefix>}`
(io.debezium.connector.common.ServerNameKey), value `{"ts_ms": ...}`
(io.debezium.connector.common.Heartbeat), both version 1, at the interval while the pipeline is
busy and while it idles; each is committed in a Kafka transaction with the offsets record, so the
data topic stays exactly once (the verifier runs with heartbeats on). PostgreSQL's
heartbeat.action_query runs on its own connection at each heartbeat.
"""

import json

import pytest

from tributary_testing.feed import EventFeed, change_matcher
from tributary_testing.sources import SOURCES, items_pipeline, items_source
from tributary_testing.util import wait_until
from tributary_testing.verifier import verify_exactly_once
from tributary_testing.workload import Workload, read_rows

INTERVAL_MS = 300

KEY_SCHEMA = {"type": "struct", "fields": [{"type": "string", "optional": False, "field": "serverName"}],
              "optional": False, "name": "io.debezium.connector.common.ServerNameKey", "version": 1}
VALUE_SCHEMA = {"type": "struct", "fields": [{"type": "int64", "optional": False, "field": "ts_ms"}],
                "optional": False, "name": "io.debezium.connector.common.Heartbeat", "version": 1}


def _payload(document, schemas):
    return document["payload"] if schemas else document


def _heartbeats(collector, topic, prefix, schemas):
    """The heartbeat records so far as ts_ms values, each checked against Debezium's shape."""
    beats = []
    for record in collector.records(topic):
        key, value = json.loads(record.key), json.loads(record.value)
        if schemas:
            assert key == {"schema": KEY_SCHEMA, "payload": {"serverName": prefix}}, key
            assert value["schema"] == VALUE_SCHEMA, value
            value = value["payload"]
        else:
            assert key == {"serverName": prefix}, key
        assert list(value) == ["ts_ms"] and isinstance(value["ts_ms"], int), value
        assert not record.headers, f"heartbeat with headers {record.headers}"
        beats.append(value["ts_ms"])
    return beats


@pytest.mark.parametrize("source_kind", SOURCES)
def test_heartbeats_while_busy_and_idle_keep_exactly_once(env, request, source_kind):
    # With the JsonConverter schema part: the verifier needs it to read the items' values.
    schemas = True
    name = f"hb_{source_kind}"
    source, kafka, topic, collector, config, initial = items_pipeline(
        source_kind, env, request, 300, name, max_events=200,
        pipeline={"heartbeat": {"interval_ms": INTERVAL_MS}, "envelope": {"schemas": schemas}})
    hb_topic = f"__debezium-heartbeat.{name}"
    beats = env.collector(kafka, topics=[hb_topic])
    feed = EventFeed(collector, topic)
    daemon = env.daemon(config)
    daemon.start()
    feed.wait_for_count(lambda e: e.op == "r", len(initial), 120, "the snapshot rows")

    # Busy: a paced workload (pacing only; nothing waits on time) for several intervals.
    workload = Workload(lambda: source.connect(autocommit=False), initial, seed=12)
    env.workloads.append(workload)
    workload.start(3000, rate=600)
    workload.join(timeout=300)
    last = workload.log[-1]
    feed.wait_for(change_matcher(last), 120, f"the last change (seq {last.seq})")
    # Kafka's create time of the streamed records: when the pipeline was busy.
    data_times = [r.timestamp for r in collector.records(topic) if r.value is not None
                  and _payload(json.loads(r.value), schemas).get("op") != "r"]
    busy_from, busy_to = min(data_times), max(data_times)

    # Idle: heartbeats go on, each a transaction with the offsets record.
    seen = len(_heartbeats(beats, hb_topic, name, schemas))
    beats.wait_for(lambda: len(beats.records(hb_topic)) >= seen + 3, 60, "three heartbeats while idle")
    final = read_rows(source.connect())
    assert daemon.sigterm(timeout=60) == 0
    collector.wait_caught_up(timeout=60)
    beats.wait_caught_up(timeout=60)
    feed.poll()

    times = _heartbeats(beats, hb_topic, name, schemas)
    assert times == sorted(times), f"heartbeats out of order: {times}"
    during = [t for t in times if busy_from <= t <= busy_to]
    assert len(during) >= 3, (f"{len(during)} heartbeats between the first and last streamed record "
                              f"({busy_from}..{busy_to}); all: {times}")
    result = verify_exactly_once(feed.events, workload.log, initial, final, topic_prefix=name,
                                 schemas=schemas, partitions=collector.partition_count(topic),
                                 **source.verify_kwargs())
    print("verification:", result.stats, "heartbeats:", len(times))
    result.raise_if_failed()


def test_postgres_action_query_runs_at_each_heartbeat(env):
    db = env.database()
    env.sql(db, "CREATE TABLE public.heartbeat (id int PRIMARY KEY, beats bigint NOT NULL)")
    prefix = "hb_action"
    kafka = env.shared_kafka()
    collector = env.collector(kafka, topics=[f"{prefix}.public.heartbeat"])
    feed = EventFeed(collector, f"{prefix}.public.heartbeat")
    query = ("INSERT INTO public.heartbeat VALUES (1, 1) "
             "ON CONFLICT (id) DO UPDATE SET beats = heartbeat.beats + 1")
    config = env.config(db, kafka, name=prefix, offsets_topic=f"{prefix}.offsets",
                        pipeline={"heartbeat": {"interval_ms": INTERVAL_MS, "action_query": query}})
    daemon = env.daemon(config)
    daemon.start()
    # Nothing else writes: every change of the table is the action query's, captured as any row.
    events = feed.wait_for_count(lambda e: e.op in ("c", "u"), 4, 60, "four action query changes")
    counts = [e.after["beats"] for e in events if e.op in ("c", "u")]
    assert counts[:4] == list(range(counts[0], counts[0] + 4)), counts
    assert daemon.sigterm(timeout=60) == 0


def test_mysql_action_query_runs_at_each_heartbeat(env, request):
    """MariaDB runs heartbeat.action_query too (Debezium's MySQL connector has it): each run is a
    binlog change of a captured table."""
    source = items_source("mysql", env, request)
    source.server.execute(f"CREATE TABLE `{source.db}`.heartbeat (id int PRIMARY KEY, beats bigint NOT NULL)")
    # The daemon's user reads; the heartbeat table is the one it may write.
    source.server.execute(f"GRANT INSERT, UPDATE ON `{source.db}`.heartbeat TO '{source.server.user}'@'%'")
    prefix = "hb_my_action"
    topic = source.topic(prefix, "heartbeat")
    kafka = env.shared_kafka()
    collector = env.collector(kafka, topics=[topic])
    feed = EventFeed(collector, topic)
    query = (f"INSERT INTO `{source.db}`.heartbeat VALUES (1, 1) "
             "ON DUPLICATE KEY UPDATE beats = beats + 1")
    config = source.config(kafka, prefix, offsets_topic=f"{prefix}.offsets",
                           pipeline={"heartbeat": {"interval_ms": INTERVAL_MS, "action_query": query}})
    daemon = env.daemon(config)
    daemon.start()
    events = feed.wait_for_count(lambda e: e.op in ("c", "u"), 4, 60, "four action query changes")
    counts = [e.after["beats"] for e in events if e.op in ("c", "u")]
    assert counts[:4] == list(range(counts[0], counts[0] + 4)), counts
    assert daemon.sigterm(timeout=60) == 0


def _retained_wal(env, db, slot):
    rows = env.pg.execute("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)::bigint "
                          "FROM pg_replication_slots WHERE slot_name = %s", (slot,), database=db)
    return int(rows[0][0]) if rows and rows[0][0] is not None else None


def test_postgres_slot_retains_little_wal_while_captured_tables_idle(env):
    """The captured table is idle while the same database's other tables and another database are
    busy: the slot's confirmed position still follows the WAL (tributary acknowledges the
    keepalives' positions once checkpointed; with heartbeats on, each heartbeat commits one), so
    PostgreSQL does not keep the WAL written since the pipeline started."""
    db = env.database()
    other = env.database("_other")
    env.sql(db, "CREATE TABLE public.items (id int PRIMARY KEY, v text)")
    env.sql(db, "INSERT INTO public.items VALUES (1, 'a')")
    env.sql(db, "CREATE TABLE public.busy (id serial PRIMARY KEY, v text)")
    env.sql(other, "CREATE TABLE public.busy (id serial PRIMARY KEY, v text)")
    prefix = "hb_wal"
    kafka = env.shared_kafka()
    collector = env.collector(kafka, topics=[f"{prefix}.public.items"])
    feed = EventFeed(collector, f"{prefix}.public.items")
    config = env.config(db, kafka, name=prefix, offsets_topic=f"{prefix}.offsets",
                        pipeline={"tables": {"include": ["public\\.items"]},
                                  "heartbeat": {"interval_ms": INTERVAL_MS}})
    daemon = env.daemon(config)
    daemon.start()
    feed.wait_for_count(lambda e: e.op == "r", 1, 120, "the snapshot row")
    slot = config["pipelines"][0]["source"]["slot"]

    # About 48 MiB of WAL, none of it on the captured table.
    chunk = "x" * 2000
    for database in (db, other):
        for _ in range(6):
            env.sql(database, "INSERT INTO public.busy (v) SELECT %s FROM generate_series(1, 4000)",
                    (chunk,))
    written = int(env.pg.execute("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint",
                                 database=db)[0][0])
    bound = 4 * 1024 * 1024
    wait_until(lambda: (_retained_wal(env, db, slot) or bound + 1) < bound, 120,
               f"the slot to keep under {bound} bytes of WAL (it keeps {_retained_wal(env, db, slot)}, "
               f"WAL at {written})")
    assert daemon.sigterm(timeout=60) == 0
