"""Decoding of Debezium JSON records and the exactly-once check. Pure functions, no I/O.

The check (see `verify_exactly_once`), for one table whose every change sets `version` to a new,
increasing workload sequence number `seq` (delete: identified by the deleted row's version):

1. S* = the smallest workload seq of any streamed (c/u/d) event. The streamed events, matched to the
   workload log by (key, op, version), are exactly the log entries with seq >= S*: none missing,
   none twice, none unknown; their row images equal what the workload wrote.
2. Per key, in partition order: at most one snapshot `r`, before any streamed event; streamed
   events in increasing seq; a tombstone right after each delete (and nowhere else).
3. The snapshot holds exactly the rows that existed before S* (initial rows + log entries < S*),
   each at that version and with those values; `first` and `last` markers appear once each.
4. Replaying r, then c/u/d, per key gives the table's final content (all columns).
5. Every envelope has Debezium's fields, in Debezium's order, with consistent source metadata.

With `snapshot_attempts=True` (a daemon killed during its initial snapshot takes it again from the
start on restart, on a new slot), the `r` events are grouped into attempts by `source.lsn` (the
slot's consistent point; a later attempt has a higher one). Checks 2-4 then read:

2'. Per key: `r` events before any streamed event, at most one per attempt, attempts in order.
3'. The LAST attempt holds exactly the rows that existed before S*, with `first`/`last` once each.
    Each earlier attempt (possibly partial, as it was cut off) holds rows of one consistent state:
    some boundary B (changes with seq < B applied) such that every row it emitted is that key's
    row at B, and the attempts' boundaries do not decrease up to S*. A key deleted between two
    attempts keeps the earlier attempt's `r` and gets no delete (counted in stats as
    `stale_snapshot_keys`, not a problem: that is the documented behaviour).
4'. Replaying the last attempt's `r`, then c/u/d, per key gives the table's final content.

MySQL/MariaDB pipelines (`connector="mysql"` or `"mariadb"`, or a tuple of the accepted names):
the `source` block carries Debezium's binlog fields (`table`, `server_id`, `gtid`, `file`, `pos`,
`row`; no `schema`, `txId`, `lsn`) and the topic is `<prefix>.<database>.<table>`. A source
transaction is identified by (`file`, `pos` of its first event, `gtid`) instead of `txId`, commit
order is (`file`, `pos`) order instead of `lsn`, and snapshot attempts are told apart by the binlog
point (`file`, `pos`) their `r` events carry. Values compare with their Python types: a BOOLEAN
column (TINYINT(1) on MySQL) must arrive as the integer 0/1, never as a JSON boolean.
"""

import base64
import binascii
import collections
import dataclasses
import datetime
import decimal
import json
import re

UNAVAILABLE = "__debezium_unavailable_value"
ENVELOPE_ORDER = ("before", "after", "source", "transaction", "op", "ts_ms", "ts_us", "ts_ns")
ENVELOPE_REQUIRED = ("before", "after", "source", "op", "ts_ms")
SNAPSHOT_MARKERS = ("first", "first_in_data_collection", "true", "last_in_data_collection", "last")

DECIMAL = "org.apache.kafka.connect.data.Decimal"
VARIABLE_DECIMAL = "io.debezium.data.VariableScaleDecimal"
_EPOCH_DATE = datetime.date(1970, 1, 1)
_EPOCH = datetime.datetime(1970, 1, 1)

# Connect schema nodes for the `items` columns, to decode payloads written with `schemas: false`.
ITEMS_FIELD_SCHEMAS = {
    "amount": {"type": "bytes", "name": DECIMAL, "parameters": {"scale": "2"}},
    "updated_at": {"type": "string", "name": "io.debezium.time.ZonedTimestamp"},
}


# ---- decoding ----------------------------------------------------------------------------------------

@dataclasses.dataclass
class Event:
    """One Kafka record, decoded. `before`/`after` hold Python values (Decimal, datetime, ...)."""
    topic: str
    partition: int
    offset: int
    key: object          # key payload (dict) or None for a null key
    key_raw: bytes
    tombstone: bool      # null value
    op: str = None
    before: dict = None
    after: dict = None
    source: dict = None
    payload: dict = None       # the envelope as sent (before decoding the row images)
    value_schema: dict = None  # the `schema` part when `schemas: true`
    key_schema: dict = None
    headers: tuple = ()

    @property
    def where(self):
        return f"{self.topic}[{self.partition}]@{self.offset}"

    @property
    def snapshot(self):
        return (self.source or {}).get("snapshot")


