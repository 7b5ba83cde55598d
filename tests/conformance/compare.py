"""Event-by-event comparison of tributary's records with Debezium's (the conformance test's core).

A record here is a dict {"topic", "key", "value", "headers"} and optionally "partition" (compared
when both sides have one; Debezium's is `default_partition` of its key): key/value parsed JSON (value None for
a tombstone), headers a list of {"key", "value"} with text values. `compare_views` pairs the two
sides' records per topic in order (both read the same WAL, so per-topic order, which holds per-key
order, must be the same) and walks each pair; every difference is reported, none stops the walk.

Ignored, because they must differ: processing timestamps (`ts_ms`, `ts_us`, `ts_ns`, top level and
in `source`), `source.version`, `source.name` when the two sides' topic prefixes differ (then topic
names are compared after mapping the prefix), and in snapshot records (`op` "r") the snapshot's own
position (`source.lsn`, `source.txId`, `source.xmin`, `source.sequence`): each side snapshots through its own slot.
The header `__debezium.context.runId` is compared as "present and a UUID", not by value (each side
makes its own per run); `__debezium.context.connectorLogicalName` (the topic prefix) is ignored when
the prefixes differ, as `source.name` is.
"""

import json
import re
from dataclasses import dataclass

ABSENT = "<absent>"  # a key or record one side has and the other lacks

_TS = ("ts_ms", "ts_us", "ts_ns")
_SNAPSHOT_POSITION = ("lsn", "txId", "xmin", "sequence")


@dataclass(frozen=True)
class Difference:
    view: str     # "schemas" (JsonConverter schemas.enable=true) or "plain" (false)
    case: str
    topic: str
    index: int    # the record's index within its topic
    path: str     # e.g. value.payload.source.sequence
    tributary: object
    debezium: object

    def row(self):
        return (self.view, self.case, self.topic, str(self.index), self.path,
                _show(self.tributary), _show(self.debezium))


def _show(value, limit=120):
    text = value if value is ABSENT else json.dumps(value, sort_keys=True, ensure_ascii=False)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def map_topic(topic, prefix_from, prefix_to):
    if prefix_from and prefix_from != prefix_to and topic.startswith(prefix_from + "."):
        return prefix_to + topic[len(prefix_from):]
    return topic


def _payload(value):
    """The envelope's payload, with or without the schema part."""
    if isinstance(value, dict) and "payload" in value and "schema" in value:
        return value["payload"], "value.payload"
    return value, "value"


def _ignored_paths(value, ignore_source_name):
    payload, base = _payload(value)
    paths = {f"{base}.{ts}" for ts in _TS}
    paths |= {f"{base}.source.{ts}" for ts in _TS}
    paths.add(f"{base}.source.version")
    if ignore_source_name:
        paths.add(f"{base}.source.name")
    if isinstance(payload, dict) and payload.get("op") == "r":
        paths |= {f"{base}.source.{field}" for field in _SNAPSHOT_POSITION}
    return paths


def _same(a, b):
    return type(a) is type(b) and a == b  # 1 != 1.0 != true in JSON


def diff_json(a, b, path, ignored, out):
    """Appends (path, a, b) for every leaf where `a` and `b` differ."""
    if path in ignored:
        return
    if isinstance(a, dict) and isinstance(b, dict):
        for key in list(a) + [k for k in b if k not in a]:
            diff_json(a.get(key, ABSENT), b.get(key, ABSENT), f"{path}.{key}", ignored, out)
    elif isinstance(a, list) and isinstance(b, list) and a and b and _is_schema_fields(a, b):
        by_name = {f["field"]: f for f in b}
        for f in a:
            diff_json(f, by_name.get(f["field"], ABSENT), f"{path}[{f['field']}]", ignored, out)
        for f in b:
            if f["field"] not in {x["field"] for x in a}:
                diff_json(ABSENT, f, f"{path}[{f['field']}]", ignored, out)
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b)):
            diff_json(x, y, f"{path}[{i}]", ignored, out)
    elif not _same(a, b):
        out.append((path, a, b))


