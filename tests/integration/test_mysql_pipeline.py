"""A MySQL pipeline end to end: the session's MariaDB 10.11 -> tributary -> a real Kafka, read with a
read_committed Collector and checked by the verifier (tributary_testing.verifier):

- snapshot, then streaming of mixed changes in many transactions: every change exactly once, per-key
  order, the final state equal to the table, envelopes checked (connector, source block: file, pos,
  row, server_id, gtid) and a few rows column by column;
- an ALTER TABLE ... ADD COLUMN in the middle: events before it have the old columns, after it the
  new one (value schema and payload);
- SIGTERM mid-stream, and inside a source transaction larger than a Kafka batch
  (kafka.batch.max_events small): after the restart still exactly once;
- kill -9 once the checkpoint lies inside such a transaction (partial_events): the restart skips
  exactly the events already in Kafka;
- a PostgreSQL and a MySQL pipeline in one process;
- resume by GTID: binlog files renamed while the daemon is stopped (file/pos names a file that is
  gone, the GTID position is still there), and a GTID position purged (a clear error);
- metrics: the binlog file number and offset of the position.
(kill -9 and the fault tests for MySQL pipelines: test_crash.py and test_faults.py, parametrized.)
"""

import decimal
import glob
import json
import os
import re

import pytest

from tributary_testing.feed import EventFeed, change_matcher
from tributary_testing.sources import items_pipeline
from tributary_testing.util import wait_until
from tributary_testing.verifier import ITEMS_FIELD_SCHEMAS, verify_exactly_once
from tributary_testing.workload import Workload, create_items_table, preload_items, read_rows

WAIT = 90


def _setup(env, request, rows, name, max_events=10000, pipeline=None, server=None):
    return items_pipeline("mysql", env, request, rows, name, max_events=max_events,
                          pipeline=pipeline, server=server)


def _verify(source, feed, workload, initial, name, **kwargs):
    final = read_rows(source.connect())
    result = verify_exactly_once(feed.events, workload.changes(), initial, final, topic_prefix=name,
                                 **source.verify_kwargs(), **kwargs)
    result.raise_if_failed()
    return result


def _wait_last(feed, workload, what):
    last = workload.changes()[-1]
    feed.wait_for(change_matcher(last), WAIT, what)


def test_snapshot_then_streaming_exactly_once(env, request):
    name = "mysnap"
    source, _, topic, collector, config, initial = _setup(env, request, 500, name)
    daemon = env.daemon(config).start()
    feed = EventFeed(collector, topic, ITEMS_FIELD_SCHEMAS)
    feed.wait_for_count(lambda e: e.op == "r", len(initial), WAIT, "the snapshot rows")
    workload = Workload(source.connect, initial, seed=8)
    workload.run(1500, max_txn_size=60)
    _wait_last(feed, workload, "the last streamed change")
    result = _verify(source, feed, workload, initial, name)
    assert result.stats["op_r"] == len(initial)
    # Column by column for a few rows: the envelope's values are the table's.
    final = read_rows(source.connect())
    streamed = [e for e in feed.events if e.op in ("c", "u") and e.after["id"] in final]
    assert streamed
    last_by_key = {}
    for event in streamed:
        last_by_key[event.after["id"]] = event.after
    for key in sorted(last_by_key)[:5]:
        after, row = last_by_key[key], final[key]
        if after["version"] != row["version"]:
            continue
        assert after["payload"] == row["payload"]
        assert (after["amount"] is None) == (row["amount"] is None)
        if row["amount"] is not None:
            assert decimal.Decimal(str(after["amount"])) == row["amount"]
        assert after["flag"] == bool(row["flag"])
        assert after["qty"] == row["qty"]
    event = streamed[-1]
    # The session's server is MariaDB: Debezium 3's MariaDB connector name, snapshot rows too.
    assert event.source["connector"] == "mariadb", event.source
    assert {e.source["connector"] for e in feed.events if e.source} == {"mariadb"}
    assert event.source["db"] == source.db and event.source["table"] == "items"
    assert re.match(r"^\d+-\d+-\d+$", event.source["gtid"]), event.source
    assert event.source["server_id"] == int(source.server.variable("server_id"))
    daemon.stop()


