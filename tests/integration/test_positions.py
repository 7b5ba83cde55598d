"""Resume positions checked against the server (issue 7, item 1), on a real PostgreSQL and Kafka.

- a checkpoint of one cluster, then the daemon pointed at another with the same database and slot
  names: exit 2 naming the system identifiers, the other slot untouched; `offsets reset --to-slot`
  then streams from that slot (the reset wins over the old cluster's Kafka record);
- a position beyond the server's WAL end (checkpoint file, Kafka offsets record alone, old format
  file): exit 2, slot untouched, `check` reports it; an old-format file at a good position is
  accepted and rewritten with the server's identity;
- a slot advanced by someone else: exit 2 and `check` reports it; `offsets reset --to-slot` streams
  from the slot, `offsets reset --snapshot` takes a new snapshot;
- idle acknowledgements: while the daemon idles and other databases write WAL, the slot is never
  confirmed beyond what the checkpoint file and Kafka's offsets record hold; a lost file then
  resumes from Kafka's record without tripping the slot check.
"""

import json
import os

from tributary_testing.daemon import run_cli
from tributary_testing.feed import row_events
from tributary_testing.util import wait_until

PREFIX = "shop"
TOPIC = f"{PREFIX}.public.items"
OFFSETS_TOPIC = "tributary.offsets"
ROWS = 20


# ---- helpers -------------------------------------------------------------------------------------

def lsn_value(text):
    high, low = text.split("/")
    return (int(high, 16) << 32) | int(low, 16)


def lsn_text(value):
    return f"{value >> 32:X}/{value & 0xFFFFFFFF:X}"


def system_identifier(server):
    return server.execute("SELECT system_identifier::text FROM pg_control_system()",
                          database="postgres")[0][0]


def current_wal(server):
    return lsn_value(server.execute("SELECT pg_current_wal_lsn()::text", database="postgres")[0][0])


def confirmed_flush(server, slot):
    """The slot's confirmed_flush_lsn as an int, or None when the slot does not exist."""
    info = server.slot_info(slot)
    return lsn_value(info[2]) if info else None


def events(collector):
    """(op, id, snapshot marker) of each data record of TOPIC, tombstones left out."""
    return row_events(collector, TOPIC)


def offsets_records(collector):
    """The committed offsets records of the pipeline, oldest first, parsed."""
    return [json.loads(r.value) for r in collector.records(OFFSETS_TOPIC)
            if r.key == PREFIX.encode() and r.value is not None]


def read_checkpoint(path):
    with open(path) as f:
        return json.loads(f.read())


def write_checkpoint(path, record):
    with open(path, "w") as f:
        f.write(json.dumps(record, separators=(",", ":")) + "\n")


def with_lsn(record, value):
    """A copy of a format-4 record with its PostgreSQL position moved to `value`."""
    record = dict(record, position=dict(record["position"]))
    record["position"]["lsn"] = lsn_text(value)
    record["position"]["lsn_decimal"] = value
    return record


def format_1(record):
    """A format-4 record written as format 1 (no epoch, source, tables; the LSNs at the top)."""
    old = {k: v for k, v in record.items() if k not in ("epoch", "source", "tables", "position")}
    old.update({k: v for k, v in record["position"].items() if k != "type"})
    old["format"] = 1
    return old


def record_lsn(record):
    """The text LSN of a format-4 record."""
    return record["position"]["lsn"]


def run_to_exit(daemon, timeout=90):
    """Starts the daemon, waits for it to exit on its own; returns (exit code, its stderr)."""
    daemon.start(wait_ready=False)
    code = daemon.wait(timeout=timeout)
    return code, daemon.current_run_stderr()


def error_lines(log):
    return [line for line in log.splitlines() if " ERROR " in line]


def offsets_reset(daemon, *flags):
    return run_cli(["offsets", "reset", "-c", daemon.config_path, "--pipeline", PREFIX, *flags],
                   timeout=120)


