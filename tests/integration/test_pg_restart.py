"""SIGTERM and restart while streaming, also in the middle of a source transaction larger than a batch."""

import json
import warnings

from tributary_testing.feed import EventFeed, change_matcher
from tributary_testing.util import wait_until
from tributary_testing.verifier import ITEMS_FIELD_SCHEMAS, verify_exactly_once
from tributary_testing.workload import Workload, create_items_table, preload_items, read_rows

PREFIX = "shop"
ITEMS_TOPIC = f"{PREFIX}.public.items"
OFFSETS_TOPIC = "tributary.offsets"


def _json_documents(text):
    """JSON documents in `text`: the whole text, or one per line."""
    try:
        return [json.loads(text)]
    except ValueError:
        pass
    documents = []
    for line in text.splitlines():
        try:
            documents.append(json.loads(line))
        except ValueError:
            continue
    return documents


def _positions(document):
    """Every value under a key naming an LSN (`lsn`, `commit_lsn`, ...), anywhere in the document."""
    found = []
    if isinstance(document, dict):
        for key, value in document.items():
            if "lsn" in key.lower() and not isinstance(value, (dict, list)):
                found.append(value)
            found += _positions(value)
    elif isinstance(document, list):
        for value in document:
            found += _positions(value)
    return found


def assert_offsets_show_position(daemon, pipeline):
    shown = daemon.offsets_show()
    assert shown.returncode == 0, f"offsets show exited {shown.returncode}: {shown.stderr}"
    assert pipeline in shown.stdout, f"offsets show does not name pipeline {pipeline!r}: {shown.stdout!r}"
    documents = _json_documents(shown.stdout)
    assert documents, f"offsets show printed no JSON: {shown.stdout!r}"
    lsns = [v for d in documents for v in _positions(d) if v not in (0, "0", "0/0", None)]
    assert lsns, f"offsets show printed no position (no non-zero *lsn* field): {shown.stdout!r}"
    return shown.stdout


def test_sigterm_restarts_lose_and_duplicate_nothing(env):
    # big_size: 160 batches, and more than the daemon buffers between its reader and its Kafka
    # transactions (a soft 50,000 events today), so a SIGTERM cannot drain the whole transaction.
    rows, max_events, big_size = 20_000, 500, 80_000
    db = env.database()
    conn = env.connect(db)
    create_items_table(conn)
    initial = preload_items(conn, rows)

    # 32 partitions: each Kafka transaction spans many partitions (and, on the mock backend, which
    # keeps only ~5 MiB per partition, ~130k events fit).
    kafka = env.kafka(topics={ITEMS_TOPIC: 32, OFFSETS_TOPIC: 1})
    collector = env.collector(kafka, topics=[ITEMS_TOPIC, OFFSETS_TOPIC])
    feed = EventFeed(collector, ITEMS_TOPIC, field_schemas=ITEMS_FIELD_SCHEMAS)
    config = env.config(db, kafka, name=PREFIX, max_events=max_events,
                        pipeline={"envelope": {"schemas": False, "tombstones_on_delete": True}})
    daemon = env.daemon(config)
    workload = Workload(lambda: env.connect(db, autocommit=False), initial, seed=7)
    env.workloads.append(workload)

    daemon.start()
    # A stop during the snapshot restarts the snapshot; here every stop happens while streaming.
    feed.wait_for(lambda e: e.op == "r" and e.snapshot == "last", 180, "the last snapshot row")

    def restart(reason, stop=daemon.sigterm):
        code = stop(timeout=60)
        assert code == 0, f"{stop.__name__} {reason}: exit code {code}, expected 0"
        assert_offsets_show_position(daemon, PREFIX)
        daemon.start()

    # Streaming restarts while the workload keeps committing (changes pile up while it is down).
    workload.start(6000, rate=1500, max_txn_size=200)
    for round_number, progress in enumerate((2000, 4000)):
        wait_until(lambda: workload.last_seq >= progress or workload.done.is_set(), 120,
                   f"the workload to commit {progress} changes")
        target = workload.changes()[-1]
        feed.wait_for(change_matcher(target), 120, f"seq {target.seq} before restart {round_number}")
        restart(f"while streaming (round {round_number})", (daemon.sigterm, daemon.sigint)[round_number])
    workload.join(timeout=300)

    # Stop while a source transaction of many batches is being emitted.
    big = workload.transaction(big_size, ops="u")
    feed.wait_for(change_matcher(big[0]), 180, f"the first event of the big transaction (seq {big[0].seq})")
    code = daemon.sigterm(timeout=60)
    assert code == 0, f"SIGTERM in the middle of a large source transaction: exit code {code}"
    collector.wait_caught_up(timeout=60)
    feed.poll()
    big_seqs = {c.seq for c in big}
    emitted = sum(1 for e in feed.events if e.op == "u" and (e.after or {}).get("version") in big_seqs)
    print(f"big transaction: {emitted}/{big_size} events emitted before the stop")
    if emitted == big_size:
        warnings.warn("the daemon emitted the whole large transaction before SIGTERM arrived: the "
                      "resume-inside-a-transaction path was not exercised this time")
    print("offsets after the stop inside the transaction:", assert_offsets_show_position(daemon, PREFIX))
    daemon.start()

    # More changes after the last restart, then the final check.
    workload.run(1500)
    last = workload.log[-1]
    feed.wait_for(change_matcher(last), 300, f"the workload's last change (seq {last.seq})")
    final = read_rows(conn)
    code = daemon.sigterm(timeout=60)
    assert code == 0, f"final SIGTERM: exit code {code}"
    assert daemon.exit_codes == [0] * daemon.starts, daemon.exit_codes
    assert_offsets_show_position(daemon, PREFIX)
    collector.wait_caught_up(timeout=60)
    feed.poll()

    result = verify_exactly_once(feed.events, workload.log, initial, final, topic_prefix=PREFIX,
                                 database=db, schemas=False,
                                 partitions=collector.partition_count(ITEMS_TOPIC))
    print("verification:", result.stats)
    result.raise_if_failed()
    assert result.stats["s_star"] == 1, "the workload started after the snapshot: all of it is streamed"

    # The offsets topic holds committed records keyed by the pipeline name.
    offsets = collector.records(OFFSETS_TOPIC)
    assert offsets, f"no record in {OFFSETS_TOPIC}"
    assert {r.key for r in offsets} == {PREFIX.encode()}, {r.key for r in offsets}
    assert all(r.value for r in offsets)
