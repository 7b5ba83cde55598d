"""PostgreSQL conformance: tributary beside the real Debezium (3.6.1.Final, embedded engine) on one
database, the golden envelope cases replayed for real (workload.py), compared event by event
(compare.py). Any difference not listed in known_differences.yaml fails the test; the listed ones are
printed as a summary table.

tributary runs two pipelines at once, each on its own slot and publication: `dbserver1` with
envelope.schemas true (the same topic prefix as Debezium's topic.prefix, so topic names, schema
names and source.name compare as they are) and `dbznoschema` with schemas false (its topics are
compared after mapping the prefix, its source.name is ignored). Running them one after the other
with one prefix would need the workload twice.
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from tributary_testing import consumers  # noqa: E402
from tributary_testing import daemon as daemon_mod  # noqa: E402
from tributary_testing.debezium import DebeziumPeer  # noqa: E402

import compare  # noqa: E402
import workload  # noqa: E402

PREFIX = "dbserver1"          # Debezium's topic.prefix and the schemas pipeline's topic_prefix
PLAIN_PREFIX = "dbznoschema"  # the schemas-false pipeline
MARKER = "zz_marker"          # its one row, inserted last, shows both sides have everything
# Logical decoding messages (topic <prefix>.message), run after the cases: transactional (each a
# transaction of its own), non-transactional, and content bytes that are not text.
MESSAGES = [
    "SELECT pg_logical_emit_message(true, 'outbox.order', 'transactional')",
    "SELECT pg_logical_emit_message(false, 'outbox.audit', 'non-transactional')",
    "SELECT pg_logical_emit_message(false, 'raw', '\\x00ff80'::bytea)",
]


def _run(env, db, statements):
    """One session per case and phase (a case's SET applies to its later statements), autocommit."""
    conn = env.connect(db)
    try:
        with conn.cursor() as cur:
            for statement in statements:
                cur.execute(statement)
    finally:
        conn.close()


def test_pg_conformance(env, pg):
    db = env.database()
    cases = workload.cases()
    for case in cases:
        _run(env, db, [f"CREATE SCHEMA {case.name}"] + case.snapshot)
    env.sql(db, f"CREATE SCHEMA {MARKER}")
    env.sql(db, f"CREATE TABLE {MARKER}.done (id int4 PRIMARY KEY)")
    include = [c.include for c in cases] + [f"{MARKER}\\..*"]

    kafka = env.shared_kafka()
    collector = env.collector(kafka, pattern=rf"({PREFIX}|{PLAIN_PREFIX})\..*")
    pipelines = [
        daemon_mod.pipeline_config(pg, name=name, database=db, topic_prefix=name,
                                   slot=f"tributary_{name}", publication=f"tributary_{name}",
                                   tables={"include": include, "exclude": []},
                                   envelope={"schemas": schemas})
        for name, schemas in ((PREFIX, True), (PLAIN_PREFIX, False))]
    config = daemon_mod.daemon_config(pipelines, kafka.bootstrap_servers, os.path.join(env.workdir, "offsets"),
                                      offsets_topic="conformance.offsets")
    daemon = env.daemon(config)
    peer = DebeziumPeer(connector="postgresql", host=pg.host, port=pg.port, user=pg.user,
                        password=pg.password, database=db, topic_prefix=PREFIX, tables_include=include,
                        workdir=os.path.join(env.workdir, "debezium"), slot="debezium_conformance",
                        publication="debezium_conformance")
    with peer:
        daemon.start()
        for case in cases:
            _run(env, db, case.streaming)
        _run(env, db, MESSAGES)
        env.sql(db, f"INSERT INTO {MARKER}.done VALUES (1)")
        marker = f"{PREFIX}.{MARKER}.done"
        collector.wait_for(lambda: {r.topic for r in collector.records()} >= {marker, f"{PLAIN_PREFIX}.{MARKER}.done"},
                           120, "the marker row from both tributary pipelines")
        collector.wait_caught_up()
        theirs = peer.records(1)
        while not any(r["topic"] == marker for r in theirs):
            theirs = peer.records(len(theirs) + 1, timeout=120)

    ours = compare.tributary_records(collector.records())
    schemas_side = [r for r in ours if r["topic"].startswith(PREFIX + ".")]
    plain_side = [r for r in ours if r["topic"].startswith(PLAIN_PREFIX + ".")]

    def case_of(topic):
        return topic.split(".")[1]

    schemas_theirs = compare.debezium_view(theirs, True, collector.partition_count)
    assert any(r["partition"] is not None for r in schemas_theirs), "no partition computed for Debezium's records"
    diffs = compare.compare_views("schemas", schemas_side, schemas_theirs, case_of)
    plain_partitions = lambda topic: collector.partition_count(PLAIN_PREFIX + topic[len(PREFIX):])  # noqa: E731
    diffs += compare.compare_views("plain", plain_side, compare.debezium_view(theirs, False, plain_partitions), case_of,
                                   tributary_prefix=PLAIN_PREFIX, debezium_prefix=PREFIX)
    known = compare.load_known(os.path.join(HERE, "known_differences.yaml"))
    unexplained, explained = compare.split_known(diffs, known)
    compare.write_differences(os.path.join(env.workdir, "differences.txt"), diffs)
    print(compare.report(unexplained, explained, known))
    print(f"{len(ours)} tributary records, {len(theirs)} Debezium records, {len(diffs)} differences "
          f"({len(unexplained)} unexplained); Debezium started in {peer.startup_seconds:.1f}s")
    # An entry nothing matched any more is named (its fix landed: delete it), without failing: the
    # fixes land one by one while this list is the work list.
    stale = compare.stale(known, explained)
    if stale:
        print("known_differences.yaml entries that matched nothing (fixed? then delete them):\n  "
              + "\n  ".join(stale))
    # Item 4: the consumers' own parsers read every record, tributary's and Debezium's (the control).
    # Row topics only: the parsers (Flink's debezium-json among them) read change events, and reject
    # the `.message` records of Debezium and tributary alike ("no row type for this topic").
    ours_rows = [r for r in collector.records() if not r.topic.endswith(".message")]
    theirs_rows = [r for r in theirs if not r["topic"].endswith(".message")]
    parser_failures, parser_summary = consumers.conformance_failures(ours_rows, theirs_rows, PREFIX, PLAIN_PREFIX)
    print(parser_summary + "".join("\n  " + f for f in parser_failures))
    assert not unexplained, compare.report(unexplained, {}, known)
    assert not parser_failures, "a consumer's parser rejected records:\n  " + "\n  ".join(parser_failures)
