"""Pure tests of the exactly-once verifier on synthetic Debezium records (no servers)."""

import base64
import collections
import dataclasses
import datetime
import decimal
import json

import pytest

from tributary_testing import verifier
from tributary_testing.verifier import (ITEMS_FIELD_SCHEMAS, apply_changes, decode_decimal,
                                        decode_records, default_partition, encode_decimal, murmur2,
                                        verify_exactly_once)
from tributary_testing.workload import Change

PREFIX, TOPIC, PARTITIONS = "shop", "shop.public.items", 4
Rec = collections.namedtuple("Rec", "topic partition offset key value headers")
T0 = datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)

# ---- a tiny Debezium encoder for the `items` table ---------------------------------------------------

FIELDS = [
    {"type": "int32", "optional": False, "field": "id"},
    {"type": "int64", "optional": False, "field": "version"},
    {"type": "string", "optional": True, "field": "payload"},
    {"type": "bytes", "optional": True, "name": verifier.DECIMAL, "version": 1,
     "parameters": {"scale": "2", "connect.decimal.precision": "12"}, "field": "amount"},
    {"type": "string", "optional": True, "name": "io.debezium.time.ZonedTimestamp", "version": 1,
     "field": "updated_at"},
]


def row(key, version, amount="1.00"):
    return {"id": key, "version": version, "payload": f"p{key}v{version}",
            "amount": decimal.Decimal(amount), "updated_at": T0 + datetime.timedelta(seconds=version)}


