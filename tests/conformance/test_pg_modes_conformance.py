"""PostgreSQL conformance with Debezium's value handling modes set (pipelines[].types): tributary
beside two Debezium 3.6.1.Final peers on one database, each peer given the same settings as one
tributary pipeline, compared event by event (compare.py), snapshot and streaming, schemas on and off.

  set A  decimal string, time connect, binary hex, hstore map, interval string   (prefix modesa)
  set B  decimal double, time adaptive_time_microseconds, binary base64-url-safe  (prefix modesb)

Every difference fails the test (no known-differences list: the defaults run in test_pg_conformance).
Without the modes tributary writes Debezium's default encodings, which differ from both peers' in
every column below but id.
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from tributary_testing import daemon as daemon_mod  # noqa: E402
from tributary_testing.debezium import DebeziumPeer  # noqa: E402

import compare  # noqa: E402

SCHEMA = "modes"
COLUMNS = """id int4 PRIMARY KEY, d numeric(10,2), v numeric, m money, da date, t0 time(0), t3 time(3),
  t6 time, ts3 timestamp(3), ts6 timestamp, tz timestamptz, b bytea, ba bytea[], h hstore, ha hstore[],
  iv interval, na numeric(5,2)[], va numeric[], dta date[], ta time[], tsa timestamp[], bi bit(3)"""
ROW1 = """(1, 123.45, 1.500, 9.99, '2020-09-27', '15:37:24', '15:37:24.058', '15:37:24.058468',
  '2020-09-27 15:37:24.058', '2020-09-27 15:37:24.058468', '2020-09-27 15:37:24.058468+02', '\\xdeadbeef',
  ARRAY['\\x00ff'::bytea, NULL, '\\xfbff'], 'a=>b, k=>NULL, "q\\"x"=>"é"', ARRAY['x=>y'::hstore, NULL],
  '1 year 2 mons 3 days 04:05:06.78', ARRAY[1.5, NULL]::numeric(5,2)[], ARRAY[1.500, 2, NULL]::numeric[],
  ARRAY['2020-01-01'::date], ARRAY['01:02:03.456789'::time], ARRAY['2020-01-01 01:02:03.456789'::timestamp],
  B'101')"""
SNAPSHOT = [
    "CREATE EXTENSION IF NOT EXISTS hstore",
    f"CREATE SCHEMA {SCHEMA}",
    f"CREATE TABLE {SCHEMA}.t ({COLUMNS})",
    f"INSERT INTO {SCHEMA}.t VALUES {ROW1}",
    f"INSERT INTO {SCHEMA}.t (id, d, v, iv, b, h) VALUES (2, -0.01, 'NaN', '-1 day -00:00:01.5', '\\x', '')",
    f"INSERT INTO {SCHEMA}.t (id, v, iv, m) VALUES (3, 12345678901234567890.123456789, '0', -92233720368547758.08)",
    f"CREATE TABLE {SCHEMA}.done (id int4 PRIMARY KEY)",
]
STREAMING = [
    f"INSERT INTO {SCHEMA}.t VALUES {ROW1.replace('(1,', '(11,', 1)}",
    f"INSERT INTO {SCHEMA}.t (id, v, iv, ts6, t6, da) VALUES (12, 0.000, '-3 years 5 mons 1.000001 seconds',"
    " '1969-12-31 23:59:59.999999', '24:00:00', '1900-03-01')",
    f"UPDATE {SCHEMA}.t SET d = 1, v = -98765432109876543210987654321, b = '\\x0102', h = 'z=>1',"
    " iv = '100:00:00' WHERE id = 1",
    f"DELETE FROM {SCHEMA}.t WHERE id = 2",
    f"INSERT INTO {SCHEMA}.done VALUES (1)",
]
SETS = {
    "modesa": ({"decimal_handling": "string", "time_precision": "connect", "binary_handling": "hex",
                "hstore_handling": "map", "interval_handling": "string"},
               {"decimal.handling.mode": "string", "time.precision.mode": "connect",
                "binary.handling.mode": "hex", "hstore.handling.mode": "map",
                "interval.handling.mode": "string"}),
    "modesb": ({"decimal_handling": "double", "time_precision": "adaptive_time_microseconds",
                "binary_handling": "base64-url-safe"},
               {"decimal.handling.mode": "double", "time.precision.mode": "adaptive_time_microseconds",
                "binary.handling.mode": "base64-url-safe"}),
}
PLAIN = "modesaplain"  # set A again with envelope.schemas false


def test_pg_modes_conformance(env, pg):
    db = env.database()
    for statement in SNAPSHOT:
        env.sql(db, statement)
    include = [f"{SCHEMA}\\..*"]
    kafka = env.shared_kafka()
    collector = env.collector(kafka, pattern=r"(modesa|modesb|modesaplain)\..*")
    pipelines = [
        daemon_mod.pipeline_config(pg, name=prefix, database=db, topic_prefix=prefix, slot=f"tributary_{prefix}",
                                   publication=f"tributary_{prefix}", tables={"include": include, "exclude": []},
                                   envelope={"schemas": schemas}, types=types)
        for prefix, schemas, types in (("modesa", True, SETS["modesa"][0]), ("modesb", True, SETS["modesb"][0]),
                                       (PLAIN, False, SETS["modesa"][0]))]
    config = daemon_mod.daemon_config(pipelines, kafka.bootstrap_servers, os.path.join(env.workdir, "offsets"),
                                      offsets_topic="modes.offsets")
    daemon = env.daemon(config)
    peers = {prefix: DebeziumPeer(connector="postgresql", host=pg.host, port=pg.port, user=pg.user,
                                  password=pg.password, database=db, topic_prefix=prefix, tables_include=include,
                                  workdir=os.path.join(env.workdir, f"debezium-{prefix}"), slot=f"debezium_{prefix}",
                                  publication=f"debezium_{prefix}", extra=extra)
             for prefix, (_, extra) in SETS.items()}
    theirs = {}
    with peers["modesa"], peers["modesb"]:
        daemon.start()
        for statement in STREAMING:
            env.sql(db, statement)
        markers = {f"{p}.{SCHEMA}.done" for p in ("modesa", "modesb", PLAIN)}
        collector.wait_for(lambda: {r.topic for r in collector.records()} >= markers, 120,
                           "the marker row from every tributary pipeline")
        collector.wait_caught_up()
        for prefix, peer in peers.items():
            records = peer.records(1)
            while not any(r["topic"] == f"{prefix}.{SCHEMA}.done" for r in records):
                records = peer.records(len(records) + 1, timeout=120)
            theirs[prefix] = records

    ours = compare.tributary_records(collector.records())
    case_of = lambda topic: topic.split(".")[1]  # noqa: E731
    diffs = []
    for prefix in SETS:
        side = [r for r in ours if r["topic"].startswith(prefix + ".")]
        assert any(r["topic"] == f"{prefix}.{SCHEMA}.t" for r in side), f"no {prefix} records"
        diffs += compare.compare_views(f"{prefix} schemas", side,
                                       compare.debezium_view(theirs[prefix], True, collector.partition_count), case_of)
    plain = [r for r in ours if r["topic"].startswith(PLAIN + ".")]
    plain_partitions = lambda topic: collector.partition_count(PLAIN + topic[len("modesa"):])  # noqa: E731
    diffs += compare.compare_views("modesa plain", plain, compare.debezium_view(theirs["modesa"], False, plain_partitions),
                                   case_of, tributary_prefix=PLAIN, debezium_prefix="modesa")
    compare.write_differences(os.path.join(env.workdir, "differences.txt"), diffs)
    data = [r for r in ours if r["topic"].endswith(f".{SCHEMA}.t")]
    print(f"{len(ours)} tributary records ({len(data)} of {SCHEMA}.t), "
          f"{sum(len(t) for t in theirs.values())} Debezium records, {len(diffs)} differences")
    assert not diffs, compare.report(diffs, {}, [])
