"""Message keys of MariaDB tables without a primary key, against a real MariaDB 10.11 and Kafka
(read_committed), beside Debezium 2.6.2's MySQL connector (MariaDB adapter) on the same binlog.

As Debezium's MySQL DDL parser: a table without a primary key is keyed by its first unique index
whose columns are all NOT NULL (one with a nullable column is skipped); a table with no such index
has a null key; `message_key_columns` (Debezium's message.key.columns) overrides a table's key, also
after a DDL statement changes the table. Records are partitioned by the key they carry, so a key's
changes stay in order.
"""

import json
import os

import pytest

from tributary_testing import daemon as daemon_mod
from tributary_testing import debezium
from tributary_testing.util import wait_until

TABLES = {
    # No primary key: `u_code` (first, nullable code) is skipped, `u_region_num` keys the table.
    "by_unique": "CREATE TABLE by_unique (region varchar(8) NOT NULL, num int NOT NULL, code varchar(8), "
                 "name varchar(20), UNIQUE KEY u_code (code), UNIQUE KEY u_region_num (region, num))",
    # A primary key wins over an earlier unique index.
    "by_pk": "CREATE TABLE by_pk (id int NOT NULL, tag varchar(8) NOT NULL, UNIQUE KEY u_tag (tag), "
             "PRIMARY KEY (id))",
    # Only a nullable unique index and a plain one: no key.
    "no_key": "CREATE TABLE no_key (a int, b int NOT NULL, UNIQUE KEY u_a (a), KEY k_b (b))",
    # Column DEFAULTs: the field schemas' "default", as Debezium converts them.
    "defaults": "CREATE TABLE defaults (id int PRIMARY KEY, status ENUM('new','paid') NOT NULL DEFAULT 'new', "
                "created DATETIME(3) DEFAULT '2020-01-01 00:00:00.000', qty INT DEFAULT 7, "
                "price DECIMAL(6,2) DEFAULT 1.50, note VARCHAR(10) DEFAULT 'it''s', "
                "stamp TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, day DATE DEFAULT '2024-02-29', "
                "none_ int DEFAULT NULL)",
}
ROWS = {
    "by_unique": ["('eu', 1, 'c1', 'one')", "('eu', 2, NULL, 'two')", "('us', 1, 'c3', 'three')"],
    "by_pk": ["(1, 'x')", "(2, 'y')"],
    "no_key": ["(1, 10)", "(NULL, 20)"],
    "defaults": ["(1, DEFAULT, DEFAULT, DEFAULT, DEFAULT, DEFAULT, '2024-01-01 00:00:00', DEFAULT, DEFAULT)"],
}
EXPECTED_KEY = {"by_unique": ["region", "num"], "by_pk": ["tag"], "no_key": None, "defaults": ["id"]}
SERVER_IDS = {"tributary": 5701, "debezium": 5702}


def _as_json(data):
    """A record part as JSON: the peer prints it parsed, Kafka gives bytes; None stays None."""
    if data is None or isinstance(data, (dict, list)):
        return data
    return json.loads(data)


def _streamed(server, db):
    server.execute(f"INSERT INTO `{db}`.by_unique VALUES ('us', 2, 'c4', 'four')")
    server.execute(f"UPDATE `{db}`.by_unique SET name = 'uno' WHERE region = 'eu' AND num = 1")
    server.execute(f"DELETE FROM `{db}`.by_unique WHERE region = 'us' AND num = 1")
    server.execute(f"UPDATE `{db}`.by_pk SET tag = 'z' WHERE id = 2")
    # A new table shape (a new TABLE_MAP): the override still keys it.
    server.execute(f"ALTER TABLE `{db}`.by_pk ADD COLUMN note varchar(8)")
    server.execute(f"UPDATE `{db}`.by_pk SET note = 'n' WHERE id = 1")
    server.execute(f"INSERT INTO `{db}`.no_key VALUES (3, 30)")
    server.execute(f"DELETE FROM `{db}`.no_key WHERE b = 10")


