"""pipelines[].transactions.topic against real PostgreSQL / MariaDB and Kafka (read_committed):
Debezium's provide.transaction.metadata.

For each source transaction a BEGIN record before its first event and an END record (event_count,
data_collections) after its last, on `<prefix>.transaction`, and every streamed data event's
`transaction` block {id, total_order, data_collection_order}. Source transactions larger than
kafka.batch.max_events span several Kafka transactions, and the daemon is killed (-9) inside one:
each source transaction still has exactly one BEGIN and one END, with counts and orders as an
uninterrupted run gives, and the data stays exactly once. Then, beside Debezium 3.6.1 on the same
PostgreSQL database, the transaction records and blocks are Debezium's (ts fields aside).
"""

import json
import os

import pytest

from tributary_testing import debezium
from tributary_testing.feed import EventFeed, change_matcher
from tributary_testing.sources import SOURCES, items_pipeline
from tributary_testing.util import wait_until
from tributary_testing.verifier import verify_exactly_once
from tributary_testing.workload import Workload, read_rows

MAX_EVENTS = 40  # Kafka transactions of at most this many events: larger source ones are split
BIG = 3000  # events of the source transaction the daemon is killed inside

KEY_SCHEMA = {"type": "struct", "fields": [{"type": "string", "optional": False, "field": "id"}],
              "optional": False, "name": "io.debezium.connector.common.TransactionMetadataKey",
              "version": 1}


def _json(value):
    return json.loads(value) if isinstance(value, (str, bytes)) else value


def _transaction_records(collector, topic):
    """(key payload, value payload) of each record on the transaction topic, schemas checked."""
    out = []
    for record in collector.records(topic):
        key, value = json.loads(record.key), json.loads(record.value)
        assert key["schema"] == KEY_SCHEMA, key
        assert value["schema"]["name"] == "io.debezium.connector.common.TransactionMetadataValue"
        assert not record.headers, record.headers
        out.append((key["payload"], value["payload"]))
    return out


def _transaction_key(block_id, source_kind):
    """The transaction an id names: PostgreSQL's ids are <txId>:<LSN>, the LSN differing per event."""
    return block_id.split(":")[0] if source_kind == "postgres" else block_id