def _load(raw):
    if raw is None:
        return None
    if isinstance(raw, (bytes, bytearray, memoryview)):
        raw = bytes(raw).decode("utf-8")
    return json.loads(raw)


def unwrap(document):
    """(schema, payload) of a JsonConverter document; (None, document) when it has no schema part."""
    if isinstance(document, dict) and set(document) == {"schema", "payload"}:
        return document["schema"], document["payload"]
    return None, document


class Undecodable:
    """A value that does not follow its schema's encoding; equal to nothing, shown in diffs."""

    def __init__(self, raw, reason):
        self.raw, self.reason = raw, reason

    def __eq__(self, other):
        return False

    __hash__ = None

    def __repr__(self):
        return f"<undecodable {self.raw!r}: {self.reason}>"


_ZONED_TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z")


def decode_value(schema, value):
    """A Connect JSON value as a Python value, following its schema node (logical types included).

    A value that does not match its schema's encoding becomes an Undecodable (so it shows up as a
    difference instead of raising).
    """
    if value is None or schema is None:
        return value
    try:
        return _decode_value(schema, value)
    except (ValueError, TypeError, KeyError, AttributeError, binascii.Error) as e:
        return Undecodable(value, f"not a valid {schema.get('name') or schema.get('type')}: {e}")


def _decode_value(schema, value):
    name = schema.get("name")
    kind = schema.get("type")
    if isinstance(value, str) and value == UNAVAILABLE:
        return UNAVAILABLE
    if name == DECIMAL:
        scale = int((schema.get("parameters") or {}).get("scale", 0))
        return decode_decimal(value, scale)
    if name == VARIABLE_DECIMAL:
        return decode_decimal(value["value"], int(value["scale"]))
    if name == "io.debezium.time.ZonedTimestamp":
        if not _ZONED_TIMESTAMP.fullmatch(value):
            raise ValueError("expected ISO-8601 UTC like 2020-09-27T13:37:24.058468Z")
        return parse_zoned_timestamp(value)
    if name in ("io.debezium.time.Date", "org.apache.kafka.connect.data.Date"):
        return _EPOCH_DATE + datetime.timedelta(days=value)
    if name == "io.debezium.time.Timestamp":
        return _EPOCH + datetime.timedelta(milliseconds=value)
    if name == "io.debezium.time.MicroTimestamp":
        return _EPOCH + datetime.timedelta(microseconds=value)
    if name == "io.debezium.time.Time":
        return (_EPOCH + datetime.timedelta(milliseconds=value)).time()
    if name == "io.debezium.time.MicroTime":
        return (_EPOCH + datetime.timedelta(microseconds=value)).time()
    if kind == "bytes":
        return base64.b64decode(value)
    if kind == "struct" and isinstance(value, dict):
        return decode_struct(schema, value)
    if kind == "array" and isinstance(value, list):
        return [decode_value(schema.get("items"), item) for item in value]
    return value


def decode_struct(schema, payload, field_schemas=None):
    """A struct payload as {field: Python value}; `field_schemas` fills in when there is no schema."""
    if payload is None:
        return None
    fields = {}
    if schema is not None:
        fields = {f["field"]: f for f in schema.get("fields", [])}
    elif field_schemas:
        fields = field_schemas
    return {name: decode_value(fields.get(name), value) for name, value in payload.items()}


def decode_decimal(text, scale):
    """Debezium Decimal: base64 of the two's-complement big-endian unscaled integer."""
    raw = base64.b64decode(text, validate=True)
    unscaled = int.from_bytes(raw, "big", signed=True) if raw else 0
    return decimal.Decimal(unscaled).scaleb(-scale)


