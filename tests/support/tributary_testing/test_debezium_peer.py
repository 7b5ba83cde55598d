"""The Debezium peer's own tests: the embedded engine (3.6.1.Final) snapshots a PostgreSQL table and
streams an insert, an update and a delete (with its tombstone) as JSON lines written by Kafka
Connect's converters; the same for MariaDB (2.6.2.Final's MySQL connector with its MariaDB adapter),
with its schema-change topic."""

import base64
import os
import tempfile
import time

import pytest

from tributary_testing.debezium import DebeziumPeer, connector_available, debezium_properties
from tributary_testing.mariadb_server import MariaDbServer
from tributary_testing.pgserver import PgServer
from tributary_testing.util import wait_until

REPORT = []  # (what, value): the JVM start time and records per second, printed at the end (pytest -s)


@pytest.fixture(scope="module")
def pg():
    with PgServer() as server:
        yield server


@pytest.fixture
def workdir():
    with tempfile.TemporaryDirectory(prefix="tributary-debezium-") as path:
        yield path


def _ops(records):
    return [(r["topic"], r["value"]["op"] if r["value"] else None) for r in records]


def test_properties_keep_debezium_defaults_but_the_mapped_ones():
    props = debezium_properties("postgresql", host="h", port=5, user="u", password="p", database="d",
                                topic_prefix="t", tables_include=["public.a", "public.b"], workdir="/w",
                                slot="s", publication="pub", extra={"snapshot.mode": "no_data"})
    assert props["table.include.list"] == "public.a,public.b"
    assert props["plugin.name"] == "pgoutput" and props["publication.autocreate.mode"] == "filtered"
    assert props["snapshot.mode"] == "no_data"  # extra overrides
    assert "decimal.handling.mode" not in props and "tombstones.on.delete" not in props
    with pytest.raises(ValueError, match="slot"):
        debezium_properties("postgresql", host="h", port=5, user="u", password="p", database="d",
                            topic_prefix="t", tables_include=[], workdir="/w")
    with pytest.raises(ValueError, match="server_id"):
        debezium_properties("mariadb", host="h", port=5, user="u", password="p", database="d",
                            topic_prefix="t", tables_include=[], workdir="/w")


def test_postgresql_snapshot_then_streaming(pg, workdir):
    pg.execute("CREATE TABLE public.item (id int PRIMARY KEY, name text NOT NULL, price numeric(8,2))",
               database="shop", superuser=False)
    pg.execute("INSERT INTO public.item VALUES (1, 'snap', 1.50)", database="shop", superuser=False)
    peer = DebeziumPeer(connector="postgresql", host=pg.host, port=pg.port, user=pg.user,
                        password=pg.password, database=pg.database, topic_prefix="dbz",
                        tables_include=["public.item"], workdir=workdir,
                        slot="debezium_peer", publication="debezium_peer")
    with peer:
        snapshot = peer.records(1)
        assert _ops(snapshot) == [("dbz.public.item", "r")]
        assert snapshot[0]["key"] == {"id": 1}
        assert snapshot[0]["value"]["after"]["name"] == "snap"
        # numeric(8,2): JsonConverter's default decimal.format is base64 of the unscaled value
        # (a two's-complement BigInteger: 150 is 00 96)
        assert base64.b64decode(snapshot[0]["value"]["after"]["price"]) == b"\x00\x96"
        assert snapshot[0]["value_schemas"]["schema"]["name"] == "dbz.public.item.Envelope"
        assert snapshot[0]["key_schemas"]["payload"] == {"id": 1}
        assert pg.slot_info("debezium_peer") is not None
        assert pg.execute("SELECT count(*) FROM pg_publication_tables WHERE pubname = 'debezium_peer'",
                          database="shop")[0][0] == 1  # filtered: the included table alone

        pg.execute("INSERT INTO public.item VALUES (2, 'new', NULL)", database="shop", superuser=False)
        pg.execute("UPDATE public.item SET name = 'renamed' WHERE id = 2", database="shop", superuser=False)
        pg.execute("DELETE FROM public.item WHERE id = 1", database="shop", superuser=False)
        records = peer.records(5)
        assert _ops(records) == [("dbz.public.item", "r"), ("dbz.public.item", "c"),
                                 ("dbz.public.item", "u"), ("dbz.public.item", "d"),
                                 ("dbz.public.item", None)]
        insert, update, delete, tombstone = records[1:]
        assert insert["value"]["after"] == {"id": 2, "name": "new", "price": None}
        assert update["value"]["after"]["name"] == "renamed"
        assert delete["value"]["before"]["id"] == 1 and delete["value"]["after"] is None
        assert tombstone["key"] == {"id": 1}
        assert tombstone["value"] is None and tombstone["value_schemas"] is None
        assert insert["value"]["source"]["lsn"] < delete["value"]["source"]["lsn"]
        # Debezium's context headers, as SimpleHeaderConverter text
        headers = {h["key"]: h["value"] for h in tombstone["headers"]}
        assert headers["__debezium.context.connectorLogicalName"] == "dbz"
        assert headers["__debezium.context.connectorName"] == "postgresql"
        assert peer.wait_idle(quiet=1.0) == records
        REPORT.append(("postgresql JVM start to streaming (s)", round(peer.startup_seconds, 1)))
    assert not peer.running
    assert os.path.getsize(os.path.join(workdir, "offsets.dat")) > 0  # the engine's offsets, on stop