def test_tables_without_primary_key_are_keyed_as_debezium_keys_them(env, mariadb, mysql_database):
    if not debezium.connector_available("mariadb"):
        pytest.skip("the Debezium MariaDB peer's jars are not fetched (tests/support/debezium/fetch.sh mariadb)")
    db = mysql_database
    for table, ddl in TABLES.items():
        mariadb.execute(ddl, database=db)
        mariadb.execute(f"INSERT INTO {table} VALUES " + ", ".join(ROWS[table]), database=db)
    prefix = "mykeys"
    topics = [f"{prefix}.{db}.{table}" for table in TABLES]
    kafka = env.shared_kafka()
    collector = env.collector(kafka, topics=topics)
    pipeline = {
        "name": prefix,
        "source": {"type": "mysql", "host": mariadb.host, "port": mariadb.port, "user": mariadb.user,
                   "password": mariadb.password, "server_id": SERVER_IDS["tributary"]},
        "tables": {"include": [f"{db}\\..*"], "exclude": []},
        "envelope": {"schemas": True, "tombstones_on_delete": True},
        "message_key_columns": {f"{db}.by_pk": "tag"},
    }
    config = daemon_mod.daemon_config([pipeline], kafka.bootstrap_servers,
                                      os.path.join(env.workdir, "offsets"),
                                      offsets_topic=f"{prefix}.offsets")
    daemon = env.daemon(config)
    peer = debezium.DebeziumPeer(connector="mariadb", host=mariadb.host, port=mariadb.port,
                                 user=mariadb.user, password=mariadb.password, database=db,
                                 topic_prefix=prefix, tables_include=[f"{db}\\..*"],
                                 workdir=os.path.join(env.workdir, "debezium"),
                                 server_id=SERVER_IDS["debezium"],
                                 extra={"message.key.columns": f"{db}.by_pk:tag"})
    snapshot = sum(len(rows) for rows in ROWS.values())
    # Streamed: 7 changes; 2 deletes with a tombstone each; the update of by_pk's key column (tag)
    # is a delete, its tombstone and a create, as Debezium writes a key change.
    total = snapshot + 7 + 2 + 2
    with peer:
        daemon.start()
        collector.wait_for(lambda: sum(1 for r in collector.records() if r.topic in topics) >= snapshot,
                           120, f"tributary's {snapshot} snapshot records")
        _streamed(mariadb, db)
        collector.wait_for(lambda: sum(1 for r in collector.records() if r.topic in topics) >= total,
                           120, f"tributary's {total} records")
        # The peer also writes schema change records (another topic): count the tables' own.
        wait_until(lambda: len([r for r in peer.all_records() if r.get("topic") in topics]) >= total,
                   120, f"Debezium's {total} records")
        theirs = peer.all_records()

    ours = [r for r in collector.records() if r.topic in topics]
    assert len(ours) == total, [(r.topic, r.key) for r in ours]

    def summary(topic, key, value):
        key, value = _as_json(key), _as_json(value)
        op = value["payload"]["op"] if value else "tombstone"
        return topic, op, json.dumps(key, sort_keys=True)

    mine = sorted(summary(r.topic, r.key, r.value) for r in ours)
    debeziums = sorted(summary(r["topic"], r.get("key_schemas"), r.get("value_schemas"))
                       for r in theirs if r["topic"] in topics)
    assert mine == debeziums, "tributary:\n" + "\n".join(map(str, mine)) + "\nDebezium:\n" + "\n".join(
        map(str, debeziums))

    # The field schemas, defaults included, equal Debezium's.
    def after_fields(value):
        schema = _as_json(value)["schema"]
        return [f for f in schema["fields"] if f["field"] == "after"][0]["fields"]

    defaults_topic = f"{prefix}.{db}.defaults"
    mine_fields = after_fields(next(r.value for r in ours if r.topic == defaults_topic))
    their_fields = after_fields(next(r["value_schemas"] for r in theirs if r["topic"] == defaults_topic))
    assert mine_fields == their_fields, json.dumps({"tributary": mine_fields, "debezium": their_fields}, indent=1)
    assert any("default" in f for f in mine_fields), mine_fields

    for record in ours:
        table = record.topic.rsplit(".", 1)[1]
        key = json.loads(record.key) if record.key is not None else None
        if EXPECTED_KEY[table] is None:
            assert key is None, (table, key)
            continue
        assert [f["field"] for f in key["schema"]["fields"]] == EXPECTED_KEY[table], key
        assert key["schema"]["name"] == f"{prefix}.{db}.{table}.Key", key
    partitions = {}
    for record in ours:
        if record.key is not None:
            partitions.setdefault((record.topic, record.key), set()).add(record.partition)
    assert all(len(p) == 1 for p in partitions.values()), partitions
    assert daemon.sigterm(timeout=60) == 0