def encode_row(r):
    if r is None:
        return None
    return {"id": r["id"], "version": r["version"], "payload": r["payload"],
            "amount": encode_decimal(r["amount"], 2),
            "updated_at": r["updated_at"].astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")}


def envelope(op, before, after, snapshot="false", txid=None, lsn=None, schemas=False):
    source = {"version": "0.1.0", "connector": "postgresql", "name": PREFIX, "ts_ms": 1700000000000,
              "snapshot": snapshot, "db": "shop", "sequence": None, "schema": "public", "table": "items",
              "txId": txid, "lsn": lsn, "xmin": None}
    payload = {"before": encode_row(before), "after": encode_row(after), "source": source,
               "transaction": None, "op": op, "ts_ms": 1700000000001}
    if not schemas:
        return payload
    value = {"type": "struct", "optional": True, "name": "shop.public.items.Value", "fields": FIELDS}
    schema = {"type": "struct", "name": "shop.public.items.Envelope", "version": 2, "optional": False,
              "fields": [dict(value, field="before"), dict(value, field="after"),
                         {"type": "struct", "fields": [], "optional": False, "field": "source"},
                         {"type": "string", "optional": False, "field": "op"},
                         {"type": "int64", "optional": True, "field": "ts_ms"}]}
    return {"schema": schema, "payload": payload}


def key_bytes(key, schemas=False):
    doc = {"id": key}
    if schemas:
        doc = {"schema": {"type": "struct", "fields": [{"type": "int32", "optional": False, "field": "id"}],
                          "optional": False, "name": "shop.public.items.Key"}, "payload": doc}
    return json.dumps(doc, separators=(",", ":")).encode()


@dataclasses.dataclass
class Scenario:
    """Initial rows 1..6; txns 0-1 before the snapshot point, 2-4 streamed after it."""
    schemas: bool = False
    initial: dict = None
    log: list = None
    items: list = None  # [(key, value dict | None)] in production order

    def __post_init__(self):
        self.initial = {k: row(k, 0) for k in range(1, 7)}
        # seq:      1         2           3           4         5           6         7
        plan = [[("u", 1), ("c", 7)], [("d", 2)], [("u", 3), ("u", 1)], [("d", 7), ("c", 8)],
                # 8         9
                [("c", 2), ("u", 3)]]
        self.log, state, seq = [], dict(self.initial), 0
        for txn, ops in enumerate(plan):
            for op, key in ops:
                seq += 1
                if op == "d":
                    self.log.append(Change(seq, key, "d", state[key]["version"], txn, state.pop(key)))
                else:
                    state[key] = row(key, seq, amount=f"{seq}.25")
                    self.log.append(Change(seq, key, op, seq, txn, state[key]))
        self.s_star = 4  # first seq of txn 2
        snap = apply_changes(self.initial, self.log, before_seq=self.s_star)
        self.items = []
        keys = sorted(snap)
        for i, key in enumerate(keys):
            marker = "first" if i == 0 else "last" if i == len(keys) - 1 else "true"
            self.items.append((key, envelope("r", None, snap[key], snapshot=marker, schemas=self.schemas)))
        before = apply_changes(self.initial, self.log, before_seq=self.s_star)
        for change in self.log[self.s_star - 1:]:
            txid, lsn = 1000 + change.txn, 5000 + change.seq * 10
            if change.op == "d":
                self.items.append((change.key, envelope("d", change.row, None, txid=txid, lsn=lsn,
                                                        schemas=self.schemas)))
                self.items.append((change.key, None))
                before.pop(change.key)
            else:
                self.items.append((change.key, envelope(change.op, before.get(change.key), change.row,
                                                        txid=txid, lsn=lsn, schemas=self.schemas)))
                before[change.key] = change.row

    def final(self):
        return apply_changes(self.initial, self.log)

    def records(self, items=None):
        offsets = collections.Counter()
        out = []
        for key, value in (self.items if items is None else items):
            kb = key_bytes(key, self.schemas)
            partition = default_partition(kb, PARTITIONS)
            out.append(Rec(TOPIC, partition, offsets[partition], kb,
                           None if value is None else json.dumps(value).encode(), ()))
            offsets[partition] += 1
        return out

    def verify(self, items=None, final=None, **kwargs):
        events = decode_records(self.records(items), None if self.schemas else ITEMS_FIELD_SCHEMAS)
        return verify_exactly_once(events, self.log, self.initial, self.final() if final is None else final,
                                   topic_prefix=PREFIX, database="shop", partitions=PARTITIONS,
                                   schemas=self.schemas, **kwargs)

    def change(self, seq):
        return self.log[seq - 1]

    def index(self, op, key, nth=0):
        matches = [i for i, (k, v) in enumerate(self.items)
                   if k == key and v is not None and verifier.unwrap(v)[1]["op"] == op]
        return matches[nth]


def kinds(result):
    return {p.split("]")[0].lstrip("[") for p in result.problems}


# ---- the tests ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("schemas", [False, True])
def test_clean_run_passes(schemas):
    scenario = Scenario(schemas=schemas)
    result = scenario.verify()
    assert result.ok, result.report()
    assert result.stats["s_star"] == 4
    assert result.stats["streamed"] == 6
    assert result.stats["snapshot_rows"] == 6


def test_detects_a_lost_change():
    scenario = Scenario()
    items = list(scenario.items)
    del items[scenario.index("u", 1)]  # seq 5
    result = scenario.verify(items)
    assert "missing" in kinds(result)
    assert any("seq 5 " in p for p in result.problems), result.report()


def test_detects_a_lost_first_streamed_transaction():
    # Losing all of txn 2 moves S* to txn 3: the snapshot then lacks txn 2's versions.
    scenario = Scenario()
    items = [item for i, item in enumerate(scenario.items)
             if i not in (scenario.index("u", 3, 0), scenario.index("u", 1))]
    result = scenario.verify(items)
    assert "snapshot" in kinds(result), result.report()
    assert any("key 3" in p and "version" in p for p in result.problems), result.report()


def test_detects_a_duplicate():
    scenario = Scenario()
    items = scenario.items + [scenario.items[scenario.index("c", 8)]]
    result = scenario.verify(items)
    assert "duplicate" in kinds(result), result.report()
    assert any("seq 7 " in p for p in result.problems), result.report()


def test_detects_a_duplicate_snapshot_row():
    scenario = Scenario()
    items = scenario.items + [scenario.items[scenario.index("r", 4)]]
    result = scenario.verify(items)
    assert "duplicate" in kinds(result), result.report()


def test_detects_a_reordering():
    scenario = Scenario()
    items = list(scenario.items)
    a, b = scenario.index("u", 3, 0), scenario.index("u", 3, 1)
    items[a], items[b] = items[b], items[a]
    result = scenario.verify(items)
    assert "order" in kinds(result), result.report()
    assert any("key 3" in p for p in result.problems)


def test_detects_a_streamed_event_before_the_snapshot_row():
    scenario = Scenario()
    items = list(scenario.items)
    r, u = scenario.index("r", 1), scenario.index("u", 1)
    items.insert(r, items.pop(u))
    result = scenario.verify(items)
    assert "order" in kinds(result), result.report()


def test_detects_a_wrong_final_state():
    scenario = Scenario()
    final = scenario.final()
    final[4] = dict(final[4], payload="changed behind the daemon's back")
    del final[5]
    result = scenario.verify(final=final)
    assert kinds(result) == {"final"}, result.report()
    assert any("key 4" in p and "payload" in p for p in result.problems)
    assert any("key 5" in p and "not in the table" in p for p in result.problems)


def test_detects_a_wrong_snapshot_image():
    scenario = Scenario()
    items = list(scenario.items)
    i = scenario.index("r", 1)
    items[i] = (1, envelope("r", None, row(1, 0), snapshot="true"))  # stale: key 1 was at version 1
    result = scenario.verify(items)
    assert "snapshot" in kinds(result), result.report()
    assert any("key 1" in p and "version" in p for p in result.problems)


def test_detects_a_snapshot_row_for_a_deleted_key_and_a_missing_one():
    scenario = Scenario()
    items = list(scenario.items)
    items[scenario.index("r", 5)] = (2, envelope("r", None, row(2, 0), snapshot="true"))
    result = scenario.verify(items)
    assert any("key 2" in p and "absent at the snapshot point" in p for p in result.problems), result.report()
    assert any("key 5: no snapshot row" in p for p in result.problems), result.report()


def test_detects_wrong_snapshot_markers():
    scenario = Scenario()
    items = list(scenario.items)
    last = scenario.index("r", 7)
    items[last] = (7, envelope("r", None, scenario.change(2).row, snapshot="true"))
    result = scenario.verify(items)
    assert any("'last'" in p for p in result.problems), result.report()


def test_detects_a_missing_tombstone_and_a_stray_one():
    scenario = Scenario()
    items = list(scenario.items)
    d = scenario.index("d", 7)
    assert items[d + 1] == (7, None)
    del items[d + 1]
    items.insert(0, (4, None))
    result = scenario.verify(items)
    problems = "\n".join(result.problems)
    assert "key 7: delete" in problems and "not followed by a tombstone" in problems, result.report()
    assert "key 4: tombstone" in problems


def test_detects_an_unknown_event_and_a_wrong_value():
    scenario = Scenario()
    items = list(scenario.items)
    items.append((3, envelope("u", row(3, 10), row(3, 99), txid=2000, lsn=99999)))
    i = scenario.index("c", 8)
    bad = dict(scenario.change(7).row, amount=decimal.Decimal("0.01"))
    items[i] = (8, envelope("c", None, bad, txid=1003, lsn=5070))
    result = scenario.verify(items)
    assert "unknown" in kinds(result), result.report()
    assert any("key 8" in p and "amount" in p for p in result.problems if p.startswith("[image]")), result.report()


def test_detects_a_wrong_before_image():
    scenario = Scenario()
    items = list(scenario.items)
    i = scenario.index("u", 1)
    items[i] = (1, envelope("u", row(1, 0), scenario.change(5).row, txid=1002, lsn=5050))  # before: v1
    result = scenario.verify(items)
    assert any(p.startswith("[image]") and "before" in p for p in result.problems), result.report()


def test_detects_envelope_problems():
    scenario = Scenario()
    items = list(scenario.items)
    i = scenario.index("c", 8)
    value = envelope("c", None, scenario.change(7).row, txid=1003, lsn=5070)
    value["source"]["connector"] = "mysql"
    value = {"op": value["op"], **{k: v for k, v in value.items() if k != "op"}}  # op first: wrong order
    items[i] = (8, value)
    j = scenario.index("u", 3, 1)
    value = envelope("u", scenario.change(4).row, scenario.change(9).row, txid=None, lsn=5090)
    items[j] = (3, value)
    result = scenario.verify(items)
    problems = "\n".join(result.problems)
    assert "source.connector" in problems, result.report()
    assert "field order" in problems
    assert "source.txId = None" in problems


def test_detects_transaction_id_mixups():
    scenario = Scenario()
    items = list(scenario.items)
    j = scenario.index("u", 1)  # txn 2 with txid 1002; give it txn 3's id
    items[j] = (1, envelope("u", scenario.change(1).row, scenario.change(5).row, txid=1003, lsn=5050))
    result = scenario.verify(items)
    assert "source" in kinds(result), result.report()


def test_detects_wrong_partitioning():
    scenario = Scenario()
    records = scenario.records()
    moved = [r._replace(partition=(r.partition + 1) % PARTITIONS, offset=r.offset + 100)
             if r.key == key_bytes(3) else r for r in records]
    events = decode_records(moved, ITEMS_FIELD_SCHEMAS)
    result = verify_exactly_once(events, scenario.log, scenario.initial, scenario.final(),
                                 topic_prefix=PREFIX, partitions=PARTITIONS)
    assert "partitioning" in kinds(result), result.report()


def test_no_streaming_is_reported():
    scenario = Scenario()
    items = [item for item in scenario.items if item[1] is not None and item[1]["op"] == "r"]
    result = scenario.verify(items, final=apply_changes(scenario.initial, scenario.log, before_seq=4))
    assert any("no streamed" in p for p in result.problems), result.report()


def test_decimal_encoding_matches_debezium_examples():
    assert encode_decimal("123.45", 2) == "MDk="
    assert encode_decimal("-1.00", 2) == "nA=="
    assert decode_decimal("MDk=", 2) == decimal.Decimal("123.45")
    assert decode_decimal("nA==", 2) == decimal.Decimal("-1.00")
    for text in ("0.00", "1.28", "-1.28", "-1.29", "99999999.99", "-99999999.99", "0.01"):
        assert decode_decimal(encode_decimal(text, 2), 2) == decimal.Decimal(text)
    assert base64.b64decode(encode_decimal("1.27", 2)) == b"\x7f"
    assert base64.b64decode(encode_decimal("1.28", 2)) == b"\x00\x80"


def test_decode_value_logical_types():
    decode = verifier.decode_value
    assert decode({"type": "int32", "name": "io.debezium.time.Date"}, 19723) == datetime.date(2024, 1, 1)
    assert decode({"type": "string", "name": "io.debezium.time.ZonedTimestamp"},
                  "2020-09-27T13:37:24.058468Z") == datetime.datetime(2020, 9, 27, 13, 37, 24, 58468,
                                                                      tzinfo=datetime.timezone.utc)
    assert decode({"type": "int64", "name": "io.debezium.time.MicroTimestamp"}, 1_000_001) == \
        datetime.datetime(1970, 1, 1, 0, 0, 1, 1)
    assert decode({"type": "struct", "name": verifier.VARIABLE_DECIMAL},
                  {"scale": 3, "value": encode_decimal("1.234", 3)}) == decimal.Decimal("1.234")
    assert decode({"type": "bytes"}, "AQI=") == b"\x01\x02"
    assert decode({"type": "string"}, verifier.UNAVAILABLE) == verifier.UNAVAILABLE
    # Wrong encodings decode to values that differ from everything (and say why).
    wrong = decode({"type": "bytes", "name": verifier.DECIMAL, "parameters": {"scale": "2"}}, "123.45")
    assert isinstance(wrong, verifier.Undecodable) and wrong != decimal.Decimal("123.45")
    wrong = decode({"type": "string", "name": "io.debezium.time.ZonedTimestamp"}, "2024-01-01 00:00:01+00")
    assert isinstance(wrong, verifier.Undecodable) and "ISO-8601" in repr(wrong)


def test_murmur2_matches_kafka():
    # Vectors from Kafka's UtilsTest.testMurmur2 (Java ints).
    cases = {b"21": -973932308, b"foobar": -790332482, b"a-little-bit-long-string": -985981536,
             b"a-little-bit-longer-string": -1486304829,
             b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8": -58897971, b"abc": 479470107}
    for data, expected in cases.items():
        assert murmur2(data) == expected & 0xFFFFFFFF, data


# ---- several snapshot attempts (a kill during the snapshot retakes it on a new slot) -----------------
# The scenario's log: seq 1 u1, 2 c7 (txn 0); 3 d2 (txn 1); 4 u3, 5 u1 (txn 2, streamed from S* = 4);
# 6 d7, 7 c8 (txn 3); 8 c2, 9 u3 (txn 4). Attempts are told apart by source.lsn (the consistent point).

LAST_LSN = 300


def with_lsn(value, lsn):
    value = json.loads(json.dumps(value))
    verifier.unwrap(value)[1]["source"]["lsn"] = lsn
    return value


def attempt_items(scenario, lsn, boundary, keys, state=None):
    """r items of an (interrupted) attempt at `boundary` (changes with seq < boundary applied)."""
    state = state or apply_changes(scenario.initial, scenario.log, before_seq=boundary)
    present = [k for k in keys if k in state]
    return [(k, envelope("r", None, state[k], snapshot="first" if i == 0 else "true", lsn=lsn,
                         schemas=scenario.schemas))
            for i, k in enumerate(present)]


def multi_attempt_items(scenario, earlier):
    """Earlier attempts [(lsn, boundary, keys)], then the scenario's items with the last attempt's lsn."""
    items = []
    for lsn, boundary, keys in earlier:
        items += attempt_items(scenario, lsn, boundary, keys)
    for key, value in scenario.items:
        if value is not None and verifier.unwrap(value)[1]["op"] == "r":
            value = with_lsn(value, LAST_LSN)
        items.append((key, value))
    return items


EARLIER = [(100, 1, [1, 2, 3, 4]), (200, 3, [1, 2, 7, 5, 6])]


@pytest.mark.parametrize("schemas", [False, True])
def test_snapshot_attempts_clean_run_passes(schemas):
    scenario = Scenario(schemas=schemas)
    items = multi_attempt_items(scenario, EARLIER)
    result = scenario.verify(items, snapshot_attempts=True)
    assert result.ok, result.report()
    assert result.stats["snapshot_attempts"] == 3
    assert result.stats["earlier_snapshot_rows"] == 4 + 5
    assert result.stats["snapshot_rows"] == 6
    assert result.stats["streamed"] == 6
    assert result.stats["stale_snapshot_keys"] == 0
    # Without the option the repeated rows are duplicates.
    strict = scenario.verify(items)
    assert "duplicate" in kinds(strict), strict.report()


def test_snapshot_attempts_single_attempt_passes():
    scenario = Scenario()
    result = scenario.verify(snapshot_attempts=True)
    assert result.ok, result.report()
    assert result.stats["snapshot_attempts"] == 1


def test_snapshot_attempts_count_a_key_deleted_between_attempts_as_stale():
    # Key 2 is deleted at seq 3 (before S*) and never streamed if its re-insert (seq 8) is cut off.
    scenario = Scenario()
    scenario.log = scenario.log[:7]
    scenario.items = [(k, v) for k, v in scenario.items
                      if not (v is not None and verifier.unwrap(v)[1]["op"] != "r"
                              and verifier.unwrap(v)[1]["after"] is not None
                              and verifier.unwrap(v)[1]["after"]["version"] >= 8)]
    items = multi_attempt_items(scenario, [(100, 1, [2])])
    result = scenario.verify(items, snapshot_attempts=True)
    assert result.ok, result.report()
    assert result.stats["stale_snapshot_keys"] == 1


def test_snapshot_attempts_detect_a_planted_duplicate():
    scenario = Scenario()
    items = multi_attempt_items(scenario, EARLIER)
    items.append(items[[i for i, (k, v) in enumerate(items)
                        if k == 8 and v is not None and verifier.unwrap(v)[1]["op"] == "c"][0]])
    result = scenario.verify(items, snapshot_attempts=True)
    assert "duplicate" in kinds(result), result.report()
    assert result.stats["problems"]["duplicate"] == 1


def test_snapshot_attempts_detect_a_planted_loss():
    scenario = Scenario()
    items = multi_attempt_items(scenario, EARLIER)
    del items[[i for i, (k, v) in enumerate(items)
               if k == 1 and v is not None and verifier.unwrap(v)[1]["op"] == "u"][0]]  # seq 5
    result = scenario.verify(items, snapshot_attempts=True)
    assert "missing" in kinds(result), result.report()
    assert any("seq 5 " in p for p in result.problems), result.report()


def test_snapshot_attempts_detect_a_repeated_row_within_one_attempt():
    scenario = Scenario()
    items = multi_attempt_items(scenario, EARLIER)
    items.insert(0, attempt_items(scenario, 200, 3, [5])[0])
    result = scenario.verify(items, snapshot_attempts=True)
    assert "duplicate" in kinds(result), result.report()
    assert any("key 5" in p and "lsn 200" in p for p in result.problems), result.report()


def test_snapshot_attempts_detect_a_row_missing_from_the_last_attempt():
    scenario = Scenario()
    items = multi_attempt_items(scenario, EARLIER)
    del items[[i for i, (k, v) in enumerate(items)
               if k == 6 and v is not None and verifier.unwrap(v)[1]["source"]["lsn"] == LAST_LSN][0]]
    result = scenario.verify(items, snapshot_attempts=True)
    assert any("key 6: no snapshot row" in p for p in result.problems), result.report()


def test_snapshot_attempts_detect_an_inconsistent_earlier_attempt():
    scenario = Scenario()
    # Key 1 at version 0 (replaced at seq 1) with key 7 (created at seq 2): no single state.
    mixed = attempt_items(scenario, 100, 1, [1]) + attempt_items(scenario, 100, 3, [7])
    result = scenario.verify(mixed + multi_attempt_items(scenario, []), snapshot_attempts=True)
    assert any("not one consistent state" in p for p in result.problems), result.report()


def test_snapshot_attempts_detect_an_earlier_attempt_that_saw_streamed_changes():
    scenario = Scenario()
    items = multi_attempt_items(scenario, [(100, 5, [3])])  # key 3 at seq 4's version: after S*
    result = scenario.verify(items, snapshot_attempts=True)
    assert any("after streaming started" in p for p in result.problems), result.report()


def test_snapshot_attempts_detect_attempts_going_back_in_time():
    scenario = Scenario()
    items = multi_attempt_items(scenario, [(100, 3, [7]), (200, 1, [1])])
    result = scenario.verify(items, snapshot_attempts=True)
    assert any("older than the attempt" in p for p in result.problems), result.report()


def test_snapshot_attempts_detect_a_wrong_earlier_row_and_out_of_order_attempts():
    scenario = Scenario()
    items = multi_attempt_items(scenario, [(100, 1, [4])])
    items[0] = (4, envelope("r", None, row(4, 0, amount="9.99"), snapshot="first", lsn=100))
    late = attempt_items(scenario, 50, 1, [5])  # an older attempt's row after the newer ones
    result = scenario.verify(items[:1] + items[1:] + late, snapshot_attempts=True)
    assert any("key 4" in p and "amount" in p for p in result.problems), result.report()
    assert any("key 5" in p and "lsn 50 after" in p for p in result.problems), result.report()


# ---- MySQL / MariaDB envelopes (binlog source fields) --------------------------------------------------

MYSQL = ("mysql", "mariadb")


def to_mysql(item, connector="mysql", snapshot_point=("binlog.000001", 4)):
    """A PostgreSQL item of the scenario with Debezium's binlog `source` block instead: a streamed
    transaction txId T starts at binlog.000001 position 1000*T, its GTID is 0-1-T; snapshot rows carry
    `snapshot_point`."""
    key, value = item
    if value is None:
        return item
    value = json.loads(json.dumps(value))
    payload = verifier.unwrap(value)[1]
    pg = payload["source"]
    streamed = pg["txId"] is not None
    file, pos = ("binlog.000001", 1000 * pg["txId"]) if streamed else snapshot_point
    payload["source"] = {"version": "0.1.0", "connector": connector, "name": PREFIX, "ts_ms": pg["ts_ms"],
                         "snapshot": pg["snapshot"], "db": "shop", "sequence": None, "ts_us": None,
                         "ts_ns": None, "table": "items", "server_id": 1 if streamed else 0,
                         "gtid": f"0-1-{pg['txId']}" if streamed else None, "file": file, "pos": pos,
                         "row": 0, "thread": None, "query": None}
    return key, value


def test_mysql_clean_run_passes_for_either_connector_name():
    scenario = Scenario()
    for connector in MYSQL:
        items = [to_mysql(item, connector) for item in scenario.items]
        result = scenario.verify(items, connector=MYSQL, schema=None)
        assert result.ok, result.report()
        assert result.stats["streamed"] == 6 and result.stats["snapshot_rows"] == 6


def test_mysql_detects_postgres_fields_wrong_connector_and_bad_positions():
    scenario = Scenario()
    items = [to_mysql(item) for item in scenario.items]
    i = scenario.index("c", 8)
    items[i] = scenario.items[i]  # the PostgreSQL source block
    j = scenario.index("u", 3, 1)
    verifier.unwrap(items[j][1])[1]["source"]["pos"] = None
    result = scenario.verify(items, connector="mariadb", schema=None)
    problems = "\n".join(result.problems)
    assert "source.connector = 'mysql', expected 'mariadb'" in problems, result.report()
    assert "with PostgreSQL fields" in problems
    assert "source.pos = None" in problems


def test_mysql_detects_transaction_and_order_mixups():
    scenario = Scenario()
    items = [to_mysql(item) for item in scenario.items]
    j = scenario.index("u", 1)  # txn 2 (pos 2000): give it txn 3's start
    verifier.unwrap(items[j][1])[1]["source"]["pos"] = 3000
    result = scenario.verify(items, connector=MYSQL, schema=None)
    assert any("several source (file, pos, gtid)" in p for p in result.problems), result.report()
    assert any("source file/pos" in p for p in result.problems), result.report()


def test_mysql_snapshot_attempts_are_told_apart_by_binlog_point():
    scenario = Scenario()
    # An earlier attempt at an older binlog point holding the initial rows 1..3, then the real one.
    earlier = [(k, envelope("r", None, scenario.initial[k], snapshot="first" if k == 1 else "true"))
               for k in (1, 2, 3)]
    items = [to_mysql(item, snapshot_point=("binlog.000001", 100)) for item in earlier]
    items += [to_mysql(item, snapshot_point=("binlog.000001", 900)) for item in scenario.items]
    result = scenario.verify(items, connector=MYSQL, schema=None, snapshot_attempts=True)
    assert result.ok, result.report()
    assert result.stats["snapshot_attempts"] == 2 and result.stats["earlier_snapshot_rows"] == 3
    # Without attempts, the same rows are duplicates.
    assert "duplicate" in kinds(scenario.verify(items, connector=MYSQL, schema=None))


def test_a_boolean_is_not_the_integer_one():
    # MySQL's BOOLEAN is TINYINT(1): the envelope must carry 0/1, and a JSON true must not pass as 1.
    assert verifier.row_diff({"flag": 1}, {"flag": True})
    assert verifier.row_diff({"flag": False}, {"flag": 0})
    assert not verifier.row_diff({"flag": 1}, {"flag": 1})
    assert not verifier.row_diff({"flag": True}, {"flag": True})