def _checkpoint(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (FileNotFoundError, ValueError):
        return None


@pytest.mark.parametrize("source_kind", SOURCES)
def test_one_begin_and_end_per_source_transaction_across_splits_and_kill9(env, request, source_kind):
    name = f"txmeta_{source_kind}"
    source, kafka, topic, collector, config, initial = items_pipeline(
        source_kind, env, request, 200, name, max_events=MAX_EVENTS,
        pipeline={"transactions": {"topic": True}, "envelope": {"schemas": True}})
    tx_topic = f"{name}.transaction"
    transactions = env.collector(kafka, topics=[tx_topic])
    feed = EventFeed(collector, topic)
    daemon = env.daemon(config)
    daemon.start()
    feed.wait_for_count(lambda e: e.op == "r", len(initial), 120, "the snapshot rows")

    workload = Workload(lambda: source.connect(autocommit=False), initial, seed=1201)
    env.workloads.append(workload)
    workload.run(500, max_txn_size=120)  # some over MAX_EVENTS: split over Kafka transactions
    last = workload.log[-1]
    feed.wait_for(change_matcher(last), 120, f"the last change (seq {last.seq})")

    # kill -9 once a checkpoint lies inside the big transaction (part of it is in Kafka).
    checkpoint_path = os.path.join(env.workdir, "offsets", f"{name}.offsets")
    big = workload.transaction(BIG)
    wait_until(lambda: ((_checkpoint(checkpoint_path) or {}).get("partial_events") or 0) >= MAX_EVENTS,
               120, "a checkpoint inside the big source transaction", interval=0.005,
               max_interval=0.02)
    assert daemon.kill9() == -9
    daemon.start()
    feed.wait_for(change_matcher(big[-1]), 180, "the big transaction's last change")
    workload.run(200, max_txn_size=60)
    last = workload.log[-1]
    feed.wait_for(change_matcher(last), 120, f"the last change (seq {last.seq})")
    final = read_rows(source.connect())
    ends_expected = workload.txn_count
    transactions.wait_for(
        lambda: sum(1 for r in transactions.records(tx_topic)
                    if json.loads(r.value)["payload"]["status"] == "END") >= ends_expected,
        120, f"{ends_expected} END records")
    assert daemon.sigterm(timeout=60) == 0
    collector.wait_caught_up(timeout=60)
    transactions.wait_caught_up(timeout=60)
    feed.poll()

    result = verify_exactly_once(feed.events, workload.log, initial, final, topic_prefix=name,
                                 schemas=True, partitions=collector.partition_count(topic),
                                 **source.verify_kwargs())
    print("verification:", result.stats)
    result.raise_if_failed()

    records = _transaction_records(transactions, tx_topic)
    begins = [v for _, v in records if v["status"] == "BEGIN"]
    ends = [v for _, v in records if v["status"] == "END"]
    for key, value in records:
        assert key == {"id": value["id"]}, (key, value)
    # One BEGIN and one END per source transaction of the workload (the snapshot has none).
    assert len(begins) == workload.txn_count, (len(begins), workload.txn_count)
    assert len(ends) == workload.txn_count, (len(ends), workload.txn_count)
    begin_keys = [_transaction_key(b["id"], source_kind) for b in begins]
    end_keys = [_transaction_key(e["id"], source_kind) for e in ends]
    assert len(set(begin_keys)) == len(begin_keys) and set(begin_keys) == set(end_keys)
    for b in begins:
        assert b["event_count"] is None and b["data_collections"] is None, b

    # The data events: each streamed one carries its block; per transaction total_order and
    # data_collection_order are 1..n, n its END's event_count (one table here).
    streamed = [e for e in feed.events if not e.tombstone and e.op != "r"]
    snapshot = [e for e in feed.events if not e.tombstone and e.op == "r"]
    assert all(e.payload["transaction"] is None for e in snapshot)
    by_transaction = {}
    for e in streamed:
        block = e.payload["transaction"]
        assert block is not None, e.where
        by_transaction.setdefault(_transaction_key(block["id"], source_kind), []).append(block)
    # Counted without duplicates: the verifier saw each change exactly once.
    assert sum(e["event_count"] for e in ends) == len(streamed) == len(workload.log)
    table = f"{source.db}.items" if source_kind == "mysql" else "public.items"
    for end in ends:
        key = _transaction_key(end["id"], source_kind)
        blocks = by_transaction[key]
        n = end["event_count"]
        assert end["data_collections"] == [{"data_collection": table, "event_count": n}], end
        assert sorted(b["total_order"] for b in blocks) == list(range(1, n + 1)), key
        assert sorted(b["data_collection_order"] for b in blocks) == list(range(1, n + 1)), key
    big_key = [k for k, blocks in by_transaction.items() if len(blocks) == len(big)]
    assert big_key, "the big transaction's events are not one transaction"


def _peer_view(records, source_kind):
    """Transaction records and data blocks in a comparable form: ts fields dropped, END's
    data_collections sorted (Debezium keeps them in a HashMap)."""
    out = []
    for topic, key, value in records:
        if value is None:
            continue
        if topic.endswith(".transaction"):
            value = dict(value)
            value.pop("ts_ms")
            if value["data_collections"] is not None:
                value["data_collections"] = sorted(value["data_collections"],
                                                   key=lambda c: c["data_collection"])
            out.append(("tx", json.dumps(key, sort_keys=True), json.dumps(value, sort_keys=True)))
        else:
            out.append((topic.split(".", 1)[1], json.dumps(key, sort_keys=True), value["op"],
                        json.dumps(value["transaction"], sort_keys=True)))
    return out


def test_transaction_records_and_blocks_equal_debeziums(env, pg):
    """Debezium 3.6.1 with provide.transaction.metadata=true on the same PostgreSQL database: the
    same BEGIN/END records (ids, counts, per-table counts) and the same blocks on every data
    event, a key change (two events), a table out of the capture set and a skipped truncate
    included."""
    if not debezium.connector_available("postgresql"):
        pytest.skip("the Debezium peer's jars are not fetched (tests/support/debezium/fetch.sh)")
    db = env.database()
    for table in ("a", "b", "other"):
        env.sql(db, f"CREATE TABLE public.{table} (id int PRIMARY KEY, v text)")
    env.sql(db, "INSERT INTO public.a VALUES (100, 'snapshot')")
    prefix = "txpeer"
    tables = ["public\\.a", "public\\.b"]
    kafka = env.shared_kafka()
    topics = [f"{prefix}.public.a", f"{prefix}.public.b", f"{prefix}.transaction"]
    collector = env.collector(kafka, topics=topics)
    config = env.config(db, kafka, name=prefix, offsets_topic=f"{prefix}.offsets",
                        pipeline={"tables": {"include": tables, "exclude": []},
                                  "transactions": {"topic": True}})
    daemon = env.daemon(config)
    peer = debezium.DebeziumPeer(connector="postgresql", host=pg.host, port=pg.port, user=pg.user,
                                 password=pg.password, database=db, topic_prefix=prefix,
                                 tables_include=tables, workdir=os.path.join(env.workdir, "debezium"),
                                 slot="debezium_tx", publication="debezium_tx",
                                 extra={"provide.transaction.metadata": "true"})
    with peer:
        daemon.start()
        conn = env.connect(db, autocommit=False)
        cur = conn.cursor()
        cur.execute("INSERT INTO public.a VALUES (1, 'x')")
        cur.execute("INSERT INTO public.b VALUES (1, 'x')")
        cur.execute("INSERT INTO public.other VALUES (1, 'x')")  # not captured: not counted
        cur.execute("UPDATE public.a SET v = 'y' WHERE id = 1")
        conn.commit()
        cur.execute("UPDATE public.a SET id = 2 WHERE id = 1")  # a key change: d + c
        cur.execute("DELETE FROM public.b WHERE id = 1")
        conn.commit()
        cur.execute("INSERT INTO public.other VALUES (2, 'x')")  # no captured event: no BEGIN/END
        conn.commit()
        cur.execute("TRUNCATE public.b")  # skipped (skipped_operations t): no BEGIN/END
        conn.commit()
        cur.execute("INSERT INTO public.b VALUES (5, 'x')")
        conn.commit()
        conn.close()
        # 1 r + 3 + (d, tombstone, c, d, tombstone) + 1 = 10 data records, 3 BEGIN + 3 END.
        theirs = peer.records(16, timeout=120)
        collector.wait_for(lambda: len(collector.records()) >= 16, 90, "tributary's 16 records")
        peer.wait_idle(quiet=2)
        theirs = peer.all_records()
    assert daemon.sigterm(timeout=60) == 0
    collector.wait_caught_up(timeout=60)

    def ours_in_order():
        records = sorted(collector.records(), key=lambda r: r.timestamp)
        out = []
        for r in records:
            value = None if r.value is None else json.loads(r.value)
            value = value and value.get("payload", value)
            key = json.loads(r.key) if r.key is not None else None
            key = key and key.get("payload", key)
            out.append((r.topic, key, value))
        return out

    mine = _peer_view(ours_in_order(), "postgres")
    debeziums = _peer_view([(r["topic"], _json(r["key"]), _json(r["value"])) for r in theirs],
                           "postgres")
    # Kafka orders per partition only: compare as multisets, and per transaction in order below.
    print("tributary:", *mine, sep="\n  ")
    print("debezium:", *debeziums, sep="\n  ")
    assert sorted(mine) == sorted(debeziums)
    tx = [m for m in debeziums if m[0] == "tx"]
    assert len(tx) == 8, tx  # the skipped TRUNCATE's transaction has BEGIN and END too
