"""A chunked initial snapshot that is killed resumes after its last committed chunk, while streaming.

Tables `public.aa` (50,000 rows) and `public.zz` (120 rows), `snapshot.chunk_rows: 50`, one snapshot
connection (tables in Debezium's order: aa, then zz). The test holds the chunk reads of zz open
with an ACCESS EXCLUSIVE lock on zz (a chunk's SELECT waits for it; no code path of the daemon
knows about the test):

1. First start: aa is read chunk by chunk from the exported snapshot and committed to Kafka with
   its progress; zz's first SELECT waits on the lock (taken once the slot exists: creating the
   slot waits for transactions with an xid, and an ACCESS EXCLUSIVE lock has one). Once the checkpoint records aa's chunks, the
   daemon is killed with SIGKILL.
2. While it is down (before any watermark): row 5 of zz is deleted, row 6 updated, row 7 of aa
   updated (aa's rows are all in Kafka: that change must be streamed, aa must not be read again).
3. The lock is taken again and the daemon restarted: streaming resumes from the slot and zz's
   first chunk is read between a low and a high watermark. While its SELECT waits on the lock
   (pg_stat_activity says so), the lock holder updates row 10, deletes row 11 and inserts row 200
   ... inside the window's key range (row 20, deleted at setup, comes back), then commits.

Checked with a read_committed consumer: every aa key has exactly one `r` (no chunk read twice);
zz's keys changed inside the window have no `r` (their c/u/d are streamed), the others one `r`,
after any streamed change of that key; row 5 has no `r` after its delete; the replay of each topic
equals the table; the checkpoint records the snapshot complete. Takes ~15 s.
"""

import json
import os

from tributary_testing.util import wait_until

NAME = "resume"
WAIT = 90
AA_ROWS = 50_000  # long enough to take the lock on zz once the slot exists, before aa is read


def _records(collector, topic):
    """Per key, the (op, after or before image) of its data records in partition order."""
    per_key = {}
    for record in collector.records(topic):
        if record.value is None:
            continue
        payload = json.loads(record.value)
        payload = payload.get("payload", payload)
        row = payload["after"] or payload["before"]
        per_key.setdefault(row["id"], []).append((payload["op"], payload["after"]))
    return per_key


def _replay(per_key):
    state = {}
    for key, events in per_key.items():
        for op, after in events:
            if op == "d":
                state.pop(key, None)
            else:
                state[key] = after["v"]
    return state


