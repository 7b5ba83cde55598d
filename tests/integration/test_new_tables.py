"""Tables joining the capture set, unsupported columns, and a snapshot stopped half way.

Every test runs on the session's shared Kafka with its own pipeline name (topic prefix,
transactional.id) and offsets topic; the joining table's events are checked by the read_committed
verifier (exactly once, per-key order, snapshot then stream, final state)."""

import json
import os
import re
import threading

from tributary_testing.daemon import write_config
from tributary_testing.feed import EventFeed, change_matcher
from tributary_testing.util import wait_until
from tributary_testing.verifier import verify_exactly_once
from tributary_testing.workload import Workload, create_items_table, preload_items, read_rows

JOINED = "joined the capture set"


def _topics(name, tables):
    return {**{f"{name}.public.{t}": 4 for t in tables}, f"{name}.offsets": 1}


def _verify_joined(env, daemon, collector, feed, workload, conn, name, db, table="late"):
    """Waits for the workload's last change, stops the daemon, verifies `table` exactly once."""
    last = workload.log[-1]
    feed.wait_for(change_matcher(last), 300,
                  lambda: f"the last change (seq {last.seq}) of {table}\n{daemon.stderr_tail(30)}")
    final = read_rows(conn, table)
    assert daemon.sigterm(timeout=60) == 0, daemon.stderr_tail(40)
    collector.wait_caught_up(timeout=60)
    feed.poll()
    result = verify_exactly_once(feed.events, workload.log, workload.initial, final, topic_prefix=name,
                                 database=db, schemas=True, table=table,
                                 partitions=collector.partition_count(f"{name}.public.{table}"))
    print("verification:", result.stats)
    result.raise_if_failed()
    return result


class _Workload(Workload):
    def __init__(self, env, db, initial, table, seed):
        super().__init__(lambda: env.connect(db, autocommit=False), initial, seed=seed, table=table)
        self.initial = initial
        env.workloads.append(self)


def _joined_lines(daemon, table):
    return [line for line in daemon.current_run_stderr().splitlines()
            if f"table=public.{table} " in line and JOINED in line]


def test_table_created_while_running_joins_with_its_rows_exactly_once(env):
    name = "joinlive"
    db = env.database()
    conn = env.connect(db)
    create_items_table(conn)
    preload_items(conn, 50)
    kafka = env.shared_kafka(topics=_topics(name, ["items", "late"]))
    collector = env.collector(kafka, pattern=rf"{name}\.public\..*")
    feed = EventFeed(collector, f"{name}.public.late")
    daemon = env.daemon(env.config(db, kafka, name=name, max_events=500,
                                   offsets_topic=f"{name}.offsets"))
    daemon.start()

    # Created and filled while the daemon streams, and written to all through its join.
    create_items_table(conn, "late")
    initial = preload_items(conn, 3000, "late")
    workload = _Workload(env, db, initial, "late", seed=7)
    workload.start(4000, rate=400)
    wait_until(lambda: daemon.check_running("the join") and _joined_lines(daemon, "late"), 120,
               lambda: f"public.late to join the capture set\n{daemon.stderr_tail(30)}")
    workload.join(timeout=120)

    result = _verify_joined(env, daemon, collector, feed, workload, conn, name, db)
    # The join overlapped the writes: some are in its snapshot, later ones streamed.
    assert result.stats["s_star"] > 1 and result.stats["streamed"] > 0, result.stats
    output = daemon.stderr_tail(10_000)
    assert len(re.findall(r"table=public\.late new table matches tables\.include", output)) == 1, output
    (line,) = _joined_lines(daemon, "late")
    assert "pipeline=joinlive" in line and "rows" in line and "join LSN" in line, line


