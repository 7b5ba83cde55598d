"""MariaDB conformance: tributary beside the real Debezium (2.6.2.Final's MySQL connector with its
MariaDB adapter: tributary_testing.debezium) on one MariaDB 10.11 (binlog ROW, GTID), the same
workload (mariadb_workload.py: snapshot, then streaming rows of every type family, then DDL while
streaming), compared event by event with compare.py, schema change records on the topic <prefix>
included. Any difference not listed in known_differences_mariadb.yaml fails the test; the listed
ones are printed as a summary table.

tributary runs two pipelines at once, each with its own replica server id: `dbserver1` with
envelope.schemas true (Debezium's topic.prefix, so topic names, schema names and source.name compare
as they are) and `dbznoschema` with schemas false (compared after mapping the prefix; its
source.name is ignored). Both with schema_changes true (Debezium's include.schema.changes default).

The schema change topic is created with one partition (Debezium's documentation asks for one, for
order), so both sides' partition is 0. Debezium's snapshot writes schema change records of its own
(SET character_set_server, DROP/CREATE DATABASE, USE, CREATE TABLE ...; source.snapshot not
"false"), tributary none: they are compared on a topic of their own, `<prefix>#snapshot`, so that
the streamed DDL records pair up one to one.
"""

import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from tributary_testing import daemon as daemon_mod  # noqa: E402
from tributary_testing.debezium import DebeziumPeer  # noqa: E402
from tributary_testing.mariadb_server import MariaDbServer  # noqa: E402

import compare  # noqa: E402
import mariadb_workload as workload  # noqa: E402

PREFIX = "dbserver1"
PLAIN_PREFIX = "dbznoschema"
SNAPSHOT_DDL = "#snapshot"  # the topic suffix Debezium's snapshot schema change records are moved to
MARKER = "zz_done"          # its one row, inserted last, shows both sides have everything
SERVER_IDS = {PREFIX: 5601, PLAIN_PREFIX: 5602, "debezium": 5603}
WAIT = 120


def _snapshot_ddl(record):
    value = record["value"] or {}
    source = (value.get("payload", value) or {}).get("source") or {}
    return source.get("snapshot", "false") != "false"


def _debezium_topic(record):
    """Debezium's snapshot-time schema change records go to their own topic name (see SNAPSHOT_DDL)."""
    return PREFIX + SNAPSHOT_DDL if record["topic"] == PREFIX and _snapshot_ddl(record) else record["topic"]


def _case_of(topic):
    if topic.startswith(PREFIX + SNAPSHOT_DDL):
        return "schema_changes_snapshot"
    parts = topic.split(".")
    return "schema_changes" if len(parts) == 1 else parts[-1]


def _run(db, statements):
    conn = db.connect(database=workload.DATABASE)
    try:
        with conn.cursor() as cur:
            cur.execute(workload.SQL_MODE)
            for statement in statements:
                cur.execute(statement)
    finally:
        conn.close()


