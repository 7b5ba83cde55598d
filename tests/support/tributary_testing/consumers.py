"""The consumers' own parsers (tests/support/consumers): Kafka Connect's JsonConverter and Flink's
debezium-json format, run once per check() call on a batch of records."""

import json
import os
import subprocess

_HERE = os.path.dirname(os.path.abspath(__file__))
_FETCH = os.path.join(_HERE, "..", "consumers", "fetch.sh")


def classpath():
    """The classpath fetch.sh prints (fetching and compiling on the first call only)."""
    return subprocess.run([_FETCH], check=True, capture_output=True, text=True).stdout.strip()


def _text(raw):
    if raw is None:
        return None
    return raw.decode("utf-8") if isinstance(raw, (bytes, bytearray)) else str(raw)


def inputs(records, schemas, row_types=None):
    """Turns the harness's consumed Kafka records (kafka.Record) into check()'s input dicts."""
    row_types = row_types or {}
    return [{"topic": r.topic, "partition": r.partition, "offset": r.offset,
             "key": _text(r.key), "value": _text(r.value), "schemas": bool(schemas),
             "row_type": row_types.get(r.topic)} for r in records]


def check(records, row_types=None, timeout=120.0):
    """Runs ConsumerCheck once over records (dicts: topic, key, value, schemas, optional row_type;
    a row_type in row_types, keyed by topic, fills a missing one). Returns one result dict per
    record, in order, each with the input's topic/partition/offset added."""
    row_types = row_types or {}
    lines = []
    for r in records:
        item = dict(r)
        if item.get("row_type") is None and item.get("topic") in row_types:
            item["row_type"] = row_types[item["topic"]]
        lines.append(json.dumps(item))
    proc = subprocess.run(["java", "-cp", classpath(), "ConsumerCheck"],
                          input="\n".join(lines) + "\n", capture_output=True, text=True,
                          timeout=timeout)
    if proc.returncode != 0:
        raise RuntimeError(f"ConsumerCheck exited {proc.returncode}: {proc.stderr[-2000:]}")
    results = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
    if len(results) != len(records):
        raise RuntimeError(f"ConsumerCheck answered {len(results)} of {len(records)} records")
    for r, res in zip(records, results):
        res["partition"] = r.get("partition")
        res["offset"] = r.get("offset")
    return results


def rejections(results):
    """Every parser rejection as 'topic[partition]@offset parser: message'."""
    out = []
    for res in results:
        where = f"{res['topic']}[{res.get('partition')}]@{res.get('offset')}"
        for name in ("key", "value", "flink"):
            part = res.get(name)
            if part is not None and not part.get("ok"):
                out.append(f"{where} {name}: {part.get('error')}")
    return out


# ---- what the parsers must make of a change-event stream ---------------------------------------

# Connect schema type -> Flink logical type (the physical JSON shape, which is what
# DebeziumJsonDeserializationSchema reads; logical names such as io.debezium.time.Date keep it).
_FLINK_TYPES = {"int8": "TINYINT", "int16": "SMALLINT", "int32": "INT", "int64": "BIGINT",
                "float32": "FLOAT", "float64": "DOUBLE", "boolean": "BOOLEAN", "string": "STRING",
                "bytes": "BYTES"}

# The RowKinds Flink's debezium-json emits per op (Flink's docs; tombstones emit nothing).
EXPECTED_KINDS = {"c": ["+I"], "r": ["+I"], "u": ["-U", "+U"], "d": ["-D"]}

# Flink's debezium-json needs the full `before` of an update or delete (its docs: "the Postgres
# table has been set REPLICA IDENTITY to FULL"): a null `before` is rejected with this message.
# Debezium writes the same null `before` (REPLICA IDENTITY DEFAULT), so this rejection is a
# requirement of that consumer, not a fault of the record; every other rejection is one.
REPLICA_IDENTITY_REJECTION = "field of UPDATE message is null"


def _quote(name):
    return "`" + name.replace("`", "``") + "`"


def flink_type(schema):
    """The Flink logical type for one Connect field schema (dict)."""
    kind = schema.get("type")
    if kind == "struct":
        fields = ", ".join(f"{_quote(f['field'])} {flink_type(f)}" for f in schema.get("fields", []))
        return f"ROW<{fields}>" if fields else "STRING"
    if kind == "array":
        return f"ARRAY<{flink_type(schema['items'])}>"
    if kind == "map":
        # JsonConverter writes a map with string keys as an object, others as [[k, v], ...].
        if schema.get("keys", {}).get("type") == "string":
            return f"MAP<STRING, {flink_type(schema['values'])}>"
        return "STRING"
    return _FLINK_TYPES.get(kind, "STRING")


def row_type(envelope_schema):
    """Flink's ROW type of a table from its Debezium envelope value schema (the `after` field's
    struct), or None when the schema is no change-event envelope."""
    if not isinstance(envelope_schema, dict) or not str(envelope_schema.get("name", "")).endswith(".Envelope"):
        return None
    for field in envelope_schema.get("fields", []):
        if field.get("field") == "after" and field.get("type") == "struct":
            return flink_type(field)
    return None


def _json(text):
    if text is None:
        return None
    return json.loads(text) if isinstance(text, str) else text


def schema_inputs(records, *, topic_of=lambda t: t):
    """Flink row types by topic from records written with schemas (check()'s input dicts);
    `topic_of` maps each topic to the name the row type is filed under."""
    types = {}
    for r in records:
        value = _json(r.get("value"))
        if isinstance(value, dict) and "schema" in value:
            kind = row_type(value["schema"])
            if kind is not None:
                types.setdefault(topic_of(r["topic"]), kind)
    return types