def _is_schema_fields(a, b):
    """A struct schema's field list: compared by field name, and named so in paths
    (value.schema.fields[after].fields[feelings].items.optional)."""
    return all(isinstance(f, dict) and "field" in f for f in a + b)


def _by_topic(records, prefix_from="", prefix_to=""):
    topics = {}
    for r in records:
        topics.setdefault(map_topic(r["topic"], prefix_from, prefix_to), []).append(r)
    return topics


def compare_views(view, tributary, debezium, case_of, tributary_prefix="", debezium_prefix=""):
    """Every Difference between two record lists of one view. `case_of(topic)` names the case."""
    ignore_name = bool(tributary_prefix) and tributary_prefix != debezium_prefix
    ours = _by_topic(tributary, tributary_prefix, debezium_prefix)
    theirs = _by_topic(debezium)
    found = []
    for topic in sorted(set(ours) | set(theirs)):
        a_list, b_list = ours.get(topic, []), theirs.get(topic, [])
        for i in range(max(len(a_list), len(b_list))):
            a = a_list[i] if i < len(a_list) else None
            b = b_list[i] if i < len(b_list) else None
            if a is None or b is None:
                present = a or b
                summary = {"key": present["key"], "op": (_payload(present["value"])[0] or {}).get("op")
                           if present["value"] is not None else "tombstone"}
                found.append(Difference(view, case_of(topic), topic, i, "record",
                                        summary if a else ABSENT, summary if b else ABSENT))
                continue
            ignored = _ignored_paths(a["value"], ignore_name) | _ignored_paths(b["value"], ignore_name)
            if ignore_name:  # the topic prefix again, as source.name
                ignored.add(f"headers.{LOGICAL_NAME_HEADER}")
            leaves = []
            diff_json(a["key"], b["key"], "key", ignored, leaves)
            diff_json(a["value"], b["value"], "value", ignored, leaves)
            diff_json(_headers(a), _headers(b), "headers", ignored, leaves)
            if a.get("partition") is not None and b.get("partition") is not None:
                diff_json(a["partition"], b["partition"], "partition", ignored, leaves)
            found.extend(Difference(view, case_of(topic), topic, i, p, x, y) for p, x, y in leaves)
    return found


def murmur2(data):
    """Kafka's murmur2 (org.apache.kafka.common.utils.Utils.murmur2), as a signed 32-bit int."""
    m, r, length = 0x5BD1E995, 24, len(data)
    h = (0x9747B28C ^ length) & 0xFFFFFFFF
    for i in range(0, length - length % 4, 4):
        k = int.from_bytes(data[i:i + 4], "little")
        k = (k * m) & 0xFFFFFFFF
        k ^= k >> r
        k = (k * m) & 0xFFFFFFFF
        h = ((h * m) & 0xFFFFFFFF) ^ k
    rest = length % 4
    if rest:
        tail = data[length - rest:]
        if rest == 3:
            h ^= tail[2] << 16
        if rest >= 2:
            h ^= tail[1] << 8
        h ^= tail[0]
        h = (h * m) & 0xFFFFFFFF
    h ^= h >> 13
    h = (h * m) & 0xFFFFFFFF
    h ^= h >> 15
    return h - (1 << 32) if h & 0x80000000 else h