def test_alter_add_column_mid_stream(env, request):
    name = "myalter"
    source, _, topic, collector, config, initial = _setup(env, request, 20, name)
    daemon = env.daemon(config).start()
    feed = EventFeed(collector, topic, ITEMS_FIELD_SCHEMAS)
    feed.wait_for_count(lambda e: e.op == "r", len(initial), WAIT, "the snapshot rows")
    conn = source.connect()
    with conn.cursor() as cur:
        cur.execute("INSERT INTO items (id, version) VALUES (1001, 1)")
        cur.execute("ALTER TABLE items ADD COLUMN note VARCHAR(20) NULL DEFAULT 'n'")
        cur.execute("INSERT INTO items (id, version, note) VALUES (1002, 2, 'after')")
        cur.execute("UPDATE items SET note = 'upd', version = 3 WHERE id = 1001")
    conn.close()
    updated = feed.wait_for(lambda e: e.op == "u" and e.after and e.after["id"] == 1001, WAIT,
                            "the update after the ALTER")
    before = next(e for e in feed.events if e.op == "c" and e.after["id"] == 1001)
    after = next(e for e in feed.events if e.op == "c" and e.after["id"] == 1002)
    assert "note" not in before.after, before.after
    fields = [f["field"] for f in before.value_schema["fields"][0]["fields"]]
    assert "note" not in fields
    assert after.after["note"] == "after"
    fields = [f["field"] for f in after.value_schema["fields"][0]["fields"]]
    assert fields[-1] == "note"
    assert updated.before["note"] == "n" and updated.after["note"] == "upd"
    daemon.stop()


def test_sigterm_restart_mid_stream_and_inside_large_transaction(env, request):
    name = "myterm"
    source, _, topic, collector, config, initial = _setup(env, request, 200, name, max_events=50)
    daemon = env.daemon(config).start()
    feed = EventFeed(collector, topic, ITEMS_FIELD_SCHEMAS)
    feed.wait_for_count(lambda e: e.op == "r", len(initial), WAIT, "the snapshot rows")
    workload = Workload(source.connect, initial, seed=3)
    workload.run(300, max_txn_size=20)
    _wait_last(feed, workload, "streamed changes before the first SIGTERM")
    daemon.sigterm()
    workload.run(200, max_txn_size=20)  # while stopped
    daemon.start()
    # A source transaction of 400 changes (8 Kafka batches): SIGTERM once some of it is in Kafka.
    big = workload.transaction(400, ops="u")
    feed.wait_for(change_matcher(big[120]), WAIT, "part of the large transaction")
    daemon.sigterm()
    workload.run(100, max_txn_size=10)
    daemon.start()
    _wait_last(feed, workload, "the last change after the restarts")
    streamed_big = [e for e in feed.events if e.op == "u" and e.after["version"] >= big[0].version
                    and e.after["version"] <= big[-1].version]
    assert len(streamed_big) == len(big)
    _verify(source, feed, workload, initial, name)
    log = daemon.stderr_tail(2000)
    assert len(re.findall(r"streaming the binlog from", log)) >= 3, log[-3000:]
    daemon.stop()


def _partial_events(path):
    """partial_events of the pipeline's checkpoint file (0: none, or no file yet)."""
    try:
        with open(path) as f:
            record = json.load(f)
    except (FileNotFoundError, ValueError):
        return 0
    position = record.get("position") if isinstance(record.get("position"), dict) else {}
    return record.get("partial_events") or position.get("partial_events") or 0