def test_widened_include_snapshots_an_existing_table_then_streams_it(env):
    name = "joinwiden"
    db = env.database()
    conn = env.connect(db)
    create_items_table(conn)
    preload_items(conn, 50)
    create_items_table(conn, "late")
    initial = preload_items(conn, 5000, "late")
    kafka = env.shared_kafka(topics=_topics(name, ["items", "late"]))
    collector = env.collector(kafka, pattern=rf"{name}\.public\..*")
    feed = EventFeed(collector, f"{name}.public.late")
    config = env.config(db, kafka, name=name, max_events=500, offsets_topic=f"{name}.offsets",
                        pipeline={"tables": {"include": ["public\\.items"]}})
    daemon = env.daemon(config)
    daemon.start()
    # Ready comes while the initial snapshot still runs: stop only once it is checkpointed.
    wait_until(lambda: (_checkpoint(daemon, name) or {}).get("snapshot_completed"), 120,
               "the initial snapshot to be checkpointed")
    assert daemon.sigterm(timeout=60) == 0

    config["pipelines"][0]["tables"]["include"] = ["public\\.items", "public\\.late"]
    write_config(daemon.config_path, config)
    checked = daemon.check(timeout=90)
    assert "table public.late joins the capture set on the next start" in checked.stdout + checked.stderr, \
        checked.stdout + checked.stderr
    workload = _Workload(env, db, initial, "late", seed=11)
    workload.start(4000, rate=400)
    daemon.start()
    wait_until(lambda: _joined_lines(daemon, "late"), 120,
               lambda: f"public.late to join the capture set\n{daemon.stderr_tail(30)}")
    workload.join(timeout=120)
    result = _verify_joined(env, daemon, collector, feed, workload, conn, name, db)
    assert result.stats["snapshot_rows"] > 0 and result.stats["streamed"] > 0, result.stats


def _checkpoint(daemon, name):
    path = os.path.join(daemon.config["offsets"]["directory"], f"{name}.offsets")
    try:
        with open(path) as f:
            return json.load(f)
    except (FileNotFoundError, ValueError):
        return None


def _join_entry(record, table):
    for entry in (record or {}).get("tables") or []:
        if entry["table"] == table and "join_lsn" in entry:
            return entry
    return None


def test_kill_after_the_join_snapshot_before_the_join_point_doubles_nothing(env, pg):
    name = "joinkill"
    db = env.database()
    conn = env.connect(db)
    create_items_table(conn)
    preload_items(conn, 50)
    env.sql(db, "CREATE TABLE bulk (id int PRIMARY KEY, v int)")
    env.sql(db, "CREATE TABLE hold (id int)")  # never captured
    create_items_table(conn, "late")
    initial = preload_items(conn, 3000, "late")
    kafka = env.shared_kafka(topics=_topics(name, ["items", "bulk", "late"]))
    collector = env.collector(kafka, pattern=rf"{name}\.public\..*")
    feed = EventFeed(collector, f"{name}.public.late")
    config = env.config(db, kafka, name=name, max_events=1000, offsets_topic=f"{name}.offsets",
                        pipeline={"tables": {"include": ["public\\.items", "public\\.bulk"]}})
    daemon = env.daemon(config)
    daemon.start()
    # Ready comes while the initial snapshot still runs: stop only once it is checkpointed.
    wait_until(lambda: (_checkpoint(daemon, name) or {}).get("snapshot_completed"), 120,
               "the initial snapshot to be checkpointed")
    assert daemon.sigterm(timeout=60) == 0

    # Between the checkpoint and the join: one large transaction the stream reads for a while
    # after the join snapshot, so that its checkpoints stay before the join point.
    env.sql(db, "INSERT INTO bulk SELECT g, g FROM generate_series(1, 200000) g")
    workload = _Workload(env, db, initial, "late", seed=13)
    workload.start(3000, rate=300)
    # An open transaction holds the join slot's consistent point back, so that changes to `late`
    # committed after it joined the publication and before the join point certainly exist.
    blocker = env.connect(db, autocommit=False)
    with blocker.cursor() as cur:
        cur.execute("INSERT INTO hold VALUES (1)")
    config["pipelines"][0]["tables"]["include"] = ["public\\.items", "public\\.bulk", "public\\.late"]
    daemon.start(wait_ready=False)
    published = "SELECT count(*) FROM pg_publication_tables WHERE tablename = 'late'"
    wait_until(lambda: daemon.check_running("the join") and env.sql(db, published)[0][0] == 1, 120,
               "public.late to be added to the publication")
    joining = ("SELECT count(*) FROM pg_stat_activity WHERE application_name = %s")
    wait_until(lambda: env.sql(db, joining, (f"tributary-{name}-join",))[0][0] == 1, 60,
               "the join snapshot's replication connection")
    seq = workload.last_seq
    wait_until(lambda: workload.last_seq >= seq + 30, 60, "changes to late before the join point")
    blocker.commit()

    wait_until(lambda: daemon.check_running("the join") and _join_entry(_checkpoint(daemon, name), "late"),
               120, lambda: f"the checkpoint to record late's join point\n{daemon.stderr_tail(20)}")
    daemon.kill9()
    record = _checkpoint(daemon, name)
    entry = _join_entry(record, "late")
    assert entry is not None and record["position"]["lsn_decimal"] < entry["join_lsn_decimal"], \
        f"the kill came after the stream passed the join point (test precondition): {record}"

    daemon.start()
    workload.join(timeout=120)
    result = _verify_joined(env, daemon, collector, feed, workload, conn, name, db)
    assert result.stats["snapshot_rows"] > 0 and result.stats["streamed"] > 0, result.stats
    # The restart resumed with late in the recorded set: no second join snapshot.
    assert not _joined_lines(daemon, "late"), daemon.current_run_stderr()