class Pipeline:
    """One pipeline on a fresh database of the session's PostgreSQL with `items` (ROWS rows),
    a real Kafka with its topics, a collector of both topics, and the daemon's config."""

    def __init__(self, env):
        self.env = env
        self.pg = env.pg
        self.db = env.database()
        env.sql(self.db, "CREATE TABLE items (id int PRIMARY KEY, v text NOT NULL)")
        env.sql(self.db, f"INSERT INTO items SELECT g, 'v' || g FROM generate_series(1, {ROWS}) g")
        self.kafka = env.kafka(topics={TOPIC: 1, OFFSETS_TOPIC: 1})
        self.collector = env.collector(self.kafka, topics=[TOPIC, OFFSETS_TOPIC])
        self.config = env.config(self.db, self.kafka, name=PREFIX,
                                 pipeline={"envelope": {"schemas": False}})
        self.slot = self.config["pipelines"][0]["source"]["slot"]
        self.checkpoint = os.path.join(self.config["offsets"]["directory"], f"{PREFIX}.offsets")
        self.daemon = env.daemon(self.config)

    def wait_events(self, predicate, count, what, timeout=60):
        self.collector.wait_for(lambda: len([e for e in events(self.collector) if predicate(e)]) >= count,
                                timeout, what)

    def snapshot_then_stop(self):
        """First run: the snapshot, a few streamed rows, SIGTERM (exit 0)."""
        self.daemon.start()
        self.wait_events(lambda e: e[0] == "r", ROWS, f"{ROWS} snapshot rows")
        self.env.sql(self.db, "INSERT INTO items VALUES (101, 'a'), (102, 'b')")
        self.wait_events(lambda e: e[0] == "c" and e[1] in (101, 102), 2, "rows 101, 102 streamed")
        assert self.daemon.sigterm(timeout=60) == 0, self.daemon.current_run_stderr()[-3000:]

    def items_end(self):
        return self.kafka.high_watermarks(TOPIC)


# ---- (a) another cluster, and the way out: offsets reset --to-slot -------------------------------