def encode_decimal(value, scale):
    """The inverse of decode_decimal (minimal two's-complement bytes), for tests and fixtures."""
    unscaled = int(decimal.Decimal(value).scaleb(scale).to_integral_exact())
    length = max(1, (unscaled + (unscaled < 0)).bit_length() // 8 + 1)
    return base64.b64encode(unscaled.to_bytes(length, "big", signed=True)).decode()


def parse_zoned_timestamp(text):
    """ISO-8601 with zone ("2020-09-27T13:37:24.058468Z") as an aware datetime."""
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    return datetime.datetime.fromisoformat(text)


def _field_schema(envelope_schema, name):
    for field in (envelope_schema or {}).get("fields", []):
        if field.get("field") == name:
            return field
    return None


def decode_record(record, field_schemas=None):
    """Decodes a Kafka record (anything with topic/partition/offset/key/value/headers) to an Event.

    `field_schemas` ({column: Connect schema node}) decodes row images written without schemas.
    """
    key_schema, key = unwrap(_load(record.key))
    event = Event(topic=record.topic, partition=record.partition, offset=record.offset, key=key,
                  key_raw=bytes(record.key) if record.key is not None else None,
                  tombstone=record.value is None, key_schema=key_schema,
                  headers=tuple(getattr(record, "headers", ()) or ()))
    if event.tombstone:
        return event
    value_schema, payload = unwrap(_load(record.value))
    event.value_schema = value_schema
    event.payload = payload
    if not isinstance(payload, dict):
        return event
    event.op = payload.get("op")
    event.source = payload.get("source")
    for side in ("before", "after"):
        image = payload.get(side)
        if isinstance(image, dict):
            image = decode_struct(_field_schema(value_schema, side), image, field_schemas)
        setattr(event, side, image)
    return event


def decode_records(records, field_schemas=None):
    return [decode_record(r, field_schemas) for r in records]


# ---- comparisons -------------------------------------------------------------------------------------

def normalize(value):
    """A form in which a database value (psycopg2, PyMySQL) and a decoded envelope value compare
    equal. A bool stays apart from the integers 0/1 (Python's True == 1): a boolean column must
    arrive as a JSON boolean, MySQL's TINYINT(1) as an integer."""
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, memoryview):
        return bytes(value)
    if isinstance(value, datetime.datetime) and value.tzinfo is not None:
        return value.astimezone(datetime.timezone.utc)
    return value


def row_diff(expected, actual, columns=None):
    """[(column, expected, actual)] where the rows differ (missing columns compare as absent)."""
    if expected is None or actual is None:
        return [] if expected is actual else [("<row>", expected, actual)]
    names = columns or list(expected) + [name for name in actual if name not in expected]
    missing = object()
    diffs = []
    for name in names:
        e, a = expected.get(name, missing), actual.get(name, missing)
        if e is missing or a is missing or normalize(e) != normalize(a):
            diffs.append((name, None if e is missing else e, "<absent>" if a is missing else a))
    return diffs


def _fmt_diff(diffs, limit=4):
    return ", ".join(f"{c}: expected {e!r} got {a!r}" for c, e, a in diffs[:limit])


def murmur2(data):
    """Kafka's murmur2 (Java client, seed 0x9747b28c) as an unsigned 32-bit int."""
    m, mask = 0x5BD1E995, 0xFFFFFFFF
    length = len(data)
    h = (0x9747B28C ^ length) & mask
    for i in range(0, length - length % 4, 4):
        k = data[i] | data[i + 1] << 8 | data[i + 2] << 16 | data[i + 3] << 24
        k = (k * m) & mask
        k ^= k >> 24
        k = (k * m) & mask
        h = ((h * m) & mask) ^ k
    tail, rest = length % 4, length - length % 4
    if tail == 3:
        h ^= data[rest + 2] << 16
    if tail >= 2:
        h ^= data[rest + 1] << 8
    if tail >= 1:
        h ^= data[rest]
        h = (h * m) & mask
    h ^= h >> 13
    h = (h * m) & mask
    h ^= h >> 15
    return h


def default_partition(key_bytes, partitions):
    """The partition Kafka's default partitioner picks for a non-null key."""
    return (murmur2(key_bytes) & 0x7FFFFFFF) % partitions


# ---- envelope checks ---------------------------------------------------------------------------------

BINLOG_CONNECTORS = ("mysql", "mariadb")


def _connectors(connector):
    return tuple(connector) if isinstance(connector, (tuple, list, set, frozenset)) else (connector,)


def is_binlog(connector):
    """Whether `connector` (a name or a tuple of accepted names) is MySQL's or MariaDB's."""
    return any(name in BINLOG_CONNECTORS for name in _connectors(connector))


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _check_binlog_source(where, op, source):
    """Debezium's binlog `source` fields (BinlogSourceInfoStructMaker)."""
    problems = []
    if "schema" in source or "txId" in source or "lsn" in source:
        problems.append(f"{where}: a MySQL source block with PostgreSQL fields: {sorted(source)}")
    if not isinstance(source.get("file"), str) or (op != "r" and not source.get("file")):
        problems.append(f"{where}: source.file = {source.get('file')!r}, expected a binlog file name")
    if not _is_int(source.get("pos")) or (op != "r" and source.get("pos") < 4):
        problems.append(f"{where}: source.pos = {source.get('pos')!r}, expected a binlog offset")
    if not _is_int(source.get("row")) or source.get("row") < 0:
        problems.append(f"{where}: source.row = {source.get('row')!r}, expected an index >= 0")
    if not _is_int(source.get("server_id")):
        problems.append(f"{where}: source.server_id = {source.get('server_id')!r}, expected an integer")
    if source.get("gtid") is not None and not isinstance(source.get("gtid"), str):
        problems.append(f"{where}: source.gtid = {source.get('gtid')!r}, expected a string or null")
    if source.get("sequence") is not None:
        problems.append(f"{where}: source.sequence = {source.get('sequence')!r}, expected null")
    return problems


