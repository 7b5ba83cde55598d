"""MySQL/MariaDB schema change records (`pipelines[].schema_changes: true`) against the session's
MariaDB 10.11 and a real Kafka, read with a read_committed Collector:

- CREATE TABLE, ALTER TABLE ... ADD COLUMN and DROP TABLE on the captured database give one record
  each on the topic `<topic_prefix>` (partition 0) in Debezium's shape: key {databaseName}, value
  {source, ts_ms, databaseName, schemaName, ddl, tableChanges} with the statement's text, the
  change type and the table's columns; in binlog order with the data events around them;
- with the key off (the default) no topic `<topic_prefix>` is written at all.
"""

import json

from tributary_testing.feed import EventFeed
from tributary_testing.sources import items_pipeline
from tributary_testing.verifier import ITEMS_FIELD_SCHEMAS

WAIT = 90

CREATE = ("CREATE TABLE gadgets (id INT NOT NULL AUTO_INCREMENT PRIMARY KEY, "
          "label VARCHAR(30) NOT NULL DEFAULT 'x' COMMENT 'the label')")
ALTER = "ALTER TABLE gadgets ADD COLUMN weight DECIMAL(8,2) NULL"
DROP = "DROP TABLE gadgets"


def _insert(conn, key):
    with conn.cursor() as cur:
        cur.execute(f"INSERT INTO items (id, version) VALUES ({key}, 1)")


def _wait_inserted(feed, key):
    return feed.wait_for(lambda e: e.op == "c" and e.after and e.after["id"] == key, WAIT,
                         f"the insert of id {key}")


def _run_ddl_between_inserts(source, feed):
    """Inserts 1001..1004 into items with CREATE, ALTER and DROP of gadgets between them; returns
    the insert events by id. Each insert is awaited in Kafka before the next DDL runs: the table
    part is read from information_schema when the stream reaches the DDL, so a stream behind by a
    statement would describe the table as the next DDL left it (documented in binlog_stream.cpp)."""
    conn = source.connect()
    _insert(conn, 1001)
    inserts = {1001: _wait_inserted(feed, 1001)}
    for key, statement in ((1002, CREATE), (1003, ALTER), (1004, DROP)):
        with conn.cursor() as cur:
            cur.execute(statement)
        _insert(conn, key)
        inserts[key] = _wait_inserted(feed, key)
    conn.close()
    return inserts


def _binlog_point(source_block):
    return (source_block["file"], source_block["pos"])


def test_create_alter_drop_give_schema_change_records_in_order(env, request):
    name = "myddl"
    source, kafka, topic, collector, config, initial = items_pipeline(
        "mysql", env, request, 5, name, pipeline={"schema_changes": True})
    ddl_collector = env.collector(kafka, topics=[name])
    daemon = env.daemon(config).start()
    feed = EventFeed(collector, topic, ITEMS_FIELD_SCHEMAS)
    feed.wait_for_count(lambda e: e.op == "r", len(initial), WAIT, "the snapshot rows")
    inserts = _run_ddl_between_inserts(source, feed)

    def three_records():
        records = ddl_collector.records(name)
        return records if len(records) >= 3 else None
    records = ddl_collector.wait_for(three_records, WAIT, "three schema change records")
    assert len(records) == 3, [r.value for r in records]
    values = [json.loads(r.value) for r in records]
    for record, value in zip(records, values):
        assert record.partition == 0
        key = json.loads(record.key)
        assert key["payload"] == {"databaseName": source.db}, key
        assert key["schema"]["name"] == "io.debezium.connector.mariadb.SchemaChangeKey", key
        assert value["schema"]["name"] == "io.debezium.connector.mariadb.SchemaChangeValue"
        assert [f["field"] for f in value["schema"]["fields"]] == [
            "source", "ts_ms", "databaseName", "schemaName", "ddl", "tableChanges"]
    create, alter, drop = (v["payload"] for v in values)
    assert create["ddl"] == CREATE and alter["ddl"] == ALTER, (create["ddl"], alter["ddl"])
    for payload in (create, alter, drop):
        assert payload["databaseName"] == source.db and payload["schemaName"] is None
        assert payload["source"]["connector"] == "mariadb"
        assert payload["source"]["db"] == source.db and payload["source"]["table"] == "gadgets"
        assert len(payload["tableChanges"]) == 1, payload
        assert payload["tableChanges"][0]["id"] == f'"{source.db}"."gadgets"'
    assert [p["tableChanges"][0]["type"] for p in (create, alter, drop)] == [
        "CREATE", "ALTER", "DROP"]

    def columns(payload):
        return {c["name"]: c for c in payload["tableChanges"][0]["table"]["columns"]}
    created = columns(create)
    assert list(created) == ["id", "label"]
    assert create["tableChanges"][0]["table"]["primaryKeyColumnNames"] == ["id"]
    assert created["id"]["typeName"] == "INT" and created["id"]["jdbcType"] == 4
    assert created["id"]["autoIncremented"] is True and created["id"]["optional"] is False
    label = created["label"]
    assert (label["typeName"], label["jdbcType"], label["length"], label["optional"]) == (
        "VARCHAR", 12, 30, False), label
    # no comment: Debezium's include.schema.comments is false by default
    assert label["comment"] is None and label["defaultValueExpression"] == "x", label
    assert label["position"] == 2
    altered = columns(alter)
    assert list(altered) == ["id", "label", "weight"]
    weight = altered["weight"]
    assert (weight["typeName"], weight["jdbcType"], weight["length"], weight["scale"],
            weight["optional"], weight["position"]) == ("DECIMAL", 3, 8, 2, True, 3), weight
    # The DROP's record carries no table (Debezium's), its DDL as Debezium rewrites it.
    assert drop["tableChanges"][0]["table"] is None, drop
    assert drop["ddl"] == f"DROP TABLE `{source.db}`.`gadgets`", drop["ddl"]
    # In binlog order with the data events: each DDL between the inserts around it.
    points = [_binlog_point(inserts[1001].source), _binlog_point(create["source"]),
              _binlog_point(inserts[1002].source), _binlog_point(alter["source"]),
              _binlog_point(inserts[1003].source), _binlog_point(drop["source"]),
              _binlog_point(inserts[1004].source)]
    assert points == sorted(points) and len(set(points)) == len(points), points
    daemon.stop()


def _topic_names(kafka):
    from confluent_kafka.admin import AdminClient

    servers = getattr(kafka, "direct_bootstrap_servers", kafka.bootstrap_servers)
    return set(AdminClient({"bootstrap.servers": servers}).list_topics(timeout=10).topics)


def test_schema_changes_off_writes_no_prefix_topic(env, request):
    name = "myddloff"
    source, kafka, topic, collector, config, initial = items_pipeline("mysql", env, request, 5, name)
    daemon = env.daemon(config).start()
    feed = EventFeed(collector, topic, ITEMS_FIELD_SCHEMAS)
    feed.wait_for_count(lambda e: e.op == "r", len(initial), WAIT, "the snapshot rows")
    _run_ddl_between_inserts(source, feed)  # 1004 is in Kafka: the daemon read every DDL
    topics = _topic_names(kafka)
    assert topic in topics and name not in topics, sorted(topics)
    daemon.stop()