def default_partition(key_json, partitions):
    """The partition Kafka's default partitioner gives a Connect worker's record: murmur2 of the key
    converter's bytes (JsonConverter writes compact JSON in field order, UTF-8), positive, modulo
    the partition count; None for a null key (sticky, not determined by the record)."""
    if key_json is None or not partitions:
        return None
    data = json.dumps(key_json, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return (murmur2(data) & 0x7FFFFFFF) % partitions


RUN_ID_HEADER = "__debezium.context.runId"
LOGICAL_NAME_HEADER = "__debezium.context.connectorLogicalName"
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
UUID_TOKEN = "<a UUID>"


def _headers(record):
    headers = {h["key"]: h["value"] for h in record.get("headers") or []}
    run_id = headers.get(RUN_ID_HEADER)
    if isinstance(run_id, str) and _UUID.fullmatch(run_id):
        headers[RUN_ID_HEADER] = UUID_TOKEN  # any UUID compares equal; anything else shows
    return headers


# ---- known differences -------------------------------------------------------------------------------

def load_known(path):
    import yaml

    with open(path, encoding="utf-8") as f:
        entries = yaml.safe_load(f) or []
    for i, e in enumerate(entries):
        missing = {"path", "cases", "reason", "status"} - set(e)
        if missing:
            raise ValueError(f"{path}: entry {i} lacks {sorted(missing)}")
        if e["status"] not in ("to fix", "option"):
            raise ValueError(f"{path}: entry {i} ({e['path']}): status must be 'to fix' or 'option'")
        if isinstance(e["cases"], str):
            e["cases"] = [e["cases"]]
    return entries


def pattern_matches(pattern, text):
    """`*` matches any run of characters (dots and brackets too); everything else is literal."""
    return re.fullmatch(".*".join(re.escape(part) for part in pattern.split("*")), text) is not None


def match_known(diff, known):
    """The first known entry whose path and case patterns match, or None."""
    for entry in known:
        if pattern_matches(entry["path"], diff.path) and any(pattern_matches(c, diff.case) for c in entry["cases"]):
            return entry
    return None


def split_known(diffs, known):
    """(unexplained differences, {known entry index: [its differences]})."""
    unexplained, explained = [], {}
    for d in diffs:
        entry = match_known(d, known)
        if entry is None:
            unexplained.append(d)
        else:
            explained.setdefault(known.index(entry), []).append(d)
    return unexplained, explained


def table(rows, header):
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows)] if rows else [len(h) for h in header]
    line = lambda r: " | ".join(str(x).ljust(w) for x, w in zip(r, widths))  # noqa: E731
    return "\n".join([line(header), "-+-".join("-" * w for w in widths)] + [line(r) for r in rows])


def report(unexplained, explained, known):
    parts = []
    if explained:
        rows = [(known[i]["status"], known[i]["path"], ",".join(known[i]["cases"]), str(len(ds)),
                 known[i]["reason"][:90]) for i, ds in sorted(explained.items())]
        parts.append("known differences (tests/conformance/known_differences.yaml):\n"
                     + table(rows, ("status", "path", "cases", "count", "reason")))
    if unexplained:
        parts.append(f"{len(unexplained)} UNEXPLAINED differences:\n" + table(
            [d.row() for d in unexplained],
            ("view", "case", "topic", "#", "path", "tributary", "debezium")))
    return "\n\n".join(parts)


def stale(known, explained):
    """The known entries no difference matched (their fix landed: delete them), as text lines."""
    return [f'{known[i]["path"]} ({",".join(known[i]["cases"])})' for i in range(len(known)) if i not in explained]


def write_differences(path, diffs):
    """Every difference, explained or not, as a table in `path` (the test's work dir keeps it)."""
    with open(path, "w", encoding="utf-8") as f:
        f.write(table([d.row() for d in diffs], ("view", "case", "topic", "#", "path", "tributary", "debezium")))


def _text(raw):
    return None if raw is None else raw.decode("utf-8")


def tributary_records(records):
    """Consumed Kafka records (tributary_testing.kafka.Record) as this module's record dicts."""
    return [{"topic": r.topic, "partition": r.partition,
             "key": None if r.key is None else json.loads(r.key),
             "value": None if r.value is None else json.loads(r.value),
             "headers": [{"key": k, "value": _text(v)} for k, v in r.headers]} for r in records]


def debezium_view(records, schemas, partitions, topic_of=None):
    """One converter setting's records of the Debezium peer (tributary_testing.debezium): with
    `schemas` the schemas-on key/value, else the plain ones; each with the partition a Connect
    worker would write it to, `partitions(topic)` partitions (default_partition). `topic_of(record)`
    may file a record under another topic than its own (the partition still follows its own)."""
    k, v = ("key_schemas", "value_schemas") if schemas else ("key", "value")
    return [{"topic": topic_of(r) if topic_of else r["topic"], "key": r[k], "value": r[v], "headers": r["headers"],
             "partition": default_partition(r[k], partitions(r["topic"]))} for r in records]