def _checkpoint(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (FileNotFoundError, ValueError):
        return None


def _waiting_on_lock(env, db):
    rows = env.pg.execute(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND wait_event_type = 'Lock' "
        "AND application_name LIKE 'tributary-%%-snapshot%%'", (db,), database=db, superuser=True)
    return rows[0][0] > 0


def test_killed_snapshot_resumes_after_its_chunks_with_watermark_deduplication(env):
    db = env.database()
    env.sql(db, "CREATE TABLE aa (id int PRIMARY KEY, v text NOT NULL)")
    env.sql(db, "CREATE TABLE zz (id int PRIMARY KEY, v text NOT NULL)")
    env.sql(db, f"INSERT INTO aa SELECT g, 'a' || g FROM generate_series(1, {AA_ROWS}) g")
    env.sql(db, "INSERT INTO zz SELECT g, 'z' || g FROM generate_series(1, 120) g WHERE g <> 20")
    # The publication exists before the lock is taken (adding a table to it would wait for it).
    env.sql(db, f"CREATE PUBLICATION tributary_{db} FOR TABLE aa, zz")
    topics = {f"{NAME}.public.aa": 4, f"{NAME}.public.zz": 4, f"{NAME}.offsets": 1}
    kafka = env.shared_kafka(topics=topics)
    collector = env.collector(kafka, topics=[f"{NAME}.public.aa", f"{NAME}.public.zz"])
    config = env.config(db, kafka, name=NAME, offsets_topic=f"{NAME}.offsets", max_events=500,
                        max_ms=20, pipeline={"snapshot": {"chunk_rows": 50, "parallelism": 1}})
    # aa's chunks: 1000 of 50 rows.
    daemon = env.daemon(config)
    checkpoint_path = os.path.join(env.workdir, "offsets", f"{NAME}.offsets")

    daemon.start(wait_ready=False)
    # After the slot exists (its creation waits for transactions with an xid, as the lock's).
    wait_until(lambda: daemon.check_running("the slot") and "created replication slot" in
               daemon.current_run_stderr(), WAIT, "the slot", interval=0.002, max_interval=0.002)
    lock = env.connect(db, autocommit=False)
    lock.cursor().execute("LOCK TABLE zz IN ACCESS EXCLUSIVE MODE")

    def aa_recorded():
        daemon.check_running("aa's chunks in the checkpoint")
        checkpoint = _checkpoint(checkpoint_path) or {}
        tables = {t["table"]: t for t in (checkpoint.get("snapshot_progress") or {}).get("tables", [])}
        # aa's last row is held back for the `last` marker: its progress ends one row before.
        return tables.get("public.aa", {}).get("after") == [str(AA_ROWS - 1)]

    wait_until(aa_recorded, WAIT, "the checkpoint to record aa's chunks")
    wait_until(lambda: _waiting_on_lock(env, db), WAIT, "the snapshot of zz to wait on the lock")
    assert daemon.kill9() == -9
    checkpoint = _checkpoint(checkpoint_path)
    assert checkpoint["snapshot_completed"] is False, checkpoint

    # Before the restart (so before any watermark): streamed from the slot's consistent point.
    cur = lock.cursor()
    cur.execute("DELETE FROM zz WHERE id = 5")
    cur.execute("UPDATE zz SET v = 'before-window' WHERE id = 6")
    cur.execute("UPDATE aa SET v = 'streamed' WHERE id = 7")
    lock.commit()
    cur.execute("LOCK TABLE zz IN ACCESS EXCLUSIVE MODE")

    daemon.start(wait_ready=False)
    wait_until(lambda: daemon.check_running("the resumed chunk") and _waiting_on_lock(env, db), WAIT,
               "the resumed chunk of zz to wait on the lock (inside its watermark window)")
    cur.execute("UPDATE zz SET v = 'in-window' WHERE id = 10")
    cur.execute("DELETE FROM zz WHERE id = 11")
    cur.execute("INSERT INTO zz VALUES (20, 'inserted-in-window')")
    lock.commit()
    lock.close()

    wait_until(lambda: daemon.check_running("the end of the resumed snapshot")
               and (_checkpoint(checkpoint_path) or {}).get("snapshot_completed") is True, WAIT,
               "the checkpoint to record the snapshot complete")
    env.sql(db, "UPDATE zz SET v = 'after' WHERE id = 100")
    collector.wait_for(lambda: any(op == "u" for op, _ in _records(collector, f"{NAME}.public.zz")
                                   .get(100, [])), WAIT, "the change after the snapshot")
    assert daemon.sigterm(timeout=60) == 0, daemon.stderr_tail(40)
    collector.wait_caught_up(timeout=60)
    log = daemon.stderr_tail(400)

    aa = _records(collector, f"{NAME}.public.aa")
    zz = _records(collector, f"{NAME}.public.zz")
    # No chunk of aa read twice: one r per key, row 7's update streamed after it.
    assert sorted(aa) == list(range(1, AA_ROWS + 1)), sorted(set(range(1, AA_ROWS + 1)) ^ set(aa))
    doubled = {k: e for k, e in aa.items() if [op for op, _ in e].count("r") != 1}
    assert not doubled, f"aa rows read twice or never: {dict(list(doubled.items())[:5])}"
    assert [op for op, _ in aa[7]] == ["r", "u"], aa[7]
    # zz: the keys changed inside the window have no r; the rest one r after their changes.
    for key in (10, 11, 20):
        assert "r" not in [op for op, _ in zz[key]], (key, zz[key])
    assert [op for op, _ in zz[10]] == ["u"], zz[10]
    assert [op for op, _ in zz[11]] == ["d"], zz[11]
    assert [op for op, _ in zz[20]] == ["c"], zz[20]
    assert [op for op, _ in zz[5]] == ["d"], f"row 5 deleted before the window: {zz[5]}"
    assert [op for op, _ in zz[6]] == ["u", "r"], zz[6]
    assert zz[6][1][1]["v"] == "before-window"
    for key in set(range(1, 121)) - {5, 10, 11, 20}:
        assert [op for op, _ in zz[key]].count("r") == 1, (key, zz[key])
    # The topics replay to the tables.
    assert _replay(aa) == {k: v for k, v in env.sql(db, "SELECT id, v FROM aa")}
    assert _replay(zz) == {k: v for k, v in env.sql(db, "SELECT id, v FROM zz")}
    assert "unfinished tables are read in chunks between watermarks" in log, log
    assert "snapshot completed while streaming" in log, log
