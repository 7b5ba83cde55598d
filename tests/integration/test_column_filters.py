"""pipelines[].columns against a real PostgreSQL and Kafka (read_committed): column filters
(Debezium's column.exclude.list) and column masks (column.truncate.to.N.chars,
column.mask.with.N.chars, column.mask.hash.<algorithm>.with.salt.<salt> and its v2).

The expected hashes are computed here from Debezium's algorithm (MaskStrings.HashValueConverter):
the lower-case hex digest of the salt's bytes followed by, for v1, the value as Java's
ObjectOutputStream.writeObject serializes a String, for v2 its UTF-8 bytes; the hex is cut to the
column's declared length (varchar(n)). As Debezium, the key is neither filtered nor masked, and
mask fields carry the schema parameter `masked`, truncated ones `truncateLength`.
"""

import hashlib
import json
import os

import pytest

from tributary_testing import debezium
from tributary_testing.daemon import run_cli
from tributary_testing.feed import EventFeed, change_matcher
from tributary_testing.sources import items_pipeline
from tributary_testing.verifier import verify_exactly_once
from tributary_testing.workload import Workload, create_items_table, preload_items, read_rows

PREFIX = "colmask"
ITEMS_TOPIC = f"{PREFIX}.public.items"
PEOPLE_TOPIC = f"{PREFIX}.public.people"

PEOPLE_DDL = (
    "CREATE TABLE public.people (code text PRIMARY KEY, email varchar(40), name text, "
    "bio text, photo bytea, note varchar(20), age int, secret text)"
)
PEOPLE = [
    # snapshot rows
    ("p1", "ann@example.com", "Ann", "a long biography", b"\x00\x01\x02\x03\x04\x05\x06", "n1", 31, "s1"),
    ("p2", None, "Zoë 😀", "short", None, None, None, "s2"),
]
STREAMED = ("p3", "bob@example.com", "Bob é", "😀😀abc", b"\xff" * 9, "n3", 40, "s3")

COLUMNS = {
    "exclude": ["public\\.items\\.payload", "public\\.PEOPLE\\.secret"],  # case-insensitive
    "truncate_to": [{"columns": ["public\\.people\\.(bio|photo)"], "length": 5}],
    "mask_with": [{"columns": ["public\\.people\\.note", "public\\.people\\.age"], "length": 6}],
    "mask_hash": [
        {"columns": ["public\\.people\\.(email|code)"], "algorithm": "SHA-256", "salt": "pepper"},
        {"columns": ["public\\.people\\.name"], "algorithm": "SHA-512", "salt": "s2", "version": "v2"},
    ],
}


def java_serialized(text):
    """ObjectOutputStream.writeObject(text): stream header, TC_STRING, length, modified UTF-8."""
    units = text.encode("utf-16-be")
    body = bytearray()
    for i in range(0, len(units), 2):
        unit = int.from_bytes(units[i:i + 2], "big")
        if 1 <= unit <= 0x7F:
            body.append(unit)
        elif unit > 0x7FF:
            body += bytes([0xE0 | (unit >> 12), 0x80 | ((unit >> 6) & 0x3F), 0x80 | (unit & 0x3F)])
        else:
            body += bytes([0xC0 | (unit >> 6), 0x80 | (unit & 0x3F)])
    assert len(body) <= 0xFFFF
    return b"\xac\xed\x00\x05\x74" + len(body).to_bytes(2, "big") + bytes(body)


def debezium_hash(algorithm, salt, text, v2=False, length=None):
    if text is None:
        return None
    data = text.encode("utf-8") if v2 else java_serialized(text)
    hex_digest = hashlib.new(algorithm, salt.encode("utf-8") + data).hexdigest()
    return hex_digest[:length] if length else hex_digest


def java_truncate(text, n):
    """String.substring(0, n) in UTF-16 units: "😀😀abc" -> "😀😀a" (no pair is split here)."""
    if text is None:
        return None
    units = text.encode("utf-16-be")[:2 * n]
    return units.decode("utf-16-be")


def expected_after(row):
    code, email, name, bio, photo, note, age, _secret = row
    return {
        "code": debezium_hash("sha256", "pepper", code),
        "email": debezium_hash("sha256", "pepper", email, length=40),
        "name": debezium_hash("sha512", "s2", name, v2=True),
        "bio": java_truncate(bio, 5),
        "photo": None if photo is None else photo[:5],  # decoded from base64 by the feed
        "note": "******",  # a NULL too: MaskingValueConverter ignores the value
        "age": age,  # not a string column: left as it is, the parameter still marks it
    }


def _field(schema, side, name):
    row = next(f for f in schema["fields"] if f["field"] == side)
    return next((f for f in row["fields"] if f["field"] == name), None)


