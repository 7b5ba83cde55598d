"""compare.py on hand-made records: every difference reported with its path, the ignored fields
ignored, prefix mapping, missing records, known-difference matching."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import compare  # noqa: E402


def _rec(topic, key, value, headers=()):
    return {"topic": topic, "key": key, "value": value, "headers": [{"key": k, "value": v} for k, v in headers]}


def _value(op="c", after=None, **source):
    src = {"version": "1", "name": "p", "ts_ms": 1, "lsn": 10, "txId": 5, "sequence": '["1","10"]'}
    src.update(source)
    return {"before": None, "after": after or {"id": 1}, "source": src, "op": op, "ts_ms": 2, "ts_us": 3}


def case_of(topic):
    return topic.split(".")[1]


def test_equal_records_but_ignored_fields_have_no_difference():
    a = _rec("p.c1.t", {"id": 1}, _value(version="0.1.0"))
    b = _rec("p.c1.t", {"id": 1}, _value(version="3.6.1.Final", ts_ms=99))
    b["value"]["ts_ms"] = 7
    assert compare.compare_views("plain", [a], [b], case_of) == []


def test_every_difference_is_reported_with_its_path():
    a = _rec("p.c1.t", {"id": 1}, _value(after={"id": 1, "x": 1, "y": "a"}, lsn=10, txId=5))
    b = _rec("p.c1.t", {"id": 2}, _value(after={"id": 1, "x": 1.0, "z": None}, lsn=11, txId=6),
             headers=[("h", "v")])
    diffs = compare.compare_views("plain", [a], [b], case_of)
    got = {(d.path, d.tributary if d.tributary is compare.ABSENT else repr(d.tributary),
            d.debezium if d.debezium is compare.ABSENT else repr(d.debezium)) for d in diffs}
    assert got == {("key.id", "1", "2"), ("value.after.x", "1", "1.0"), ("value.after.y", "'a'", compare.ABSENT),
                   ("value.after.z", compare.ABSENT, "None"), ("value.source.lsn", "10", "11"),
                   ("value.source.txId", "5", "6"), ("headers.h", compare.ABSENT, "'v'")}
    assert {d.case for d in diffs} == {"c1"} and {d.index for d in diffs} == {0}


def test_snapshot_position_is_ignored_only_for_snapshot_records():
    a = _rec("p.c1.t", {"id": 1}, _value(op="r", lsn=10, txId=5, sequence='[null,"10"]'))
    b = _rec("p.c1.t", {"id": 1}, _value(op="r", lsn=20, txId=6, sequence='[null,"20"]'))
    assert compare.compare_views("plain", [a], [b], case_of) == []
    a["value"]["op"] = b["value"]["op"] = "c"
    assert {d.path for d in compare.compare_views("plain", [a], [b], case_of)} == {
        "value.source.lsn", "value.source.txId", "value.source.sequence"}


def test_prefix_mapped_and_source_name_ignored_then():
    a = _rec("mine.c1.t", {"id": 1}, _value(name="mine"))
    b = _rec("p.c1.t", {"id": 1}, _value(name="p"))
    assert compare.compare_views("plain", [a], [b], case_of, tributary_prefix="mine", debezium_prefix="p") == []
    assert {d.path for d in compare.compare_views("plain", [a], [b], case_of)} == {"record"}


def test_records_paired_in_order_per_topic_and_extra_ones_reported():
    a = [_rec("p.c1.t", {"id": 1}, _value()), _rec("p.c1.u", {"id": 9}, _value()),
         _rec("p.c1.t", {"id": 2}, _value(after={"id": 2}))]
    b = [_rec("p.c1.t", {"id": 1}, _value()), _rec("p.c1.t", {"id": 2}, _value(after={"id": 2})),
         _rec("p.c1.t", {"id": 2}, None)]
    diffs = compare.compare_views("plain", a, b, case_of)
    assert [(d.topic, d.index, d.path) for d in diffs] == [("p.c1.t", 2, "record"), ("p.c1.u", 0, "record")]
    assert diffs[0].tributary is compare.ABSENT and diffs[0].debezium == {"key": {"id": 2}, "op": "tombstone"}
    assert diffs[1].debezium is compare.ABSENT


def test_schema_fields_are_compared_by_name():
    schema = lambda fields: {"schema": {"type": "struct", "fields": fields}, "payload": {"op": "c"}}  # noqa: E731
    a = _rec("p.c1.t", None, schema([{"field": "a", "type": "int32"}, {"field": "b", "type": "string"}]))
    b = _rec("p.c1.t", None, schema([{"field": "a", "type": "int64"}, {"field": "b", "type": "string"},
                                     {"field": "c", "type": "string"}]))
    diffs = compare.compare_views("schemas", [a], [b], case_of)
    assert [d.path for d in diffs] == ["value.schema.fields[a].type", "value.schema.fields[c]"]


def test_known_differences_match_by_path_and_case_patterns(tmp_path):
    path = tmp_path / "known.yaml"
    path.write_text('- {path: "value*.source.origin*", cases: ["*"], reason: r, status: "to fix"}\n'
                    '- {path: "value.schema.fields[after].fields[x].optional", cases: [c2], reason: r, status: option}\n')
    known = compare.load_known(str(path))
    mk = lambda case, p: compare.Difference("plain", case, "t", 0, p, 1, 2)  # noqa: E731
    diffs = [mk("c1", "value.payload.source.origin_lsn"), mk("c2", "value.schema.fields[after].fields[x].optional"),
             mk("c1", "value.schema.fields[after].fields[x].optional"), mk("c1", "value.schema.fields[a].fields[x].optional")]
    unexplained, explained = compare.split_known(diffs, known)
    assert unexplained == diffs[2:]  # a [..] in a pattern is literal, not a character class
    assert explained == {0: [diffs[0]], 1: [diffs[1]]}
    report = compare.report(unexplained, explained, known)
    assert "2 UNEXPLAINED" in report and "value.payload.source.origin_lsn" not in report.split("UNEXPLAINED")[1]


def test_bad_known_entry_is_named(tmp_path):
    path = tmp_path / "known.yaml"
    path.write_text('- {path: "x", cases: "*", reason: r, status: maybe}\n')
    try:
        compare.load_known(str(path))
    except ValueError as e:
        assert "status must be" in str(e) and "(x)" in str(e)
    else:
        raise AssertionError("accepted a bad status")


def test_murmur2_and_default_partition_match_kafka():
    # Kafka's own test vectors (UtilsTest.testMurmur2)
    assert compare.murmur2(b"21") == -973932308
    assert compare.murmur2(b"foobar") == -790332482
    assert compare.murmur2(b"a-little-bit-long-string") == -985981536
    assert compare.murmur2(b"a-little-bit-longer-string") == -1486304829
    assert compare.murmur2(b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8") == -58897971
    assert compare.murmur2(b"abc") == 479470107
    assert compare.default_partition(None, 16) is None
    assert compare.default_partition({"id": 1}, 16) == (compare.murmur2(b'{"id":1}') & 0x7FFFFFFF) % 16
    a = _rec("p.c1.t", {"id": 1}, _value())
    b = _rec("p.c1.t", {"id": 1}, _value())
    a["partition"], b["partition"] = 3, 4
    assert [d.path for d in compare.compare_views("plain", [a], [b], case_of)] == ["partition"]


def test_run_id_header_compares_as_any_uuid():
    run = compare.RUN_ID_HEADER
    a = _rec("p.c1.t", {"id": 1}, _value(), headers=[(run, "5f0c7a52-1b7e-4c2b-9f59-0f1e2d3c4b5a")])
    b = _rec("p.c1.t", {"id": 1}, _value(), headers=[(run, "0a9b8c7d-6e5f-4a3b-8c1d-2e3f4a5b6c7d")])
    assert compare.compare_views("plain", [a], [b], case_of) == []
    a["headers"] = [{"key": run, "value": "not-a-uuid"}]
    assert [(d.path, d.tributary) for d in compare.compare_views("plain", [a], [b], case_of)] == [
        (f"headers.{run}", "not-a-uuid")]
    a["headers"] = []
    assert [(d.path, d.tributary) for d in compare.compare_views("plain", [a], [b], case_of)] == [
        (f"headers.{run}", compare.ABSENT)]


def test_logical_name_header_ignored_only_when_the_prefixes_differ():
    name = compare.LOGICAL_NAME_HEADER
    a = _rec("mine.c1.t", {"id": 1}, _value(name="mine"), headers=[(name, "mine")])
    b = _rec("p.c1.t", {"id": 1}, _value(name="p"), headers=[(name, "p")])
    assert compare.compare_views("plain", [a], [b], case_of, tributary_prefix="mine", debezium_prefix="p") == []
    a["topic"], a["value"]["source"]["name"] = "p.c1.t", "p"
    assert [d.path for d in compare.compare_views("plain", [a], [b], case_of)] == [f"headers.{name}"]
