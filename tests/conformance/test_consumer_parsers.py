"""The consumers' parsers check itself (tributary_testing.consumers.failures): Kafka Connect's
JsonConverter and Flink's debezium-json over hand-written records, so the check is shown to pass a
correct stream in both converter settings and to fail, naming topic, partition, offset and the
parser's message, on the records a consumer would reject. The conformance run and
tests/integration/test_message_keys.py apply it to real output."""

import json

import pytest

from tributary_testing import consumers

ROW = {"type": "struct", "optional": True, "name": "dbserver1.public.t.Value",
       "fields": [{"type": "int32", "optional": False, "field": "id"},
                  {"type": "string", "optional": True, "field": "name"}]}
KEY = {"type": "struct", "optional": False, "name": "dbserver1.public.t.Key",
       "fields": [{"type": "int32", "optional": False, "field": "id"}]}
ENVELOPE = {"type": "struct", "optional": False, "name": "dbserver1.public.t.Envelope",
            "fields": [dict(ROW, field="before"), dict(ROW, field="after"),
                       {"type": "string", "optional": False, "field": "op"}]}


def _event(op, before, after, schemas, key_id=1, key_schema=KEY):
    payload = {"before": before, "after": after, "op": op}
    key = {"id": key_id}
    if schemas:
        payload = {"schema": ENVELOPE, "payload": payload}
        key = {"schema": key_schema, "payload": key}
    return json.dumps(key), json.dumps(payload)


def _records(events, schemas, topic):
    return [{"topic": topic, "partition": 0, "offset": offset, "key": key, "value": value,
             "schemas": schemas} for offset, (key, value) in enumerate(events)]


def _stream(schemas):
    row = {"id": 1, "name": "a"}
    return [_event("r", None, row, schemas), _event("c", None, row, schemas),
            _event("u", row, dict(row, name="b"), schemas), _event("d", row, None, schemas),
            (_event("d", row, None, schemas)[0], None)]  # the tombstone


ROW_TYPE = "ROW<`id` INT, `name` STRING>"
A_ROW = {"id": 1, "name": "a"}

# Every case on its own topic, all checked in one run of the parsers (one JVM start).
CASES = {
    "ok": _records(_stream(True), True, "ok")
    + [dict(r, offset=r["offset"] + 10) for r in _records(_stream(False), False, "ok")],
    "null_key_field": _records([_event("r", None, {"id": 2, "name": "b"}, True),
                                _event("c", None, A_ROW, True, key_id=None)], True, "null_key_field"),
    "null_value_field": _records([_event("c", None, {"id": None, "name": "a"}, True)], True,
                                 "null_value_field"),
    "truncate": _records([_event("t", None, None, False)], False, "truncate"),
    "no_row_type": _records([_event("c", None, A_ROW, False)], False, "no_row_type"),
    "update_without_before": _records([_event("u", None, dict(A_ROW, name="b"), True)], True,
                                      "update_without_before"),
}


@pytest.fixture(scope="module")
def checked():
    records = [r for case in CASES.values() for r in case]
    types = {topic: ROW_TYPE for topic in CASES if topic != "no_row_type"}
    failed, summary = consumers.failures(records, types)
    by_topic = {topic: [f for f in failed if f.startswith(topic + "[")] for topic in CASES}
    return by_topic, summary


def test_schema_inputs_derives_the_row_type_from_the_envelope():
    assert consumers.schema_inputs(CASES["ok"]) == {"ok": ROW_TYPE}


def test_a_correct_stream_passes_both_parsers_with_and_without_schemas(checked):
    assert checked[0]["ok"] == []


def test_a_required_key_field_that_is_null_fails_naming_the_record_and_the_parser(checked):
    failed = checked[0]["null_key_field"]
    assert len(failed) == 1, failed
    assert failed[0].startswith("null_key_field[0]@1 JsonConverter key: ")
    assert "Invalid null value for required INT32 field" in failed[0]


def test_a_required_value_field_that_is_null_fails(checked):
    failed = checked[0]["null_value_field"]
    assert any("JsonConverter value:" in f and "required INT32" in f for f in failed), failed


def test_an_op_flink_does_not_know_fails(checked):
    failed = checked[0]["truncate"]
    assert len(failed) == 1 and "flink (op t)" in failed[0] and 'Unknown "op" value "t"' in failed[0], failed


def test_a_change_event_of_a_topic_without_a_row_type_fails(checked):
    failed = checked[0]["no_row_type"]
    assert len(failed) == 1 and "no row type" in failed[0], failed


def test_an_update_without_before_is_flinks_replica_identity_requirement_not_a_failure(checked):
    assert checked[0]["update_without_before"] == []
    assert checked[1]["replica_identity_rejections"] == 1


def test_the_rowkind_sequence_is_counted(checked):
    # "ok": r, c -> +I; u -> -U +U; d -> -D; the tombstone nothing; with schema-include on and off.
    # Plus the +I of null_key_field's first record, the value of which is fine (its key is not).
    assert checked[1]["flink_rows"] >= 2 * 5