def test_excluded_columns_are_left_out_and_masked_columns_carry_debeziums_values(env):
    db = env.database()
    conn = env.connect(db)
    create_items_table(conn)
    initial = preload_items(conn, 200)
    conn.close()
    env.sql(db, PEOPLE_DDL)
    env.sql(db, "ALTER TABLE public.people REPLICA IDENTITY FULL")
    for row in PEOPLE:
        env.sql(db, "INSERT INTO public.people VALUES (%s, %s, %s, %s, %s, %s, %s, %s)", row)

    kafka = env.shared_kafka()
    collector = env.collector(kafka, topics=[ITEMS_TOPIC, PEOPLE_TOPIC])
    items = EventFeed(collector, ITEMS_TOPIC)
    people = EventFeed(collector, PEOPLE_TOPIC)
    config = env.config(db, kafka, name=PREFIX, offsets_topic=f"{PREFIX}.offsets",
                        pipeline={"columns": COLUMNS})
    daemon = env.daemon(config)
    workload = Workload(lambda: env.connect(db, autocommit=False), initial, seed=1912)
    env.workloads.append(workload)
    daemon.start()

    env.sql(db, "INSERT INTO public.people VALUES (%s, %s, %s, %s, %s, %s, %s, %s)", STREAMED)
    env.sql(db, "UPDATE public.people SET email = 'new@example.com' WHERE code = 'p1'")
    env.sql(db, "DELETE FROM public.people WHERE code = 'p2'")
    workload.run(400)

    last = workload.log[-1]
    items.wait_for(change_matcher(last), 120, f"the workload's last change (seq {last.seq})")
    # people: 2 r + c + u + d + tombstone
    events = people.wait_for_count(lambda e: True, 6, 90, "people's events")
    conn = env.connect(db)
    final = read_rows(conn)
    conn.close()
    collector.wait_caught_up(timeout=60)
    items.poll()

    # items: payload excluded from every image and from the value schema, the rest exactly once.
    for e in items.events:
        if e.tombstone:
            continue
        for image in (e.before, e.after):
            assert image is None or "payload" not in image, f"payload in {e.where}: {image}"
        assert _field(e.value_schema, "after", "payload") is None
    result = verify_exactly_once(items.events, workload.log, initial, final, topic_prefix=PREFIX,
                                 database=db, schemas=True,
                                 columns=["id", "version", "amount", "flag", "qty", "updated_at"])
    print("verification:", result.stats)
    result.raise_if_failed()

    by_op = {}
    for e in events:
        by_op.setdefault("tombstone" if e.tombstone else e.op, []).append(e)
    assert sorted(by_op) == ["c", "d", "r", "tombstone", "u"], sorted(by_op)
    # The key keeps the raw code (Debezium builds the key without mappers).
    assert sorted(e.key["code"] for e in by_op["r"]) == ["p1", "p2"]
    snapshot = {e.key["code"]: e.after for e in by_op["r"]}
    for row in PEOPLE:
        assert snapshot[row[0]] == expected_after(row), (row[0], snapshot[row[0]])
    created = by_op["c"][0]
    assert created.key == {"code": "p3"}
    assert created.after == expected_after(STREAMED), created.after
    updated = by_op["u"][0]
    assert updated.before == expected_after(PEOPLE[0])
    assert updated.after == expected_after(("p1", "new@example.com") + PEOPLE[0][2:])
    deleted = by_op["d"][0]
    assert deleted.key == {"code": "p2"} and deleted.before == expected_after(PEOPLE[1])

    schema = created.value_schema
    assert _field(schema, "after", "secret") is None
    assert _field(schema, "before", "secret") is None
    for name in ("code", "email", "name", "note", "age"):
        assert _field(schema, "after", name).get("parameters") == {"masked": "true"}, name
    for name in ("bio", "photo"):
        assert _field(schema, "after", name).get("parameters") == {"truncateLength": "5"}, name
    assert [f["field"] for f in created.key_schema["fields"]] == ["code"]
    assert "parameters" not in created.key_schema["fields"][0]
    # The salt is never logged.
    assert "pepper" not in daemon.current_run_stderr()


def test_mysql_excluded_and_hashed_columns_exactly_once(env, request):
    """The same envelope rules on a MariaDB pipeline: qty excluded, payload hashed (v1), the rest
    verified exactly once; the last image of each row carries the hash of its final payload."""
    name = "mycols"
    source, _, topic, collector, config, initial = items_pipeline("mysql", env, request, 200, name)
    db = source.db
    config["pipelines"][0]["columns"] = {
        "exclude": [f"{db}\\.items\\.qty"],
        "mask_hash": [{"columns": [f"{db}\\.items\\.payload"], "algorithm": "SHA-256",
                       "salt": "pepper"}]}
    daemon = env.daemon(config)
    daemon.start()
    feed = EventFeed(collector, topic)
    workload = Workload(source.connect, initial, seed=77)
    env.workloads.append(workload)
    workload.run(300, max_txn_size=40)
    last = workload.changes()[-1]
    feed.wait_for(change_matcher(last), 90, f"the workload's last change (seq {last.seq})")
    conn = source.connect()
    final = read_rows(conn)
    conn.close()
    collector.wait_caught_up(timeout=60)
    feed.poll()
    result = verify_exactly_once(feed.events, workload.changes(), initial, final, topic_prefix=name,
                                 columns=["id", "version", "amount", "flag", "updated_at"],
                                 **source.verify_kwargs())
    result.raise_if_failed()
    latest = {}
    for e in sorted(feed.events, key=lambda e: (e.partition, e.offset)):
        if e.tombstone:
            continue
        for image in (e.before, e.after):
            assert image is None or "qty" not in image, f"qty in {e.where}"
        if e.after is not None:
            latest[e.after["id"]] = e.after
    assert set(latest) >= set(final)
    for key, row in final.items():
        assert latest[key]["payload"] == debezium_hash("sha256", "pepper", row["payload"]), key
    field = _field(next(e for e in feed.events if not e.tombstone).value_schema, "after", "payload")
    assert field["parameters"] == {"masked": "true"}


