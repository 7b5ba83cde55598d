"""pipelines[].routes against a real PostgreSQL 15 / MariaDB 10.11 and Kafka (read_committed).

Sharded tables (`items_1`, `items_2`, both keyed 1..N) routed into one topic as Debezium's
ByLogicalTableRouter does with its defaults: every record of both shards on `<prefix>.items_all`,
each key with the extra string field `__dbz__physicalTableIdentifier` (the shard's own topic name) so
the equal ids of the two shards are distinct Kafka keys, key and value schema names after the new
topic, the value's source block naming the real table; and each shard's records verified exactly
once (snapshot and stream, no loss, no duplicate, per-key order) by the verifier.
"""

import json
import os

import pytest

from tributary_testing import debezium
from tributary_testing.feed import EventFeed, change_matcher
from tributary_testing.sources import SOURCES, items_pipeline
from tributary_testing.verifier import verify_exactly_once
from tributary_testing.workload import Workload, create_items_table, preload_items, read_rows

FIELD = "__dbz__physicalTableIdentifier"
SHARDS = ("items_1", "items_2")
ROWS = 60


@pytest.mark.parametrize("kind", SOURCES)
def test_sharded_tables_routed_into_one_topic_exactly_once(env, request, kind):
    name = f"route{kind[:2]}"
    merged = f"{name}.items_all"
    # items_pipeline makes the `items` table and the config; the shards are created beside it.
    source, kafka, _, _, config, _ = items_pipeline(kind, env, request, 0, name)
    container = source.schema or source.db  # what sits between prefix and table in a topic name
    initial = {}
    conn = source.connect()
    for shard in SHARDS:
        create_items_table(conn, table=shard)
        initial[shard] = preload_items(conn, ROWS, table=shard)
    conn.close()
    pipeline = config["pipelines"][0]
    pipeline["routes"] = [{"match": f"{name}\\.{container}\\.items_([0-9]+)", "topic": f"{name}.items_all"}]
    collector = env.collector(kafka, topics=[merged, source.topic(name, "items"),
                                             *(source.topic(name, shard) for shard in SHARDS)])
    feed = EventFeed(collector, merged)
    daemon = env.daemon(config)
    daemon.start()

    workloads = {}
    for seed, shard in enumerate(SHARDS):
        workload = Workload(source.connect, initial[shard], seed=41 + seed, table=shard,
                            first_seq=1 + seed * 100000)
        env.workloads.append(workload)
        workloads[shard] = workload
    for workload in workloads.values():
        workload.start(200, max_txn_size=20)
    for workload in workloads.values():
        workload.join(timeout=300)
    for shard, workload in workloads.items():
        last = workload.changes()[-1]
        feed.wait_for(lambda e, s=shard, m=change_matcher(last): m(e) and e.source["table"] == s,
                      120, f"{shard}'s last change (seq {last.seq})")
    collector.wait_caught_up(timeout=60)
    feed.poll()

    # Nothing went to the shards' own topics (the `items` table, not routed, keeps its own).
    for shard in SHARDS:
        assert not collector.records(source.topic(name, shard)), shard

    by_shard = {shard: [] for shard in SHARDS}
    for event in feed.events:
        assert isinstance(event.key, dict) and set(event.key) == {"id", FIELD}, event.where
        identifier = event.key[FIELD]
        shard = identifier.rsplit(".", 1)[-1]
        assert identifier == source.topic(name, shard), (event.where, identifier)
        if not event.tombstone:
            assert event.source["table"] == shard, (event.where, event.source)
            assert event.key_schema["name"] == f"{merged}.Key", event.key_schema
            assert event.key_schema["fields"][-1] == {"type": "string", "optional": False, "field": FIELD}
            assert event.value_schema["name"] == f"{merged}.Envelope", event.value_schema["name"]
            value_names = {f["field"]: f.get("name") for f in event.value_schema["fields"]}
            assert value_names["before"] == value_names["after"] == f"{merged}.Value", value_names
        by_shard[shard].append(event)

    # Equal ids of the two shards are different keys (the field keeps them apart).
    keys = {shard: {(e.key["id"], e.key[FIELD]) for e in events} for shard, events in by_shard.items()}
    ids = [{key for key, _ in keys[shard]} for shard in SHARDS]
    assert ids[0] & ids[1], "the shards share ids, or the test proves nothing"
    assert not keys[SHARDS[0]] & keys[SHARDS[1]]

    conn = source.connect()
    finals = {shard: read_rows(conn, table=shard) for shard in SHARDS}
    conn.close()
    for shard in SHARDS:
        result = verify_exactly_once(by_shard[shard], workloads[shard].changes(), initial[shard],
                                     finals[shard], topic_prefix=name, table=shard,
                                     **source.verify_kwargs())
        print(f"verification {shard}:", result.stats)
        result.raise_if_failed()
    assert daemon.sigterm(timeout=60) == 0