def test_another_server_is_refused_then_reset_to_slot_streams_from_its_slot(env):
    p = Pipeline(env)
    p.snapshot_then_stop()
    system_a = system_identifier(env.pg)
    recorded = read_checkpoint(p.checkpoint)
    assert recorded["format"] == 4 and recorded["epoch"] == 0, recorded
    assert recorded["source"] == {"type": "postgres", "system_identifier": system_a, "timeline": 1,
                                  "database": p.db, "slot": p.slot}, recorded
    p.collector.wait_for(lambda: offsets_records(p.collector), 30, "an offsets record in Kafka")
    assert offsets_records(p.collector)[-1]["source"] == recorded["source"]

    # Cluster B: the same database, table and slot names; rows in the slot and before it.
    b = env.pg_server()
    system_b = system_identifier(b)
    assert system_b != system_a
    b.create_database(p.db)
    b.execute("CREATE TABLE items (id int PRIMARY KEY, v text NOT NULL)", database=p.db,
              superuser=False)
    b.execute(f'CREATE PUBLICATION "tributary_{p.db}" FOR TABLE items', database=p.db)
    b.execute("INSERT INTO items VALUES (1001, 'before the slot')", database=p.db, superuser=False)
    b.execute("SELECT pg_create_logical_replication_slot(%s, 'pgoutput')", (p.slot,), database=p.db)
    b.execute("INSERT INTO items VALUES (1002, 'in the slot'), (1003, 'in the slot')",
              database=p.db, superuser=False)
    slot_b = b.slot_info(p.slot)
    items_before = p.items_end()

    daemon_b = env.daemon(env.config(p.db, p.kafka, name=PREFIX, pg=b,
                                     pipeline={"envelope": {"schemas": False}}), name="tributary-b")
    code, log = run_to_exit(daemon_b)
    assert code == 2, f"exit {code}, expected 2:\n{log[-3000:]}"
    errors = error_lines(log)
    assert any(f"system identifier {system_a} recorded, {system_b} on the server" in line
               for line in errors), f"the error does not name both system identifiers:\n{log[-3000:]}"
    assert any("offsets reset" in line and "--to-slot" in line for line in errors), errors
    # B's slot untouched: not moved, not in use; nothing produced to Kafka.
    assert b.slot_info(p.slot) == slot_b
    assert p.items_end() == items_before
    assert read_checkpoint(p.checkpoint) == recorded, "the refused checkpoint was rewritten"

    check = daemon_b.check()
    assert check.returncode == 1, check.stdout + check.stderr
    assert any(line.startswith("PROBLEM") and f"system identifier {system_a} recorded" in line
               for line in check.stdout.splitlines()), check.stdout
    assert b.slot_info(p.slot) == slot_b

    # The way out: stream from B's slot. The reset outranks A's record in Kafka (higher epoch).
    reset = offsets_reset(daemon_b, "--to-slot")
    assert reset.returncode == 0, reset.stdout + reset.stderr
    written = read_checkpoint(p.checkpoint)
    assert written["epoch"] == 1, written
    assert written["source"]["system_identifier"] == system_b, written
    assert written["snapshot_completed"] is True
    assert record_lsn(written) == slot_b[2], (written, slot_b)
    p.collector.wait_for(lambda: offsets_records(p.collector)[-1]["epoch"] == 1, 30,
                         "the reset's offsets record in Kafka")
    assert record_lsn(offsets_records(p.collector)[-1]) == slot_b[2]

    before = len(events(p.collector))
    daemon_b.start()
    b.execute("INSERT INTO items VALUES (1004, 'after the reset')", database=p.db, superuser=False)
    p.collector.wait_for(lambda: {1002, 1003, 1004} <= {e[1] for e in events(p.collector)[before:]},
                         60, "rows 1002-1004 of cluster B")
    new = events(p.collector)[before:]
    assert all(e[0] == "c" for e in new), new
    assert 1001 not in {e[1] for e in new}, "a row from before the slot was emitted (no snapshot)"
    log = daemon_b.current_run_stderr()
    assert "snapshot completed" not in log and "created replication slot" not in log, log[-3000:]
    assert daemon_b.sigterm(timeout=60) == 0
    assert read_checkpoint(p.checkpoint)["source"]["system_identifier"] == system_b


