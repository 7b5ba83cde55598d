"""Incremental decoding of a Collector's records, so waits on content stay cheap on big topics."""

import json

from tributary_testing.verifier import decode_record


class EventFeed:
    """Decodes each collected record of `topic` once; `events` grows as `poll()` is called."""

    def __init__(self, collector, topic, field_schemas=None):
        self.collector = collector
        self.topic = topic
        self.field_schemas = field_schemas
        self.events = []
        self._cursor = collector.cursor(topic)

    def poll(self):
        fresh = [decode_record(r, self.field_schemas) for r in self._cursor.new()]
        self.events.extend(fresh)
        return fresh

    def wait_for(self, predicate, timeout, what):
        """Waits until `predicate(event)` holds for some collected event (also one decoded by an earlier
        wait: a backlog that arrives at once after a fault is decoded in one go); returns the first."""
        found = [e for e in self.events if predicate(e)][:1]

        def check():
            if found:
                return True
            for event in self.poll():
                if predicate(event):
                    found.append(event)
                    return True
            return bool(found)

        self.collector.wait_for(check, timeout, what)
        return found[0]

    def wait_for_count(self, predicate, count, timeout, what):
        """Waits until `count` collected events satisfy `predicate`; returns them."""
        matched = [e for e in self.events if predicate(e)]

        def check():
            matched.extend(e for e in self.poll() if predicate(e))
            return len(matched) >= count

        self.collector.wait_for(check, timeout, lambda: f"{what} ({len(matched)}/{count} so far)")
        return matched


def change_matcher(change, key_column="id", version_column="version"):
    """A predicate for the event that carries a workload Change (by key, op and version)."""
    def matches(event):
        if event.tombstone or event.op != change.op or not isinstance(event.key, dict):
            return False
        if event.key.get(key_column) != change.key:
            return False
        image = event.before if change.op == "d" else event.after
        return isinstance(image, dict) and image.get(version_column) == change.version
    return matches


def row_events(collector, topic, key_column="id"):
    """(op, key, source.snapshot) of each data record of `topic` collected so far, tombstones left out
    (values with or without the schema part)."""
    out = []
    for record in collector.records(topic):
        if record.value is None:
            continue
        payload = json.loads(record.value)
        payload = payload.get("payload", payload)
        row = payload["after"] or payload["before"]
        out.append((payload["op"], row[key_column], payload["source"]["snapshot"]))
    return out