def _json(value):
    return json.loads(value) if isinstance(value, (str, bytes)) else value


def test_routed_records_equal_debeziums_router(env, pg):
    """Debezium 3.6 (embedded, its own slot) with its ByLogicalTableRouter SMT on the same shards:
    topics, keys with their schema (the __dbz__physicalTableIdentifier field), value schema names and
    payloads' before/after/source table equal tributary's."""
    if not debezium.connector_available("postgresql"):
        pytest.skip("the Debezium peer's jars are not fetched (tests/support/debezium/fetch.sh)")
    db = env.database()
    for shard in ("orders_1", "orders_2"):
        env.sql(db, f"CREATE TABLE public.{shard} (id int PRIMARY KEY, region text)")
        env.sql(db, f"INSERT INTO public.{shard} VALUES (1, 'EU'), (2, 'US')")
    prefix = "rpeer"
    merged = f"{prefix}.orders"
    match = f"{prefix}\\.public\\.orders_([0-9]+)"
    kafka = env.shared_kafka()
    collector = env.collector(kafka, topics=[merged])
    feed = EventFeed(collector, merged)
    config = env.config(db, kafka, name=prefix, offsets_topic=f"{prefix}.offsets",
                        pipeline={"tables": {"include": ["public\\.orders_.*"], "exclude": []},
                                  "routes": [{"match": match, "topic": merged}]})
    daemon = env.daemon(config)
    peer = debezium.DebeziumPeer(connector="postgresql", host=pg.host, port=pg.port, user=pg.user,
                                 password=pg.password, database=db, topic_prefix=prefix,
                                 tables_include=["public\\.orders_.*"],
                                 workdir=os.path.join(env.workdir, "debezium"),
                                 slot="debezium_routes", publication="debezium_routes",
                                 extra={"transforms": "route",
                                        "transforms.route.type": "io.debezium.transforms.ByLogicalTableRouter",
                                        "transforms.route.topic.regex": match,
                                        "transforms.route.topic.replacement": merged})
    with peer:
        daemon.start()
        env.sql(db, "INSERT INTO public.orders_2 VALUES (3, 'EU')")
        env.sql(db, "UPDATE public.orders_1 SET region = 'APAC' WHERE id = 2")
        ours = feed.wait_for_count(lambda e: not e.tombstone, 6, 90, "tributary's routed events")
        theirs = [r for r in peer.records(6, timeout=120) if r.get("value") is not None]
    assert len(theirs) == 6, theirs
    assert {r["topic"] for r in theirs} == {merged}

    def mine(e):
        schema = e.value_schema
        rows = [f.get("name") for f in schema["fields"] if f["field"] in ("before", "after")]
        return (e.payload["op"], json.dumps(e.key, sort_keys=True), e.key_schema, schema["name"], rows,
                e.payload["source"]["table"], json.dumps(e.payload["after"], sort_keys=True))

    def debeziums(r):
        value = _json(r["value"])
        key_doc = _json(r["key_schemas"])
        schema = _json(r["value_schemas"])["schema"]
        rows = [f.get("name") for f in schema["fields"] if f["field"] in ("before", "after")]
        return (value["op"], json.dumps(_json(r["key"]), sort_keys=True), key_doc["schema"],
                schema["name"], rows, value["source"]["table"], json.dumps(value["after"], sort_keys=True))

    order = lambda t: (t[0], t[1])  # noqa: E731
    assert sorted(map(mine, ours), key=order) == sorted(map(debeziums, theirs), key=order)
    assert daemon.sigterm(timeout=60) == 0