def test_server_replaced_while_running_stops_the_pipeline_at_reconnect(env):
    """The checks run on every reconnect too: another cluster behind the same host and port. The
    pipeline had run, so it is retried with backoff instead of ending the process (issue 7, item 4:
    other pipelines go on); each attempt refuses the other cluster the same way."""
    a = env.pg_server()
    db = "shop_replaced"
    a.create_database(db)
    a.execute("CREATE TABLE items (id int PRIMARY KEY, v text NOT NULL)", database=db, superuser=False)
    a.execute(f"INSERT INTO items SELECT g, 'v' || g FROM generate_series(1, {ROWS}) g", database=db,
              superuser=False)
    kafka = env.kafka(topics={TOPIC: 1, OFFSETS_TOPIC: 1})
    collector = env.collector(kafka, topics=[TOPIC])
    config = env.config(db, kafka, name=PREFIX, pg=a, pipeline={"envelope": {"schemas": False}})
    slot = config["pipelines"][0]["source"]["slot"]
    daemon = env.daemon(config)
    daemon.start()
    collector.wait_for(lambda: len(events(collector)) >= ROWS, 60, f"{ROWS} snapshot rows")
    system_a = system_identifier(a)

    # Another cluster with the same database, table, publication and slot, prepared on its own
    # port, then moved to A's port once A is gone (the daemon keeps reconnecting meanwhile).
    b = env.pg_server()
    b.create_database(db)
    b.execute("CREATE TABLE items (id int PRIMARY KEY, v text NOT NULL)", database=db, superuser=False)
    b.execute(f'CREATE PUBLICATION "tributary_{db}" FOR TABLE items', database=db)
    b.execute("SELECT pg_create_logical_replication_slot(%s, 'pgoutput')", (slot,), database=db)
    b._stop_postmaster()
    port = a.port
    a.stop()
    b.port = port
    b._start_postmaster(keep_port=True)
    slot_b = b.slot_info(slot)

    refusal = f"system identifier {system_a} recorded, {system_identifier(b)} on the server"
    wait_until(lambda: daemon.check_running("the refusal of the other cluster")
               and any(refusal in line for line in error_lines(daemon.current_run_stderr())), 120,
               lambda: f"the refusal in stderr:\n{daemon.stderr_tail(30)}")
    last = {}

    def retried():
        daemon.check_running("/readyz naming the retried pipeline")
        last["readyz"] = daemon.http_get("/readyz")
        return last["readyz"][0] == 503 and "retrying after" in last["readyz"][1] \
            and refusal in last["readyz"][1]

    wait_until(retried, 60, lambda: f"/readyz naming the refusal; last {last.get('readyz')}")
    log = daemon.current_run_stderr()
    assert "reconnecting" in log, log[-3000:]
    assert b.slot_info(slot) == slot_b
    assert daemon.sigterm(timeout=60) == 0
    assert b.slot_info(slot) == slot_b


# ---- (b) a position the server never had ---------------------------------------------------------

def test_position_beyond_the_wal_end_is_refused_and_reported_by_check(env):
    p = Pipeline(env)
    p.snapshot_then_stop()
    good = read_checkpoint(p.checkpoint)
    beyond = current_wal(env.pg) + (16 << 30)
    slot_before = env.pg.slot_info(p.slot)
    items_before = p.items_end()

    def refused(what):
        code, log = run_to_exit(p.daemon)
        assert code == 2, f"{what}: exit {code}, expected 2:\n{log[-3000:]}"
        errors = error_lines(log)
        assert any("beyond the end of the server's WAL" in line and lsn_text(beyond) in line
                   and "offsets reset" in line for line in errors), f"{what}:\n{log[-3000:]}"
        assert env.pg.slot_info(p.slot) == slot_before, f"{what}: the slot moved"
        assert p.items_end() == items_before, f"{what}: records were produced"
        check = p.daemon.check()
        assert check.returncode == 1, f"{what}: check exited {check.returncode}:\n{check.stdout}"
        assert any(line.startswith("PROBLEM") and "beyond the end of the server's WAL" in line
                   for line in check.stdout.splitlines()), f"{what}:\n{check.stdout}"
        assert env.pg.slot_info(p.slot) == slot_before

    # 1. The checkpoint file (it is further than Kafka's record, so it wins).
    write_checkpoint(p.checkpoint, with_lsn(good, beyond))
    refused("checkpoint file beyond the WAL")

    # 2. No checkpoint file; Kafka's offsets record is beyond (e.g. from a replaced database).
    os.unlink(p.checkpoint)
    from confluent_kafka import Producer
    producer = Producer({"bootstrap.servers": getattr(p.kafka, "direct_bootstrap_servers",
                                                      p.kafka.bootstrap_servers)})
    producer.produce(OFFSETS_TOPIC, key=PREFIX, value=json.dumps(with_lsn(good, beyond)))
    assert producer.flush(30) == 0
    p.collector.wait_for(lambda: record_lsn(offsets_records(p.collector)[-1]) == lsn_text(beyond), 30,
                         "the planted offsets record")
    refused("Kafka offsets record beyond the WAL")

    # 3. An old-format file (no identity) beyond the WAL: refused all the same.
    old = format_1(with_lsn(good, beyond))
    write_checkpoint(p.checkpoint, old)
    producer.produce(OFFSETS_TOPIC, key=PREFIX, value=json.dumps(good))  # Kafka back to the truth
    assert producer.flush(30) == 0
    refused("format 1 checkpoint file beyond the WAL")

    # 4. An old-format file at a true position is accepted, and rewritten with the identity.
    old = format_1(good)
    write_checkpoint(p.checkpoint, old)
    p.daemon.start()
    env.sql(p.db, "INSERT INTO items VALUES (103, 'c')")
    p.wait_events(lambda e: e[1] == 103, 1, "row 103")
    log = p.daemon.current_run_stderr()
    assert "carries no source identity" in log, log[-3000:]
    wait_until(lambda: read_checkpoint(p.checkpoint).get("source") == good["source"], 30,
               "the checkpoint file rewritten with the server's identity")
    assert p.daemon.sigterm(timeout=60) == 0