def check_envelope(event, *, connector="postgresql", topic_prefix=None, schema=None, table=None,
                   database=None, schemas=None):
    """Problems with one non-tombstone event's envelope (fields, order, source metadata)."""
    problems = []
    where = event.where
    payload = event.payload
    binlog = is_binlog(connector)
    if binlog:
        schema = None  # MySQL has databases, no schemas: <prefix>.<database>.<table>
    if not isinstance(payload, dict):
        return [f"{where}: value is not a JSON object envelope: {payload!r:.200}"]
    if schemas is True and event.value_schema is None:
        problems.append(f"{where}: envelope.schemas is on but the value has no schema part")
    if schemas is False and event.value_schema is not None:
        problems.append(f"{where}: envelope.schemas is off but the value has a schema part")
    if schemas and event.value_schema is not None and topic_prefix and (schema or database) and table:
        expected_name = f"{topic_prefix}.{schema or database}.{table}.Envelope"
        if event.value_schema.get("name") != expected_name:
            problems.append(f"{where}: value schema name {event.value_schema.get('name')!r}, "
                            f"expected {expected_name!r}")
    missing = [f for f in ENVELOPE_REQUIRED if f not in payload]
    if missing:
        problems.append(f"{where}: envelope lacks {missing}")
    order = [f for f in payload if f in ENVELOPE_ORDER]
    if order != sorted(order, key=ENVELOPE_ORDER.index):
        problems.append(f"{where}: envelope field order {order}, expected the order {list(ENVELOPE_ORDER)}")
    op = payload.get("op")
    if op not in ("c", "u", "d", "r", "t"):
        problems.append(f"{where}: op {op!r}")
    if not isinstance(payload.get("ts_ms"), int) or payload.get("ts_ms", 0) <= 0:
        problems.append(f"{where}: ts_ms {payload.get('ts_ms')!r} is not a positive integer")
    shape = {"c": (False, True), "r": (False, True), "u": (None, True), "d": (True, False), "t": (False, False)}
    if op in shape:
        want_before, want_after = shape[op]
        if want_before is not None and (payload.get("before") is not None) != want_before:
            problems.append(f"{where}: op {op} with before={payload.get('before')!r:.120}")
        if (payload.get("after") is not None) != want_after:
            problems.append(f"{where}: op {op} with after={payload.get('after')!r:.120}")
    source = payload.get("source")
    if not isinstance(source, dict):
        return problems + [f"{where}: source is {source!r:.120}"]
    if connector is not None and source.get("connector") not in _connectors(connector):
        expected = " or ".join(repr(name) for name in _connectors(connector))
        problems.append(f"{where}: source.connector = {source.get('connector')!r}, expected {expected}")
    expect = {"name": topic_prefix, "schema": schema, "table": table, "db": database}
    for field, value in expect.items():
        if value is not None and source.get(field) != value:
            problems.append(f"{where}: source.{field} = {source.get(field)!r}, expected {value!r}")
    snapshot = source.get("snapshot")
    if op == "r":
        if snapshot not in SNAPSHOT_MARKERS:
            problems.append(f"{where}: snapshot read with source.snapshot={snapshot!r}")
    elif snapshot != "false":
        problems.append(f"{where}: op {op} with source.snapshot={snapshot!r}, expected \"false\"")
    if not isinstance(source.get("ts_ms"), int):
        problems.append(f"{where}: source.ts_ms {source.get('ts_ms')!r}")
    if binlog:
        return problems + _check_binlog_source(where, op, source)
    if op in ("c", "u", "d", "t"):
        for field in ("txId", "lsn"):
            if not isinstance(source.get(field), int) or isinstance(source.get(field), bool):
                problems.append(f"{where}: source.{field} = {source.get(field)!r}, expected an integer")
    return problems


# ---- the exactly-once check --------------------------------------------------------------------------

@dataclasses.dataclass
class VerifyResult:
    problems: list
    stats: dict

    @property
    def ok(self):
        return not self.problems

    def report(self, limit=40):
        lines = [f"{len(self.problems)} problem(s); stats: {self.stats}"]
        lines += [f"  - {p}" for p in self.problems[:limit]]
        if len(self.problems) > limit:
            lines.append(f"  ... and {len(self.problems) - limit} more")
        return "\n".join(lines)

    def raise_if_failed(self, limit=40):
        if self.problems:
            raise AssertionError("exactly-once verification failed: " + self.report(limit))