def test_columns_include_and_exclude_together_is_a_configuration_error(env):
    config = env.config("nowhere", None, pipeline={"columns": {
        "include": ["public\\.t\\.a"], "exclude": ["public\\.t\\.b"],
        "mask_hash": [{"columns": ["public\\.t\\.c"], "algorithm": "SHA-257", "salt": "hush"}],
        "truncate_to": [{"columns": ["public\\.t\\.d"]}]}})
    daemon = env.daemon(config)
    result = run_cli(["check", "--offline", "-c", daemon.config_path], timeout=30)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    for expected in ("pipelines[0].columns.exclude", "cannot be used with pipelines[].columns.include",
                     "pipelines[0].columns.mask_hash[0].algorithm", "SHA-256",
                     "pipelines[0].columns.truncate_to[0].length", "is required"):
        assert expected in output, f"{expected!r} missing:\n{output}"
    assert "hush" not in output


# The same settings in Debezium's own property names, for the peer below.
DEBEZIUM_COLUMNS = {
    "column.exclude.list": "public\\.people\\.secret",
    "column.truncate.to.5.chars": "public\\.people\\.(bio|photo)",
    "column.mask.with.6.chars": "public\\.people\\.note,public\\.people\\.age",
    "column.mask.hash.SHA-256.with.salt.pepper": "public\\.people\\.(email|code)",
    "column.mask.hash.v2.SHA-512.with.salt.s2": "public\\.people\\.name",
}


def _as_json(value):
    return json.loads(value) if isinstance(value, (str, bytes)) else value


def test_filtered_and_masked_records_equal_debeziums_own(env, pg):
    """Debezium 3.6 (embedded, its own slot) with column.exclude.list and the column mappers on the
    same table: every value payload and the value schema's row struct equal tributary's."""
    if not debezium.connector_available("postgresql"):
        pytest.skip("the Debezium peer's jars are not fetched (tests/support/debezium/fetch.sh)")
    db = env.database()
    env.sql(db, PEOPLE_DDL)
    env.sql(db, "ALTER TABLE public.people REPLICA IDENTITY FULL")
    for row in PEOPLE:
        env.sql(db, "INSERT INTO public.people VALUES (%s, %s, %s, %s, %s, %s, %s, %s)", row)
    prefix = "colpeer"
    kafka = env.shared_kafka()
    collector = env.collector(kafka, topics=[f"{prefix}.public.people"])
    feed = EventFeed(collector, f"{prefix}.public.people")
    columns = {key: value for key, value in COLUMNS.items()}
    columns["exclude"] = ["public\\.people\\.secret"]
    config = env.config(db, kafka, name=prefix, offsets_topic=f"{prefix}.offsets",
                        pipeline={"tables": {"include": ["public\\.people"], "exclude": []},
                                  "columns": columns})
    daemon = env.daemon(config)
    peer = debezium.DebeziumPeer(connector="postgresql", host=pg.host, port=pg.port, user=pg.user,
                                 password=pg.password, database=db, topic_prefix=prefix,
                                 tables_include=["public\\.people"],
                                 workdir=os.path.join(env.workdir, "debezium"),
                                 slot="debezium_columns", publication="debezium_columns",
                                 extra=DEBEZIUM_COLUMNS)
    with peer:
        daemon.start()
        env.sql(db, "INSERT INTO public.people VALUES (%s, %s, %s, %s, %s, %s, %s, %s)", STREAMED)
        env.sql(db, "UPDATE public.people SET email = 'new@example.com' WHERE code = 'p1'")
        ours = feed.wait_for_count(lambda e: not e.tombstone, 4, 90, "tributary's people events")
        theirs = [r for r in peer.records(4, timeout=120) if r.get("value") is not None]
    assert len(theirs) == 4, theirs

    def row_struct(schema):
        return [f for f in schema["fields"] if f["field"] == "after"][0]

    mine = sorted(((e.payload["op"], _as_json(e.payload["after"])) for e in ours),
                  key=lambda p: json.dumps(p, sort_keys=True))
    debeziums = sorted(((_as_json(r["value"])["op"], _as_json(r["value"])["after"]) for r in theirs),
                       key=lambda p: json.dumps(p, sort_keys=True))
    assert mine == debeziums
    their_schema = _as_json(theirs[-1]["value_schemas"])["schema"]
    assert row_struct(ours[-1].value_schema) == row_struct(their_schema)
    assert ours[-1].key == _as_json(theirs[-1]["key"])