def test_kill9_inside_large_transaction(env, request):
    """kill -9 once the checkpoint lies inside a source transaction of 40 Kafka batches: the restart
    re-reads that transaction from its start and skips the events already in Kafka."""
    name = "mykill"
    source, _, topic, collector, config, initial = _setup(env, request, 2000, name, max_events=50)
    checkpoint = os.path.join(env.workdir, "offsets", f"{name}.offsets")
    daemon = env.daemon(config).start()
    feed = EventFeed(collector, topic, ITEMS_FIELD_SCHEMAS)
    feed.wait_for_count(lambda e: e.op == "r", len(initial), WAIT, "the snapshot rows")
    workload = Workload(source.connect, initial, seed=4)
    workload.run(100, max_txn_size=10)
    _wait_last(feed, workload, "streamed changes before the large transaction")
    big = workload.transaction(2000, ops="u")
    wait_until(lambda: _partial_events(checkpoint) >= 100, WAIT,
               "a checkpoint inside the large transaction")
    daemon.kill9()
    daemon.start()
    workload.run(100, max_txn_size=10)
    _wait_last(feed, workload, "the last change after the restart")
    assert re.search(r"skipping the \d+ events of its first transaction already emitted",
                     daemon.stderr_tail(400)), "the restart did not resume inside the transaction"
    # MariaDB has GTIDs: the partial transaction was found by GTID (@slave_connect_state).
    assert re.search(r"streaming the binlog from GTID \S+ \(\S+:\d+\) \(skipping",
                     daemon.current_run_stderr()), daemon.current_run_stderr()[-2000:]
    versions = [e.after["version"] for e in feed.events if e.op == "u"]
    assert sum(1 for v in versions if big[0].version <= v <= big[-1].version) == len(big)
    _verify(source, feed, workload, initial, name)
    daemon.stop()


def test_postgres_and_mysql_pipelines_in_one_process(env, request):
    name = "mymix"
    source, kafka, topic, collector, config, initial = _setup(env, request, 50, name)
    pg_db = env.database()
    pg_conn = env.connect(pg_db)
    create_items_table(pg_conn)
    pg_initial = preload_items(pg_conn, 50)
    pg_conn.close()
    pg_pipeline = env.config(pg_db, kafka, name="pgmix")["pipelines"][0]
    config["pipelines"].append(pg_pipeline)
    pg_topic = "pgmix.public.items"
    pg_collector = env.collector(kafka, topics=[pg_topic])
    daemon = env.daemon(config).start()
    feed = EventFeed(collector, topic, ITEMS_FIELD_SCHEMAS)
    pg_feed = EventFeed(pg_collector, pg_topic, ITEMS_FIELD_SCHEMAS)
    my_work = Workload(source.connect, initial, seed=5)
    pg_work = Workload(lambda: env.connect(pg_db), pg_initial, seed=6)
    for _ in range(4):
        my_work.run(100, max_txn_size=20)
        pg_work.run(100, max_txn_size=20)
    _wait_last(feed, my_work, "the MySQL pipeline's last change")
    _wait_last(pg_feed, pg_work, "the PostgreSQL pipeline's last change")
    _verify(source, feed, my_work, initial, name)
    pg_final = read_rows(env.connect(pg_db))
    verify_exactly_once(pg_feed.events, pg_work.changes(), pg_initial, pg_final, topic_prefix="pgmix",
                        connector="postgresql", schema="public", database=pg_db).raise_if_failed()
    daemon.stop()


def _rename_binlogs(server, new_base):
    """Stops `server`, renames its binlog files (and index and GTID state) to `new_base`.NNNNNN,
    and starts it again with log_bin there: the same events under other file names."""
    server._stop_server()
    data = server.datadir
    owner = os.stat(data)
    for path in glob.glob(os.path.join(data, "binlog.*")):
        suffix = os.path.basename(path)[len("binlog."):]
        os.rename(path, os.path.join(data, f"{new_base}.{suffix}"))
    index = os.path.join(data, f"{new_base}.index")
    with open(index) as f:
        lines = [line.replace("binlog.", f"{new_base}.") for line in f]
    with open(index, "w") as f:
        f.writelines(lines)
    os.chown(index, owner.st_uid, owner.st_gid)
    server.restart(settings={"log_bin": os.path.join(data, new_base)})