class _Problems(list):
    """Caps each kind of problem so one systematic fault does not print 100,000 lines."""

    def __init__(self, per_kind=25):
        super().__init__()
        self.per_kind = per_kind
        self.counts = collections.Counter()

    def add(self, kind, text):
        self.counts[kind] += 1
        if self.counts[kind] <= self.per_kind:
            self.append(f"[{kind}] {text}")
        elif self.counts[kind] == self.per_kind + 1:
            self.append(f"[{kind}] (further {kind} problems not listed)")

    def summary(self):
        return dict(self.counts)


def apply_changes(initial_rows, changes, before_seq=None):
    """The table content after the changes with seq < before_seq (all when None)."""
    state = {key: dict(row) for key, row in initial_rows.items()}
    for change in changes:
        if before_seq is not None and change.seq >= before_seq:
            break
        if change.op == "d":
            state.pop(change.key, None)
        else:
            state[change.key] = change.row
    return state


def verify_exactly_once(events, log, initial_rows, final_rows=None, *, key_column="id",
                        version_column="version", connector="postgresql", topic_prefix=None,
                        schema="public", table="items", database=None, schemas=None,
                        tombstones=True, check_snapshot_markers=True, require_streaming=True,
                        full_before_image=True, partitions=None, columns=None,
                        snapshot_attempts=False):
    """Checks the events of one table topic against the workload log. Returns a VerifyResult.

    events: decoded Events of the topic (any order; per-partition offset order is what counts).
    log: workload Changes in seq order. initial_rows / final_rows: {key: row} before the workload
    and at the end (final_rows None skips check 4). partitions: the topic's partition count (checks
    Kafka's default murmur2 partitioning of keys). columns: the columns to compare (default all).
    snapshot_attempts: accept several snapshot attempts told apart by `source.lsn` (see the module
    docstring, checks 2'-4'); stats then has `snapshot_attempts`, `earlier_snapshot_rows` and
    `stale_snapshot_keys`. connector "mysql"/"mariadb" (or a tuple of both): MySQL envelopes (pass
    schema=None; see the module docstring).
    """
    problems = _Problems()
    events = sorted(events, key=lambda e: (e.partition, e.offset))
    log = sorted(log, key=lambda c: c.seq)
    stats = collections.Counter()  # events per op; summary numbers are added below

    # 5. envelopes; group per key in partition order.
    per_key = collections.defaultdict(list)
    key_partition = {}
    for event in events:
        stats["tombstones" if event.tombstone else f"op_{event.op}"] += 1
        if not event.tombstone:
            for p in check_envelope(event, connector=connector, topic_prefix=topic_prefix,
                                    schema=schema, table=table, database=database, schemas=schemas):
                problems.add("envelope", p)
        if not isinstance(event.key, dict) or key_column not in event.key:
            problems.add("key", f"{event.where}: key {event.key!r} lacks {key_column!r}")
            continue
        key = event.key[key_column]
        image = event.after if event.after is not None else event.before
        if not event.tombstone and isinstance(image, dict) and image.get(key_column) != key:
            problems.add("key", f"{event.where}: key {key} but row {key_column}={image.get(key_column)!r}")
        if key_partition.setdefault(key, event.partition) != event.partition:
            problems.add("partitioning", f"key {key} in partitions {key_partition[key]} and {event.where}")
        if partitions and event.key_raw is not None:
            expected = default_partition(event.key_raw, partitions)
            if expected != event.partition:
                problems.add("partitioning", f"{event.where}: key {event.key_raw!r} belongs in partition "
                             f"{expected} of {partitions} (murmur2)")
        per_key[key].append(event)

    by_identity = {(c.key, c.op, c.version): c for c in log}
    seen = {}            # seq -> event
    snapshot_events = {}  # key -> r event (with snapshot_attempts: of the last attempt)
    binlog = is_binlog(connector)
    if binlog:
        schema = None

    def attempt_of(event):
        return _snapshot_attempt(event, binlog)

    attempts = sorted({attempt_of(e) for e in events if not e.tombstone and e.op == "r"},
                      key=_attempt_order) if snapshot_attempts else []
    last_attempt = attempts[-1] if attempts else None
    earlier_snapshot = collections.defaultdict(list)  # attempt -> [r event] (not the last attempt)
    streamed = collections.defaultdict(list)  # key -> [(change, event)] in partition order

    for key, sequence in per_key.items():
        # 2. tombstones: right after each delete, nowhere else.
        for i, event in enumerate(sequence):
            if event.tombstone:
                if i == 0 or sequence[i - 1].op != "d" or sequence[i - 1].tombstone:
                    problems.add("tombstone", f"key {key}: tombstone {event.where} not preceded by a delete")
            elif event.op == "d" and tombstones:
                if i + 1 >= len(sequence) or not sequence[i + 1].tombstone:
                    problems.add("tombstone", f"key {key}: delete {event.where} not followed by a tombstone")
        data = [e for e in sequence if not e.tombstone]
        # 2. at most one r, before every streamed event.
        key_attempts = {}  # attempt -> r event of this key
        for i, event in enumerate(data):
            if event.op == "r" and snapshot_attempts:
                attempt = attempt_of(event)
                if attempt in key_attempts:
                    problems.add("duplicate", f"key {key}: second snapshot row {event.where} of the "
                                 f"attempt at {_attempt_name(attempt)} (first {key_attempts[attempt].where})")
                    continue
                later = [a for a in key_attempts if _attempt_order(a) > _attempt_order(attempt)]
                if later:
                    problems.add("order", f"key {key}: snapshot row {event.where} of the attempt at "
                                 f"{_attempt_name(attempt)} after the row of the later attempt at "
                                 f"{_attempt_name(later[0])}")
                key_attempts[attempt] = event
                if any(e.op != "r" for e in data[:i]):
                    problems.add("order", f"key {key}: snapshot row {event.where} after streamed events")
                if attempt == last_attempt:
                    snapshot_events[key] = event
                else:
                    earlier_snapshot[attempt].append((key, event))
                continue
            if event.op == "r":
                if key in snapshot_events:
                    problems.add("duplicate", f"key {key}: second snapshot row {event.where} "
                                 f"(first {snapshot_events[key].where})")
                    continue
                snapshot_events[key] = event
                if any(e.op != "r" for e in data[:i]):
                    problems.add("order", f"key {key}: snapshot row {event.where} after streamed events")
                continue
            if event.op not in ("c", "u", "d"):
                problems.add("unknown", f"key {key}: unexpected op {event.op!r} at {event.where}")
                continue
            # 1. map to the workload log by (key, op, version).
            image = event.before if event.op == "d" else event.after
            version = image.get(version_column) if isinstance(image, dict) else None
            change = by_identity.get((key, event.op, version))
            if change is None:
                problems.add("unknown", f"key {key}: {event.op} version {version!r} at {event.where} "
                             "matches no workload change")
                continue
            if change.seq in seen:
                problems.add("duplicate", f"seq {change.seq} (key {key} {event.op} version {version}) "
                             f"at {seen[change.seq].where} and again at {event.where}")
                continue
            seen[change.seq] = event
            streamed[key].append((change, event))

    # 1. exactly the log entries from S* on.
    if seen:
        s_star = min(seen)
    else:
        s_star = (log[-1].seq + 1) if log else 1
        if require_streaming and log:
            problems.add("missing", "no streamed (c/u/d) event at all")
    missing = [c for c in log if c.seq >= s_star and c.seq not in seen]
    for change in missing:
        problems.add("missing", f"seq {change.seq} (txn {change.txn}, key {change.key}, {change.op}, "
                     f"version {change.version}) never arrived")
    stats = dict(stats, s_star=s_star, streamed=len(seen), missing=len(missing),
                 expected_streamed=sum(1 for c in log if c.seq >= s_star), snapshot_rows=len(snapshot_events))

    # 2. per key, increasing seq; 1. the images equal what was written.
    expected_before = {}
    state = {key: dict(row) for key, row in initial_rows.items()}
    for change in log:
        expected_before[change.seq] = state.get(change.key)
        if change.op == "d":
            state.pop(change.key, None)
        else:
            state[change.key] = change.row
    for key, pairs in streamed.items():
        for (prev, prev_event), (change, event) in zip(pairs, pairs[1:]):
            if change.seq <= prev.seq:
                problems.add("order", f"key {key}: seq {change.seq} ({event.where}) after seq {prev.seq} "
                             f"({prev_event.where})")
        for change, event in pairs:
            if event.op in ("c", "u"):
                diffs = row_diff(change.row, event.after, columns)
                if diffs:
                    problems.add("image", f"key {key} seq {change.seq} {event.op} at {event.where}: after "
                                 f"differs: {_fmt_diff(diffs)}")
            if full_before_image and event.op in ("u", "d"):
                diffs = row_diff(expected_before[change.seq], event.before, columns)
                if diffs:
                    problems.add("image", f"key {key} seq {change.seq} {event.op} at {event.where}: before "
                                 f"differs: {_fmt_diff(diffs)}")

    # 5. source metadata is consistent: one txId per source transaction, LSNs follow commit order
    # (MySQL: the transaction's binlog file/pos/GTID, and file/pos order).
    by_seq = sorted(((change.seq, change, event) for pairs in streamed.values() for change, event in pairs),
                    key=lambda item: item[0])
    txids = collections.defaultdict(set)
    for _, change, event in by_seq:
        txids[change.txn].add(_transaction_identity(event.source or {}, binlog))
    owner = {}
    txid_name = "source (file, pos, gtid)" if binlog else "source.txId"
    for txn, ids in txids.items():
        if len(ids) != 1:
            problems.add("source", f"workload txn {txn}: events carry several {txid_name} {sorted(map(str, ids))}")
        for txid in ids:
            if owner.setdefault(txid, txn) != txn:
                problems.add("source", f"{txid_name} {txid} on workload txns {owner[txid]} and {txn}")
    last_lsn, last_where = None, None
    for seq, change, event in by_seq:
        lsn = _commit_order(event.source or {}, binlog)
        if lsn is not None and last_lsn is not None and lsn < last_lsn:
            what = "source file/pos" if binlog else "source.lsn"
            problems.add("source", f"seq {seq} at {event.where}: {what} {lsn} < {last_lsn} of an "
                         f"earlier change ({last_where})")
        if lsn is not None:
            last_lsn, last_where = lsn, event.where

    # 3. the snapshot is the state just before S*.
    expected_snapshot = apply_changes(initial_rows, log, before_seq=s_star)
    stats["snapshot_missing"] = 0
    for key, row in expected_snapshot.items():
        event = snapshot_events.get(key)
        if event is None:
            stats["snapshot_missing"] += 1
            problems.add("snapshot", f"key {key}: no snapshot row (expected version {row.get(version_column)})")
            continue
        diffs = row_diff(row, event.after, columns)
        if diffs:
            problems.add("snapshot", f"key {key}: snapshot row {event.where} differs: {_fmt_diff(diffs)}")
    for key, event in snapshot_events.items():
        if key not in expected_snapshot:
            problems.add("snapshot", f"key {key}: snapshot row {event.where} (version "
                         f"{(event.after or {}).get(version_column)}) for a row absent at the snapshot point")
    if check_snapshot_markers and snapshot_events:
        # Per table (Debezium 3.6): its first row first_in_data_collection, its last
        # last_in_data_collection; "first"/"last" instead on the whole snapshot's first/last row.
        markers = collections.Counter(e.snapshot for e in snapshot_events.values())
        for marker in ("first", "last"):
            count = markers[marker] + markers[f"{marker}_in_data_collection"]
            if len(snapshot_events) >= 2 and count != 1:
                problems.add("snapshot", f"source.snapshot={marker!r} or {marker}_in_data_collection on "
                                         f"{count} rows, expected 1")
        stats["snapshot_markers"] = dict(markers)

    # 3'. each earlier attempt is one consistent state, at a boundary that does not decrease up to S*.
    if snapshot_attempts:
        stats["snapshot_attempts"] = len(attempts)
        stats["earlier_snapshot_rows"] = sum(len(v) for v in earlier_snapshot.values())
        _check_earlier_attempts(problems, attempts[:-1], earlier_snapshot, log, initial_rows, s_star,
                                version_column, columns)
        for attempt, pairs in earlier_snapshot.items():
            markers = collections.Counter(event.snapshot for _, event in pairs)
            for marker in ("first", "last"):
                if markers[marker] > 1:
                    problems.add("snapshot", f"source.snapshot={marker!r} on {markers[marker]} rows of the "
                                 f"earlier attempt at {_attempt_name(attempt)}, expected at most 1")
        earlier_keys = {key for pairs in earlier_snapshot.values() for key, _ in pairs}
        stats["stale_snapshot_keys"] = sum(1 for key in earlier_keys
                                           if key not in snapshot_events and key not in streamed)

    # 4. replay equals the final table.
    if final_rows is not None:
        replayed = {key: event.after for key, event in snapshot_events.items()}
        for key, pairs in streamed.items():
            for change, event in pairs:  # partition order, as a consumer applies them
                if event.op == "d":
                    replayed.pop(key, None)
                else:
                    replayed[key] = event.after
        for key in sorted(set(replayed) | set(final_rows), key=str):
            if key not in final_rows:
                problems.add("final", f"key {key}: in the topic (version "
                             f"{replayed[key].get(version_column)}) but not in the table")
            elif key not in replayed:
                problems.add("final", f"key {key}: in the table (version "
                             f"{final_rows[key].get(version_column)}) but not in the topic")
            else:
                diffs = row_diff(final_rows[key], replayed[key], columns)
                if diffs:
                    problems.add("final", f"key {key}: final row differs: {_fmt_diff(diffs)}")

    stats["problems"] = problems.summary()
    return VerifyResult(list(problems), stats)