def test_mariadb_conformance(env, tmp_path):
    kafka = env.shared_kafka(topics={PREFIX: 1, PLAIN_PREFIX: 1})
    with MariaDbServer(database=workload.DATABASE) as db:
        _run(db, [t.create for t in workload.TABLES] + [f"CREATE TABLE {MARKER} (id INT PRIMARY KEY)"])
        _run(db, [s for t in workload.TABLES for s in t.snapshot])
        include = [f"{workload.DATABASE}\\..*"]
        collector = env.collector(kafka, pattern=rf"^({PREFIX}|{PLAIN_PREFIX})(\..*)?$")
        pipelines = [{
            "name": name,
            "source": {"type": "mysql", "host": db.host, "port": db.port, "user": db.user,
                       "password": db.password, "server_id": SERVER_IDS[name]},
            "tables": {"include": include, "exclude": []},
            "snapshot": {"mode": "initial", "parallelism": 2},
            "topic_prefix": name,
            "schema_changes": True,
            "envelope": {"schemas": schemas, "tombstones_on_delete": True},
        } for name, schemas in ((PREFIX, True), (PLAIN_PREFIX, False))]
        config = daemon_mod.daemon_config(pipelines, kafka.bootstrap_servers,
                                          os.path.join(env.workdir, "offsets"),
                                          offsets_topic="conformance.mariadb.offsets")
        daemon = env.daemon(config)
        peer = DebeziumPeer(connector="mariadb", host=db.host, port=db.port, user=db.user,
                            password=db.password, database=workload.DATABASE, topic_prefix=PREFIX,
                            tables_include=include, workdir=os.path.join(env.workdir, "debezium"),
                            server_id=SERVER_IDS["debezium"])
        with peer:
            daemon.start()
            snapshot_rows = sum(len(t.snapshot) for t in workload.TABLES)

            def snapshotted(prefix):
                return sum(1 for r in collector.records() if r.topic.startswith(prefix + ".") and r.value
                           and b'"op":"r"' in r.value) >= snapshot_rows
            collector.wait_for(lambda: snapshotted(PREFIX) and snapshotted(PLAIN_PREFIX), WAIT,
                               f"{snapshot_rows} snapshot rows from both tributary pipelines")

            _run(db, [s for t in workload.TABLES for s in t.streaming])
            for statement, row in workload.DDL:
                ours_before = {p: len(collector.records(p)) for p in (PREFIX, PLAIN_PREFIX)}
                theirs_before = sum(1 for r in peer.all_records() if r["topic"] == PREFIX)
                _run(db, [statement])
                # tributary reads the table's description when its stream reaches the DDL: the
                # next DDL waits for it (module docstring of mariadb_workload)
                collector.wait_for(lambda: all(len(collector.records(p)) > n for p, n in ours_before.items()),
                                   WAIT, f"tributary's schema change record of {statement!r}")
                peer.records(1)
                while sum(1 for r in peer.all_records() if r["topic"] == PREFIX) <= theirs_before:
                    peer.records(len(peer.all_records()) + 1, timeout=WAIT)
                if row:
                    _run(db, [row])
            _run(db, [f"INSERT INTO {MARKER} VALUES (1)"])
            marker = f"{PREFIX}.{workload.DATABASE}.{MARKER}"
            collector.wait_for(lambda: {r.topic for r in collector.records()}
                               >= {marker, f"{PLAIN_PREFIX}.{workload.DATABASE}.{MARKER}"},
                               WAIT, "the marker row from both tributary pipelines")
            collector.wait_caught_up()
            theirs = peer.records(1)
            while not any(r["topic"] == marker for r in theirs):
                theirs = peer.records(len(theirs) + 1, timeout=WAIT)

    ours = compare.tributary_records(collector.records())
    schemas_side = [r for r in ours if r["topic"] == PREFIX or r["topic"].startswith(PREFIX + ".")]
    plain_side = [dict(r, topic=PREFIX) if r["topic"] == PLAIN_PREFIX else r
                  for r in ours if r["topic"] == PLAIN_PREFIX or r["topic"].startswith(PLAIN_PREFIX + ".")]

    schemas_theirs = compare.debezium_view(theirs, True, collector.partition_count, _debezium_topic)
    diffs = compare.compare_views("schemas", schemas_side, schemas_theirs, _case_of)

    def plain_partitions(topic):
        return collector.partition_count(PLAIN_PREFIX + topic[len(PREFIX):])
    plain_theirs = compare.debezium_view(theirs, False, plain_partitions, _debezium_topic)
    diffs += compare.compare_views("plain", plain_side, plain_theirs, _case_of,
                                   tributary_prefix=PLAIN_PREFIX, debezium_prefix=PREFIX)
    known = compare.load_known(os.path.join(HERE, "known_differences_mariadb.yaml"))
    unexplained, explained = compare.split_known(diffs, known)
    compare.write_differences(os.path.join(env.workdir, "differences.txt"), diffs)
    with open(os.path.join(env.workdir, "debezium-records.json"), "w", encoding="utf-8") as f:
        json.dump(theirs, f, indent=1, ensure_ascii=False)
    with open(os.path.join(env.workdir, "tributary-records.json"), "w", encoding="utf-8") as f:
        json.dump(ours, f, indent=1, ensure_ascii=False)
    print(compare.report(unexplained, explained, known))
    print(f"{len(ours)} tributary records, {len(theirs)} Debezium records, {len(diffs)} differences "
          f"({len(unexplained)} unexplained); Debezium started in {peer.startup_seconds:.1f}s")
    stale = compare.stale(known, explained)
    if stale:
        print("known_differences_mariadb.yaml entries that matched nothing (fixed? then delete them):\n  "
              + "\n  ".join(stale))
    assert not unexplained, compare.report(unexplained, {}, known)