def debezium_inputs(records, schemas):
    """check()'s input dicts for the Debezium peer's records (debezium.py: parsed JSON, no
    offset: the record's position in the peer's output stands for it)."""
    k, v = ("key_schemas", "value_schemas") if schemas else ("key", "value")
    return [{"topic": r["topic"], "partition": None, "offset": f"#{i}",
             "key": None if r[k] is None else json.dumps(r[k]),
             "value": None if r[v] is None else json.dumps(r[v]), "schemas": bool(schemas)}
            for i, r in enumerate(records)]


def _op(value, schemas):
    payload = value.get("payload") if schemas and isinstance(value, dict) else value
    return payload if isinstance(payload, dict) else None


def failures(records, row_types=None, *, label=""):
    """Runs both parsers over records (check()'s input dicts, row_type filled from row_types by
    topic for change events) and returns every failure, one line each naming topic, partition,
    offset and what went wrong: a rejection by JsonConverter (key or value) or by Flink, or a
    RowKind sequence other than EXPECTED_KINDS of the record's op. Flink's REPLICA IDENTITY
    rejection of an update or delete whose `before` is null is no failure (see
    REPLICA_IDENTITY_REJECTION); it is counted in the returned summary instead.
    Returns (failure lines, summary dict)."""
    row_types = row_types or {}
    prepared, ops = [], []
    for r in records:
        item = dict(r)
        payload = _op(_json(item.get("value")), item.get("schemas", True))
        op = payload.get("op") if payload is not None and "op" in payload else None
        if op is None and item.get("value") is not None:
            item["row_type"] = None  # no change event (schema changes, heartbeats): Connect only
        elif item.get("row_type") is None:
            item["row_type"] = row_types.get(item["topic"])
        prepared.append(item)
        ops.append((op, payload))
    results = check(prepared) if prepared else []
    out = []
    summary = {"records": len(results), "flink_rows": 0, "replica_identity_rejections": 0,
               "without_row_type": 0}
    for item, (op, payload), res in zip(prepared, ops, results):
        where = f"{label}{res['topic']}[{res.get('partition')}]@{res.get('offset')}"
        for name in ("key", "value"):
            if not res[name].get("ok"):
                out.append(f"{where} JsonConverter {name}: {res[name].get('error')}")
        if item.get("value") is not None and op is not None and item.get("row_type") is None:
            summary["without_row_type"] += 1
            out.append(f"{where} flink: no row type for this topic (no record of it with schemas)")
            continue
        flink = res.get("flink")
        if flink is None:
            continue
        if not flink.get("ok"):
            error = flink.get("error") or ""
            if (REPLICA_IDENTITY_REJECTION in error or "field of DELETE message is null" in error) \
                    and payload is not None and payload.get("before") is None:
                summary["replica_identity_rejections"] += 1
            else:
                out.append(f"{where} flink (op {op}): {error}")
            continue
        expected = [] if item.get("value") is None else EXPECTED_KINDS.get(op)
        if expected is None:
            out.append(f"{where} flink: op {op!r} has no RowKind sequence, got {flink.get('kinds')}")
        elif flink.get("kinds") != expected:
            out.append(f"{where} flink (op {op}): RowKinds {flink.get('kinds')}, expected {expected}")
        summary["flink_rows"] += len(flink.get("kinds") or [])
    return out, summary


# Rejections of tributary records that a known, still open difference (known_differences.yaml)
# causes: (case, the parser's message, the difference). Printed, not failed; an entry that matches
# nothing is printed as stale (its fix landed: delete it).
KNOWN_REJECTIONS = []  # none open: the key-only before's fallback values (before.email) landed


def _known(line, known):
    for index, (case, message, _reason) in enumerate(known):
        if line.startswith("tributary ") and f".{case}." in line.split(" ", 2)[1] and message in line:
            return index
    return None


def conformance_failures(tributary_records, debezium_records, prefix, plain_prefix, known=None):
    """The conformance run's parser check: tributary's records (kafka.Record; topics under
    `prefix` written with schemas, under `plain_prefix` without) and the Debezium peer's (both
    converter settings; the control). Row types come from each side's own schema-carrying
    records, matched by the topic without its prefix. Returns (failure lines, summary line)."""
    def suffix(topic):
        return topic.split(".", 1)[1] if "." in topic else topic

    ours = inputs([r for r in tributary_records if r.topic.startswith(prefix + ".")], True)
    ours += inputs([r for r in tributary_records if r.topic.startswith(plain_prefix + ".")], False)
    theirs = debezium_inputs(debezium_records, True) + debezium_inputs(debezium_records, False)
    lines, notes = [], []
    for label, records in (("tributary ", ours), ("debezium ", theirs)):
        types = schema_inputs([r for r in records if r["schemas"]], topic_of=suffix)
        for r in records:
            r["row_type"] = types.get(suffix(r["topic"]))
        failed, summary = failures(records, label=label)
        lines += failed
        notes.append(f"{label.strip()}: {summary['records']} records, {summary['flink_rows']} Flink rows, "
                     f"{summary['replica_identity_rejections']} updates/deletes without `before` "
                     f"(Flink needs REPLICA IDENTITY FULL), {len(failed)} failures")
    known = KNOWN_REJECTIONS if known is None else known
    matched = {i: [] for i in range(len(known))}
    unexplained = []
    for line in lines:
        index = _known(line, known)
        if index is None:
            unexplained.append(line)
        else:
            matched[index].append(line)
    for index, hits in matched.items():
        case, _message, reason = known[index]
        notes.append(f"{case}: {len(hits)} known rejection(s) ({reason})" if hits
                     else f"known rejection for {case} matched nothing (fixed? then delete it)")
    return unexplained, "consumers' parsers: " + "; ".join(notes)