def _snapshot_attempt(event, binlog=False):
    """The attempt an `r` event belongs to: its `source.lsn` (the slot's consistent point), or for
    MySQL its binlog point (`source.file`, `source.pos`)."""
    source = event.source or {}
    if binlog:
        file, pos = source.get("file"), source.get("pos")
        return (file, pos) if isinstance(file, str) and _is_int(pos) else None
    lsn = source.get("lsn")
    return lsn if _is_int(lsn) else None


def _attempt_order(attempt):
    if attempt is None:
        return (-1,)
    return (0, *attempt) if isinstance(attempt, tuple) else (0, attempt)


def _attempt_name(attempt):
    if isinstance(attempt, tuple):
        return f"binlog {attempt[0]}:{attempt[1]}"
    return f"lsn {attempt}"


def _transaction_identity(source, binlog):
    """What names a source transaction: txId, or the binlog file/pos of its start and its GTID."""
    if binlog:
        return (source.get("file"), source.get("pos"), source.get("gtid"))
    return source.get("txId")


def _commit_order(source, binlog):
    """A sortable commit position: source.lsn, or (file, pos) for MySQL; None when absent."""
    if binlog:
        file, pos = source.get("file"), source.get("pos")
        return (file, pos) if isinstance(file, str) and _is_int(pos) else None
    lsn = source.get("lsn")
    return lsn if _is_int(lsn) else None


