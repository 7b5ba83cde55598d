"""Message keys of tables without a primary key, and pipelines[].message_key_columns, against a
real PostgreSQL and Kafka (read_committed).

As Debezium 3.6's PostgreSQL connector (JdbcConnection.readTableUniqueIndices over pgjdbc's
getIndexInfo): a table without a primary key is keyed by its first unique index, clustered first,
then by index name, skipping an index on an expression; message_key_columns overrides the key of a
table (primary key or not). Records are partitioned by the key they carry (Kafka's murmur2 of the
key bytes), so one key's changes stay in order on one partition. Every record also goes through
the consumers' own parsers (Kafka Connect's JsonConverter, Flink's debezium-json).
"""

import collections

from tributary_testing import consumers
from tributary_testing.daemon import run_cli
from tributary_testing.feed import EventFeed
from tributary_testing.verifier import default_partition

PARTITIONS = 4

TABLES = [
    # No primary key. "a0_lower" is first by name but on an expression (skipped, as Debezium);
    # "a_region_num" comes before "b_code".
    "CREATE TABLE public.by_unique (region text NOT NULL, num int NOT NULL, code text, "
    "name text, version int NOT NULL)",
    "CREATE UNIQUE INDEX b_code ON public.by_unique (code)",
    "CREATE UNIQUE INDEX a_region_num ON public.by_unique (region, num)",
    "CREATE UNIQUE INDEX a0_lower ON public.by_unique (lower(name))",
    "ALTER TABLE public.by_unique REPLICA IDENTITY FULL",
    # No primary key; the clustered index comes first whatever its name.
    "CREATE TABLE public.clustered (x int NOT NULL, y int NOT NULL, version int NOT NULL)",
    "CREATE UNIQUE INDEX a_x ON public.clustered (x)",
    "CREATE UNIQUE INDEX b_y ON public.clustered (y)",
    "CLUSTER public.clustered USING b_y",
    "ALTER TABLE public.clustered REPLICA IDENTITY FULL",
    # A primary key, overridden by message_key_columns: keyed by customer.
    "CREATE TABLE public.orders (id int PRIMARY KEY, customer text NOT NULL, version int NOT NULL)",
    "ALTER TABLE public.orders REPLICA IDENTITY FULL",
    # Neither: a null key.
    "CREATE TABLE public.notes (body text)",
    "ALTER TABLE public.notes REPLICA IDENTITY FULL",
]


def _events(collector, prefix, table, count, what):
    feed = EventFeed(collector, f"{prefix}.public.{table}")
    return feed.wait_for_count(lambda e: True, count, 90, what)


def _assert_partitioned_by_key(events):
    for e in events:
        if e.key_raw is not None:
            assert e.partition == default_partition(e.key_raw, PARTITIONS), \
                f"{e.topic}@{e.offset} key {e.key} on partition {e.partition}, not its key's"


