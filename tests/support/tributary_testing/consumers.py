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