# ---- unsupported columns ---------------------------------------------------------------------------

def _fields(event, side="after"):
    for field in (event.value_schema or {}).get("fields", []):
        if field.get("field") == side:
            return [f["field"] for f in field.get("fields", [])]
    return None


def _skip_warnings(daemon, column):
    return [line for line in daemon.stderr_tail(10_000).splitlines()
            if " WARN " in line and f"column {column} has type" in line]


def test_unsupported_columns_are_left_out_at_start_and_at_runtime(env):
    name = "skipcols"
    db = env.database()
    env.sql(db, "CREATE TABLE places (id int PRIMARY KEY, spot point, name text)")
    env.sql(db, "INSERT INTO places VALUES (1, '(1,2)', 'one'), (2, '(3,4)', 'two')")
    kafka = env.shared_kafka(topics=_topics(name, ["places"]))
    collector = env.collector(kafka, topics=[f"{name}.public.places"])
    feed = EventFeed(collector, f"{name}.public.places")
    daemon = env.daemon(env.config(db, kafka, name=name, offsets_topic=f"{name}.offsets"))
    daemon.start()
    snapshot = feed.wait_for_count(lambda e: e.op == "r", 2, 120, "2 snapshot rows of places")
    assert all(e.after.keys() == {"id", "name"} and _fields(e) == ["id", "name"] for e in snapshot), \
        [e.after for e in snapshot]
    (warning,) = _skip_warnings(daemon, "spot")
    assert "pipeline=skipcols" in warning and "table=public.places" in warning and "point" in warning \
        and "tables.unsupported_columns" in warning, warning

    # A column of an unsupported type added while streaming: the rest keeps flowing.
    env.sql(db, "ALTER TABLE places ADD COLUMN area box")
    env.sql(db, "INSERT INTO places VALUES (3, '(5,6)', 'three', '((0,0),(1,1))')")
    env.sql(db, "ALTER TABLE places ADD COLUMN note text")  # another Relation message
    env.sql(db, "INSERT INTO places VALUES (4, NULL, 'four', NULL, 'n')")
    env.sql(db, "UPDATE places SET name = 'uno' WHERE id = 1")
    events = feed.wait_for_count(lambda e: e.op in ("c", "u"), 3, 120, "3 streamed changes")
    by_id = {e.after["id"]: e for e in events}
    assert by_id[3].after == {"id": 3, "name": "three"}, by_id[3].after
    assert by_id[4].after == {"id": 4, "name": "four", "note": "n"}, by_id[4].after
    assert by_id[1].after == {"id": 1, "name": "uno", "note": None}, by_id[1].after
    assert daemon.running and daemon.http_get("/readyz")[0] == 200
    assert len(_skip_warnings(daemon, "area")) == 1 and len(_skip_warnings(daemon, "spot")) == 1, \
        daemon.stderr_tail(40)