def test_keys_come_from_the_first_unique_index_or_message_key_columns(env):
    db = env.database()
    for statement in TABLES:
        env.sql(db, statement)
    env.sql(db, "INSERT INTO public.by_unique VALUES ('eu', 1, 'c1', 'one', 1), ('us', 1, 'c2', 'two', 1)")
    env.sql(db, "INSERT INTO public.clustered VALUES (1, 10, 1)")
    env.sql(db, "INSERT INTO public.orders VALUES (1, 'ann', 1), (2, 'bob', 1)")
    env.sql(db, "INSERT INTO public.notes VALUES ('first')")

    prefix = "mkeys"
    kafka = env.shared_kafka()
    collector = env.collector(kafka, pattern=rf"{prefix}\.public\..*")
    config = env.config(db, kafka, name=prefix, offsets_topic=f"{prefix}.offsets",
                        pipeline={"message_key_columns": {"public.orders": "customer"}})
    config["kafka"]["topics"] = {"partitions": PARTITIONS}
    daemon = env.daemon(config)
    daemon.start()

    # Streaming: per customer, interleaved updates, then moves and deletes.
    env.sql(db, "INSERT INTO public.orders VALUES (3, 'ann', 1), (4, 'cy', 1)")
    for version in range(2, 6):
        env.sql(db, "UPDATE public.orders SET version = %s", (version,))
    env.sql(db, "UPDATE public.by_unique SET version = 2, name = 'uno' WHERE region = 'eu'")
    env.sql(db, "DELETE FROM public.by_unique WHERE region = 'us'")
    env.sql(db, "UPDATE public.clustered SET version = 2")
    env.sql(db, "DELETE FROM public.orders WHERE id = 2")
    env.sql(db, "INSERT INTO public.notes VALUES ('second')")

    # by_unique: 2 r + u + d + tombstone; clustered: r + u; orders: 2 r + 2 c + 4*4 u + d + tombstone;
    # notes: r + c.
    by_unique = _events(collector, prefix, "by_unique", 5, "by_unique's events")
    clustered = _events(collector, prefix, "clustered", 2, "clustered's events")
    orders = _events(collector, prefix, "orders", 22, "orders' events")
    notes = _events(collector, prefix, "notes", 2, "notes' events")
    collector.wait_caught_up()

    for e in by_unique:
        assert list(e.key) == ["region", "num"], f"by_unique key {e.key} at {e.where}"
        assert [f["field"] for f in e.key_schema["fields"]] == ["region", "num"]
        assert e.key_schema["name"] == f"{prefix}.public.by_unique.Key"
    per_key = collections.defaultdict(list)
    for e in sorted(by_unique, key=lambda e: (e.partition, e.offset)):
        per_key[(e.key["region"], e.key["num"])].append(e.op)
    assert per_key == {("eu", 1): ["r", "u"], ("us", 1): ["r", "d", None]}, per_key

    assert all(e.key == {"y": 10} for e in clustered), [e.key for e in clustered]

    assert all(list(e.key) == ["customer"] for e in orders), [e.key for e in orders]
    # Per key order: one customer's events on one partition, in the order they were written.
    by_customer = collections.defaultdict(list)
    for e in sorted(orders, key=lambda e: (e.partition, e.offset)):
        by_customer[e.key["customer"]].append(e)
    for customer, events in by_customer.items():
        assert len({e.partition for e in events}) == 1, f"{customer}'s events on several partitions"
        rows = [(e.after or e.before) for e in events if not e.tombstone]
        for order_id in {r["id"] for r in rows}:
            versions = [r["version"] for r in rows if r["id"] == order_id]
            assert versions == sorted(versions), f"order {order_id} ({customer}) out of order: {versions}"
    assert [e.op for e in by_customer["bob"]] == ["r", "u", "u", "u", "u", "d", None]

    assert all(e.key is None and e.key_raw is None for e in notes)
    _assert_partitioned_by_key(by_unique + clustered + orders)

    # The consumers' own parsers accept every record, with the expected RowKinds.
    records = collector.records()
    checked = consumers.inputs(records, True)
    failed, summary = consumers.failures(checked, consumers.schema_inputs(checked))
    assert not failed, "a consumer's parser rejected records:\n  " + "\n  ".join(failed)
    assert summary["flink_rows"] > 0


def test_a_message_key_column_the_table_lacks_stops_the_start_naming_the_key(env):
    db = env.database()
    env.sql(db, "CREATE TABLE public.orders (id int PRIMARY KEY, customer text)")
    kafka = env.shared_kafka()
    config = env.config(db, kafka, name="mkeybad", offsets_topic="mkeybad.offsets",
                        pipeline={"message_key_columns": {"public.orders": "customer, nope"}})
    daemon = env.daemon(config)
    daemon.start(wait_ready=False)
    code = daemon.wait(timeout=90)
    output = daemon.current_run_stderr()
    assert code == 2, f"expected exit 2 (configuration), got {code}:\n{output}"
    assert "message_key_columns.public.orders" in output and "no column 'nope'" in output, output
    assert "id, customer" in output, f"the error does not list the table's columns:\n{output}"


def test_a_message_key_table_not_captured_is_a_configuration_error(env):
    config = env.config("nowhere", None, pipeline={
        "tables": {"include": ["public\\..*"], "exclude": ["public\\.secret"]},
        "message_key_columns": {"public.secret": "id", "other.orders": "id", "orders": "id",
                                "public.orders": "id,,customer"}})
    daemon = env.daemon(config)
    result = run_cli(["check", "--offline", "-c", daemon.config_path], timeout=30)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    for expected in ("message_key_columns.public.secret", "message_key_columns.other.orders",
                     "message_key_columns.orders", "write it as schema.table",
                     "message_key_columns.public.orders", "comma-separated list of column names"):
        assert expected in output, f"{expected!r} missing:\n{output}"