def test_resume_by_gtid_after_binlog_files_renamed(env, request, mariadb_server):
    """The recorded file no longer exists under its name (the binlog was renamed while stopped):
    file/position resume would refuse, the GTID position finds the same next transaction."""
    name = "mygtid"
    server = mariadb_server()
    source, _, topic, collector, config, initial = _setup(env, request, 100, name, server=server)
    daemon = env.daemon(config).start()
    feed = EventFeed(collector, topic, ITEMS_FIELD_SCHEMAS)
    feed.wait_for_count(lambda e: e.op == "r", len(initial), WAIT, "the snapshot rows")
    workload = Workload(source.connect, initial, seed=11)
    workload.run(200, max_txn_size=10)
    _wait_last(feed, workload, "streamed changes before the stop")
    # The binlog position and its file as metrics (mariadb's binlog.000001: file number 1).
    wait_until(lambda: daemon.metric("tributary_source_binlog_file_number") >= 1
               and daemon.metric("tributary_source_position") > 4, WAIT, "the binlog position metrics")
    daemon.sigterm()
    recorded = json.load(open(os.path.join(env.workdir, "offsets", f"{name}.offsets")))["position"]
    assert recorded["file"].startswith("binlog."), recorded
    assert recorded.get("gtid_set"), recorded
    workload.run(100, max_txn_size=10)  # while stopped, in the file about to be renamed
    server.flush_binary_logs()
    workload.run(50, max_txn_size=10)
    workload.close()  # its connection does not survive the server's restart
    _rename_binlogs(server, "renamed")
    assert not any(f.startswith("binlog.") for f, _ in server.binlog_files()), server.binlog_files()
    daemon.start()
    workload.run(50, max_txn_size=10)
    _wait_last(feed, workload, "the changes after the rename")
    log = daemon.current_run_stderr()
    assert re.search(r"is no longer on the server .*but GTID position \S+ is on .*resuming by GTID",
                     log), log[-3000:]
    _verify(source, feed, workload, initial, name)
    daemon.stop()


def test_gtid_position_purged_is_a_clear_error(env, request, mariadb_server):
    """The binlogs after the recorded GTID position are purged while stopped: the daemon refuses
    with the fix (no silent gap); snapshot.mode when_needed takes a new snapshot instead."""
    name = "mypurge"
    server = mariadb_server()
    source, _, topic, collector, config, initial = _setup(env, request, 30, name, server=server)
    daemon = env.daemon(config).start()
    feed = EventFeed(collector, topic, ITEMS_FIELD_SCHEMAS)
    feed.wait_for_count(lambda e: e.op == "r", len(initial), WAIT, "the snapshot rows")
    workload = Workload(source.connect, initial, seed=12)
    workload.run(50, max_txn_size=5)
    _wait_last(feed, workload, "streamed changes")
    daemon.sigterm()
    workload.run(50, max_txn_size=5)  # never streamed: in the purged files
    server.flush_binary_logs()
    server.flush_binary_logs()
    newest = server.binlog_files()[-1][0]

    def purged():
        # Refused (a warning) while a file is in use: by a dump thread the server has not reaped
        # yet, or before its binlog checkpoint.
        server.execute(f"PURGE BINARY LOGS TO '{newest}'")
        return server.binlog_files()[0][0] == newest
    wait_until(purged, WAIT, "the older binlog files purged")
    daemon.start(wait_ready=False)
    code = daemon.wait(WAIT)
    log = daemon.current_run_stderr()
    assert code != 0
    assert re.search(r"GTID position \S+ is no longer on the server \(purged: domain 0", log), log[-3000:]
    assert "snapshot.mode: when_needed" in log, log[-3000:]
    daemon.config["pipelines"][0]["snapshot"]["mode"] = "when_needed"
    daemon.start()
    final = read_rows(source.connect())
    feed.wait_for_count(lambda e: e.op == "r", len(initial) + len(final), WAIT, "the new snapshot")
    assert "taking a new snapshot" in daemon.current_run_stderr()
    daemon.stop()