def test_postgresql_throughput(pg, workdir):
    """Records per second the peer delivers: a 5,000-row snapshot (with the JVM's start) and 5,000
    rows streamed in one transaction (reported, not asserted)."""
    rows = 5000
    pg.execute("CREATE TABLE public.bulk (id int PRIMARY KEY, v text)", database="shop", superuser=False)
    pg.execute(f"INSERT INTO public.bulk SELECT g, md5(g::text) FROM generate_series(1, {rows}) g",
               database="shop", superuser=False)
    began = time.monotonic()
    with DebeziumPeer(connector="postgresql", host=pg.host, port=pg.port, user=pg.user,
                      password=pg.password, database=pg.database, topic_prefix="bulk",
                      tables_include=["public.bulk"], workdir=workdir,
                      slot="debezium_bulk", publication="debezium_bulk") as peer:
        records = peer.records(rows)
        snapshot_seconds = time.monotonic() - began
        assert [r["key"]["id"] for r in records] == list(range(1, rows + 1))
        assert records[-1]["value"]["source"]["snapshot"] == "last"
        began = time.monotonic()
        pg.execute(f"INSERT INTO public.bulk SELECT g, md5(g::text) FROM generate_series({rows + 1}, "
                   f"{2 * rows}) g", database="shop", superuser=False)
        records = peer.records(2 * rows)
        streaming_seconds = time.monotonic() - began
        assert [r["key"]["id"] for r in records] == list(range(1, 2 * rows + 1))
        assert {r["value"]["op"] for r in records[rows:]} == {"c"}
        REPORT.append(("postgresql snapshot records/s, JVM start included", round(rows / snapshot_seconds)))
        REPORT.append(("postgresql streamed records/s", round(rows / streaming_seconds)))


def test_mariadb_snapshot_then_streaming(workdir):
    """Debezium 2.6.2.Final's MySQL connector with its MariaDB adapter (debezium.py): the snapshot
    row, then an insert, an update and a delete (with its tombstone) on <prefix>.<db>.<table>; the
    schema-change topic (<prefix>) gets the DDL, keyed by the database."""
    assert connector_available("mariadb")  # a missing classpath fails here, it does not skip
    with MariaDbServer() as db:
        db.execute("CREATE TABLE shop.item (id INT PRIMARY KEY, name VARCHAR(20) NOT NULL)")
        db.execute("INSERT INTO shop.item VALUES (1, 'snap')")
        with DebeziumPeer(connector="mariadb", host=db.host, port=db.port, user=db.user,
                          password=db.password, database=db.database, topic_prefix="dbz",
                          tables_include=["shop.item"], workdir=workdir, server_id=5401) as peer:

            def item_records():
                return [r for r in peer.all_records() if r["topic"] == "dbz.shop.item"]

            wait_until(lambda: item_records(), 60, lambda: f"the snapshot row; log:\n{peer.log_tail()}")
            snapshot = item_records()
            assert [r["value"]["op"] for r in snapshot] == ["r"]
            assert snapshot[0]["key"] == {"id": 1} and snapshot[0]["value"]["after"]["name"] == "snap"
            assert snapshot[0]["key_schemas"]["payload"] == {"id": 1}
            assert snapshot[0]["value_schemas"]["schema"]["name"] == "dbz.shop.item.Envelope"
            assert snapshot[0]["value"]["source"]["connector"] == "mysql"  # 2.6's adapter, not "mariadb"

            db.execute("INSERT INTO shop.item VALUES (2, 'new')")
            db.execute("UPDATE shop.item SET name = 'renamed' WHERE id = 2")
            db.execute("DELETE FROM shop.item WHERE id = 1")
            wait_until(lambda: len(item_records()) >= 5, 60,
                       lambda: f"5 item records, have {_ops(item_records())}; log:\n{peer.log_tail()}")
            records = item_records()
            assert [r["value"]["op"] if r["value"] else None for r in records] == ["r", "c", "u", "d", None]
            insert, update, delete, tombstone = records[1:]
            assert insert["key"] == {"id": 2} and insert["value"]["after"] == {"id": 2, "name": "new"}
            assert update["value"]["before"] == {"id": 2, "name": "new"}
            assert update["value"]["after"] == {"id": 2, "name": "renamed"}
            assert delete["value"]["before"] == {"id": 1, "name": "snap"} and delete["value"]["after"] is None
            assert tombstone["key"] == {"id": 1} and tombstone["value"] is None
            assert insert["value"]["source"]["file"] and insert["value"]["source"]["pos"] > 0
            assert insert["value"]["source"]["db"] == "shop" and insert["value"]["source"]["table"] == "item"

            # schema changes (include.schema.changes=true, Debezium's default): the snapshot's DDL
            # on the topic named by the prefix alone, keyed by the database ("" for the server's
            # SET character_set_server ...), before the snapshot row; a streamed ALTER lands there too
            schema = [r for r in peer.all_records() if r["topic"] == "dbz"]
            assert schema[0]["key"] == {"databaseName": ""} and schema[0]["value"]["ddl"].startswith("SET ")
            assert all(r["key"] == {"databaseName": "shop"} for r in schema[1:])
            assert schema[-1]["value"]["ddl"].startswith("CREATE TABLE `item`")
            assert peer.all_records().index(schema[-1]) < peer.all_records().index(snapshot[0])
            db.execute("ALTER TABLE shop.item ADD COLUMN price INT")
            wait_until(lambda: any("price" in (r["value"] or {}).get("ddl", "") for r in peer.all_records()
                                   if r["topic"] == "dbz"), 60, lambda: f"the ALTER; log:\n{peer.log_tail()}")
            topics = {r["topic"] for r in peer.all_records()}
            assert topics == {"dbz", "dbz.shop.item"}, topics
            REPORT.append(("mariadb JVM start to streaming (s)", round(peer.startup_seconds, 1)))
        assert os.path.getsize(os.path.join(workdir, "schema-history.dat")) > 0


def teardown_module(module):
    for what, value in REPORT:
        print(f"debezium peer: {what}: {value}")