# ---- (c) a slot advanced by someone else, and both ways out --------------------------------------

def test_slot_advanced_by_someone_else_is_refused_then_reset(env):
    p = Pipeline(env)
    p.snapshot_then_stop()
    recorded = read_checkpoint(p.checkpoint)
    env.sql(p.db, "INSERT INTO items VALUES (201, 'lost'), (202, 'lost')")
    target = env.pg.execute("SELECT pg_current_wal_insert_lsn()::text", database="postgres")[0][0]
    # The slot advances at most to the flushed WAL (synchronous_commit is off in the harness).
    wait_until(lambda: env.pg.execute("SELECT pg_current_wal_flush_lsn() >= %s::pg_lsn", (target,),
                                      database="postgres")[0][0], 30, f"WAL flushed up to {target}")
    env.pg.execute("SELECT pg_replication_slot_advance(%s, %s::pg_lsn)", (p.slot, target),
                   database=p.db)
    advanced = env.pg.slot_info(p.slot)
    assert lsn_value(advanced[2]) > lsn_value(record_lsn(recorded))
    items_before = p.items_end()

    code, log = run_to_exit(p.daemon)
    assert code == 2, f"exit {code}, expected 2:\n{log[-3000:]}"
    assert any(f"is confirmed up to {advanced[2]}, beyond the recorded position {record_lsn(recorded)}"
               in line and "--to-slot" in line and "--snapshot" in line
               for line in error_lines(log)), log[-3000:]
    assert env.pg.slot_info(p.slot) == advanced
    assert p.items_end() == items_before
    check = p.daemon.check()
    assert check.returncode == 1, check.stdout
    assert any(line.startswith("PROBLEM") and f"is confirmed up to {advanced[2]}" in line
               for line in check.stdout.splitlines()), check.stdout

    # --to-slot: stream from where the slot is; the skipped rows stay lost (documented).
    reset = offsets_reset(p.daemon, "--to-slot")
    assert reset.returncode == 0, reset.stdout + reset.stderr
    assert "changes the slot no longer holds are not emitted" in reset.stdout, reset.stdout
    written = read_checkpoint(p.checkpoint)
    assert (written["epoch"], record_lsn(written)) == (1, advanced[2]), written
    p.daemon.start()
    env.sql(p.db, "INSERT INTO items VALUES (203, 'after the reset')")
    p.wait_events(lambda e: e[1] == 203, 1, "row 203")
    assert not {201, 202} & {e[1] for e in events(p.collector)}
    assert p.daemon.sigterm(timeout=60) == 0

    # --snapshot: the next start takes a new snapshot (every row again, op r).
    reset = offsets_reset(p.daemon, "--snapshot")
    assert reset.returncode == 0, reset.stdout + reset.stderr
    written = read_checkpoint(p.checkpoint)
    assert (written["epoch"], written["snapshot_completed"]) == (2, False), written
    snapshot_before = len([e for e in events(p.collector) if e[0] == "r"])
    p.daemon.start()
    rows = ROWS + 5  # 101-103 and 201-203 are in the table
    p.wait_events(lambda e: e[0] == "r", snapshot_before + rows, "the new snapshot's rows")
    log = p.daemon.current_run_stderr()
    assert "snapshot completed" in log, log[-3000:]
    again = {e[1] for e in events(p.collector) if e[0] == "r"}
    assert {201, 202} <= again, "the new snapshot brings back the rows the slot skipped"
    assert p.daemon.sigterm(timeout=60) == 0
    assert read_checkpoint(p.checkpoint)["snapshot_completed"] is True

    # Refusals of the reset itself: the slot in use, an unknown pipeline.
    p.daemon.start()
    busy = offsets_reset(p.daemon, "--to-slot")
    assert busy.returncode == 2 and "in use" in busy.stderr, busy.stderr
    assert p.daemon.sigterm(timeout=60) == 0
    unknown = run_cli(["offsets", "reset", "-c", p.daemon.config_path, "--pipeline", "nope",
                       "--to-slot"])
    assert unknown.returncode == 2 and "nope" in unknown.stderr, unknown.stderr