def test_unsupported_columns_fail_stops_naming_every_column(env):
    name = "failcols"
    db = env.database()
    env.sql(db, "CREATE TABLE places (id int PRIMARY KEY, spot point, box box)")
    kafka = env.shared_kafka(topics=_topics(name, ["places", "plain"]))
    config = env.config(db, kafka, name=name, offsets_topic=f"{name}.offsets",
                        pipeline={"tables": {"unsupported_columns": "fail"}})
    daemon = env.daemon(config)
    daemon.start(wait_ready=False)
    assert daemon.wait(timeout=90) == 2, daemon.current_run_stderr()
    output = daemon.current_run_stderr()
    for expected in ("public.places.spot", "public.places.box", "unsupported_columns: skip"):
        assert expected in output, output

    # At runtime: the pipeline fails with a clear error (a schema change is no config error).
    env.sql(db, "DROP TABLE places")
    env.sql(db, "CREATE TABLE plain (id int PRIMARY KEY, v text)")
    daemon.start()
    env.sql(db, "ALTER TABLE plain ADD COLUMN area box")
    env.sql(db, "INSERT INTO plain VALUES (1, 'x', '((0,0),(1,1))')")
    wait_until(lambda: "public.plain.area" in daemon.current_run_stderr(), 90,
               lambda: f"an error naming public.plain.area\n{daemon.stderr_tail(20)}")
    line = next(l for l in daemon.current_run_stderr().splitlines() if "public.plain.area" in l)
    assert "changed while streaming" in line and "box" in line, line


def test_unsupported_key_column_cannot_be_skipped(env):
    name = "keycols"
    db = env.database()
    # A composite type: btree-comparable (so a primary key), and no type tributary encodes.
    env.sql(db, "CREATE TYPE price_pair AS (low int, high int)")
    env.sql(db, "CREATE TABLE prices (amount price_pair PRIMARY KEY, v text)")
    kafka = env.shared_kafka(topics=_topics(name, ["prices"]))
    daemon = env.daemon(env.config(db, kafka, name=name, offsets_topic=f"{name}.offsets"))
    daemon.start(wait_ready=False)
    assert daemon.wait(timeout=90) == 2, daemon.current_run_stderr()
    output = daemon.current_run_stderr()
    assert "public.prices.amount" in output and "primary key" in output, output


# ---- a snapshot stopped half way ---------------------------------------------------------------------

def test_sigterm_during_a_snapshot_logs_it_interrupted_not_finished(env):
    name = "cutsnap"
    rows = 200_000
    db = env.database()
    conn = env.connect(db)
    create_items_table(conn)
    preload_items(conn, rows)
    kafka = env.kafka(topics={f"{name}.public.items": 4, f"{name}.offsets": 1})
    config = env.config(db, kafka, name=name, max_events=1000, offsets_topic=f"{name}.offsets",
                        pipeline={"snapshot": {"parallelism": 1, "fetch_size": 1000}})
    daemon = env.daemon(config)
    daemon.start()
    # Kafka frozen: the queue fills and the reader waits, so the snapshot cannot end by itself.
    kafka.freeze()
    emitted = daemon.metric("tributary_events_total", pipeline=name, table="items", op="r") or 0
    # At most the queue (50,000), one popped batch and one fetch beyond what was emitted.
    assert emitted + 50_000 + 5_000 < rows, f"the snapshot got too far before the freeze: {emitted}"
    wait_until(lambda: (daemon.metric("tributary_snapshot_rows_total", pipeline=name,
                                      table="public.items") or 0) > 0, 60, "snapshot progress")
    stopper = threading.Thread(target=lambda: daemon.sigterm(timeout=90))
    stopper.start()
    wait_until(lambda: "interrupted after" in daemon.current_run_stderr(), 60,
               lambda: f"the interrupted line\n{daemon.stderr_tail(20)}")
    kafka.thaw()
    stopper.join(timeout=120)
    output = daemon.current_run_stderr()
    (line,) = [l for l in output.splitlines() if "interrupted after" in l]
    assert re.search(r"table=public\.items snapshot of table public\.items interrupted after \d+ rows "
                     r"\(the next start resumes after its last chunk committed to Kafka\)", line), line
    count = int(re.search(r"after (\d+) rows", line).group(1))
    assert 0 < count < rows, line
    assert "snapshot of table finished" not in output, output