def _version_intervals(log, initial_rows, version_column):
    """{(key, version): (row, lo, hi)}: the row was the key's state for boundaries lo <= B <= hi."""
    intervals = {}
    current = {}  # key -> (version, row, lo)
    for key, row in initial_rows.items():
        current[key] = (row.get(version_column), row, 1)
    for change in log:
        if change.key in current:
            version, row, lo = current.pop(change.key)
            intervals[(change.key, version)] = (row, lo, change.seq)
        if change.op != "d":
            current[change.key] = (change.version, change.row, change.seq + 1)
    for key, (version, row, lo) in current.items():
        intervals[(key, version)] = (row, lo, None)  # still the state at the end
    return intervals


def _check_earlier_attempts(problems, attempts, earlier_snapshot, log, initial_rows, s_star,
                            version_column, columns):
    intervals = _version_intervals(log, initial_rows, version_column)
    floor, floor_attempt = 1, None
    for attempt in attempts:
        lo, hi, lo_event, hi_event = 1, None, None, None
        for key, event in earlier_snapshot.get(attempt, ()):
            after = event.after if isinstance(event.after, dict) else {}
            version = after.get(version_column)
            found = intervals.get((key, version))
            if found is None:
                problems.add("snapshot", f"key {key}: snapshot row {event.where} of the earlier attempt at "
                             f"{_attempt_name(attempt)} has version {version!r}, which the key never had")
                continue
            row, row_lo, row_hi = found
            diffs = row_diff(row, event.after, columns)
            if diffs:
                problems.add("snapshot", f"key {key}: snapshot row {event.where} of the earlier attempt at "
                             f"{_attempt_name(attempt)} differs from version {version}: {_fmt_diff(diffs)}")
            if row_lo > lo:
                lo, lo_event = row_lo, event
            if row_hi is not None and (hi is None or row_hi < hi):
                hi, hi_event = row_hi, event
        if hi is not None and lo > hi:
            problems.add("snapshot", f"the earlier snapshot attempt at {_attempt_name(attempt)} is not one consistent "
                         f"state: {lo_event.where} holds a version written at seq {lo - 1}, "
                         f"{hi_event.where} one replaced at seq {hi}")
            continue
        if hi is not None and hi < floor:
            problems.add("snapshot", f"the earlier snapshot attempt at {_attempt_name(attempt)} shows a state older than "
                         f"the attempt at {_attempt_name(floor_attempt)} before it ({hi_event.where})")
            continue
        if lo > s_star:
            problems.add("snapshot", f"the earlier snapshot attempt at {_attempt_name(attempt)} shows changes up to seq "
                         f"{lo - 1} ({lo_event.where}), after streaming started at seq {s_star}")
            continue
        if lo > floor:
            floor, floor_attempt = lo, attempt