# ---- (e) idle acknowledgements are recorded first ------------------------------------------------

def test_idle_acknowledgements_never_pass_what_is_recorded(env):
    p = Pipeline(env)
    other = env.database("_other")
    env.sql(other, "CREATE TABLE filler (id bigserial PRIMARY KEY, v text)")
    p.daemon.start()
    p.wait_events(lambda e: e[0] == "r", ROWS, f"{ROWS} snapshot rows")
    start = confirmed_flush(env.pg, p.slot)
    target = current_wal(env.pg) + (1 << 20)
    observed = []

    def kafka_lsn():
        records = offsets_records(p.collector)
        return lsn_value(record_lsn(records[-1])) if records else 0

    def advanced():
        # WAL of another database; the pipeline's tables stay idle.
        env.sql(other, "INSERT INTO filler (v) SELECT repeat('x', 200) FROM generate_series(1, 500)")
        slot = confirmed_flush(env.pg, p.slot)      # read first: the file is written before the ack
        file = lsn_value(record_lsn(read_checkpoint(p.checkpoint)))
        assert slot <= file, f"slot confirmed {lsn_text(slot)} beyond the checkpoint {lsn_text(file)}"
        # Kafka's record was committed before the file: the collector sees it after a moment.
        p.collector.wait_for(lambda: kafka_lsn() >= slot, 30,
                             lambda: f"an offsets record at or after the slot's {lsn_text(slot)} "
                                     f"(last {lsn_text(kafka_lsn())})")
        observed.append(slot)
        return slot >= target

    wait_until(advanced, 120, lambda: f"the idle slot to be confirmed past {lsn_text(target)} "
                                      f"(from {lsn_text(start)}; seen {[lsn_text(s) for s in observed[-5:]]})",
               interval=0.2)
    assert len(set(observed)) > 1, "the slot did not move while idle"
    assert all(e[0] == "r" for e in events(p.collector)), "the pipeline's tables were not idle"
    assert p.daemon.sigterm(timeout=60) == 0
    slot = confirmed_flush(env.pg, p.slot)
    assert slot <= lsn_value(record_lsn(read_checkpoint(p.checkpoint)))
    p.collector.wait_caught_up(timeout=60)
    assert slot <= kafka_lsn()

    # A lost checkpoint file resumes from Kafka's record, which the slot has not passed.
    os.unlink(p.checkpoint)
    p.daemon.start()
    env.sql(p.db, "INSERT INTO items VALUES (301, 'after the restart')")
    p.wait_events(lambda e: e[1] == 301, 1, "row 301")
    log = p.daemon.current_run_stderr()
    assert "resuming from the offsets record in Kafka" in log, log[-3000:]
    assert p.daemon.sigterm(timeout=60) == 0
