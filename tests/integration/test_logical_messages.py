"""pipelines[].messages against a real PostgreSQL 15 and Kafka (read_committed).

Logical decoding messages (pg_logical_emit_message) as Debezium 3.6's LogicalDecodingMessageMonitor
writes them: `op: m` records on `<topic_prefix>.message`, key io.debezium.connector.postgresql.MessageKey
{prefix}, value io.debezium.connector.postgresql.MessageValue {op, ts_ms, source, transaction,
message: {prefix, content (base64)}}; a transactional one carries its transaction's txId and sits
between its rows in LSN order, a non-transactional one has txId null; the prefix filter
(`messages.include` / `.exclude`, case-insensitive full matches) leaves the others out, and a
restart (with another filter) writes none of the earlier messages again.
"""

import base64
import json

from tributary_testing.feed import EventFeed

NAME = "lmsg"
TOPIC = f"{NAME}.message"
ROWS = f"{NAME}.public.items"

KEY_SCHEMA = {"type": "struct", "fields": [{"type": "string", "optional": True, "field": "prefix"}],
              "optional": False, "name": "io.debezium.connector.postgresql.MessageKey", "version": 1}
BLOCK_SCHEMA = {"type": "struct", "fields": [{"type": "string", "optional": True, "field": "prefix"},
                                             {"type": "bytes", "optional": True, "field": "content"}],
                "optional": False, "name": "io.debezium.connector.postgresql.Message", "version": 1,
                "field": "message"}


def _check_shape(event, db):
    """Debezium's MessageKey / MessageValue layout (schemas on); returns the payload."""
    assert event.key_schema == KEY_SCHEMA, event.key_schema
    schema = event.value_schema
    assert (schema["name"], schema["version"], schema["optional"]) == (
        "io.debezium.connector.postgresql.MessageValue", 1, False), schema
    assert [f["field"] for f in schema["fields"]] == ["op", "ts_ms", "source", "transaction", "message"]
    assert schema["fields"][4] == BLOCK_SCHEMA, schema["fields"][4]
    payload = event.payload
    assert list(payload) == ["op", "ts_ms", "source", "transaction", "message"], payload
    assert payload["op"] == "m" and isinstance(payload["ts_ms"], int) and payload["transaction"] is None
    source = payload["source"]
    assert (source["connector"], source["name"], source["db"]) == ("postgresql", NAME, db), source
    assert (source["schema"], source["table"], source["snapshot"]) == ("", "", "false"), source
    assert event.key == {"prefix": payload["message"]["prefix"]}
    assert not event.headers, f"message record with headers {event.headers}"
    return payload


def _content(event):
    return base64.b64decode(event.payload["message"]["content"])


def test_messages_in_stream_order_filtered_and_not_repeated(env):
    db = env.database()
    env.sql(db, "CREATE TABLE items (id int PRIMARY KEY, v text)")
    kafka = env.shared_kafka(topics={TOPIC: 2, ROWS: 2, f"{NAME}.offsets": 1})
    collector = env.collector(kafka, topics=[TOPIC, ROWS])
    messages = EventFeed(collector, TOPIC)
    rows = EventFeed(collector, ROWS)

    def config(messages_filter):
        return env.config(db, kafka, name=NAME, offsets_topic=f"{NAME}.offsets",
                          pipeline={"messages": messages_filter})

    daemon = env.daemon(config({"include": ["outbox\\..*"]}))
    daemon.start()

    conn = env.connect(db, autocommit=False)
    with conn.cursor() as cur:
        cur.execute("INSERT INTO items VALUES (1, 'one')")
        cur.execute("SELECT txid_current()")
        xid = cur.fetchone()[0]
        cur.execute("SELECT pg_logical_emit_message(true, 'outbox.order', 'created 1')")
        cur.execute("SELECT pg_logical_emit_message(true, 'audit', 'not included')")
        cur.execute("INSERT INTO items VALUES (2, 'two')")
    conn.commit()
    conn.autocommit = True
    with conn.cursor() as cur:
        # Non-transactional, bytes content, a prefix that matches only case-insensitively.
        cur.execute("SELECT pg_logical_emit_message(false, 'OUTBOX.Audit', '\\x00ff10'::bytea)")
    conn.close()

    tx = messages.wait_for(lambda e: e.key == {"prefix": "outbox.order"}, 60, "the transactional message")
    plain = messages.wait_for(lambda e: e.key == {"prefix": "OUTBOX.Audit"}, 60,
                              "the non-transactional message")
    one, two = (rows.wait_for(lambda e, i=i: e.op == "c" and e.key == {"id": i}, 60, f"row {i}")
                for i in (1, 2))
    tx_payload, plain_payload = _check_shape(tx, db), _check_shape(plain, db)
    assert _content(tx) == b"created 1" and _content(plain) == b"\x00\xff\x10"
    # Transactional: the transaction's txId and commit time, between its rows in the stream.
    assert tx_payload["source"]["txId"] == xid, tx_payload["source"]
    assert tx_payload["source"]["ts_ms"] == one.source["ts_ms"]
    assert one.source["lsn"] < tx_payload["source"]["lsn"] < two.source["lsn"]
    assert json.loads(tx_payload["source"]["sequence"])[0] == json.loads(one.source["sequence"])[0]
    # Non-transactional: no txId, after the transaction, a commit of its own for sequence.
    plain_source = plain_payload["source"]
    assert plain_source["txId"] is None and plain_source["lsn"] > two.source["lsn"], plain_source
    assert json.loads(plain_source["sequence"]) == [str(plain_source["lsn"])] * 2, plain_source

    # Restart with the opposite filter: nothing written before comes again; now `audit` is in.
    assert daemon.sigterm(timeout=60) == 0
    restarted = env.daemon(config({"exclude": ["outbox\\..*"]}), name="tributary-exclude")
    restarted.start()
    with env.connect(db).cursor() as cur:
        cur.execute("SELECT pg_logical_emit_message(true, 'outbox.order', 'excluded now')")
        cur.execute("SELECT pg_logical_emit_message(false, 'audit', 'included now')")
    messages.wait_for(lambda e: e.key == {"prefix": "audit"}, 60, "the audit message")
    assert restarted.sigterm(timeout=60) == 0
    collector.wait_caught_up(timeout=60)
    messages.poll()
    got = [(e.key["prefix"], _content(e)) for e in messages.events]
    assert sorted(got) == sorted([("outbox.order", b"created 1"), ("OUTBOX.Audit", b"\x00\xff\x10"),
                                  ("audit", b"included now")]), got
