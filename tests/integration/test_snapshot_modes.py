"""snapshot.mode: initial_only snapshots and exits; never streams without a snapshot.

Both tests run on the session's shared Kafka, each with its own pipeline name (topic prefix,
transactional.id) and offsets topic."""

from tributary_testing.feed import row_events


def _events(collector, topic):
    """(op, id, snapshot marker) of each data record, tombstones left out."""
    return row_events(collector, topic)


def _setup(env, rows, name):
    """A database with `rows` items; the shared Kafka with `name`'s topics; a collector on them."""
    db = env.database()
    env.sql(db, "CREATE TABLE items (id int PRIMARY KEY, v text NOT NULL)")
    env.sql(db, f"INSERT INTO items SELECT g, 'v' || g FROM generate_series(1, {rows}) g")
    topic = f"{name}.public.items"
    kafka = env.shared_kafka(topics={topic: 4, f"{name}.offsets": 1})
    return db, kafka, env.collector(kafka, topics=[topic]), topic


def test_initial_only_snapshots_then_exits_and_does_not_snapshot_again(env):
    name = "initialonly"
    db, kafka, collector, topic = _setup(env, 50, name)
    config = env.config(db, kafka, name=name, offsets_topic=f"{name}.offsets",
                        pipeline={"snapshot": {"mode": "initial_only"}})
    daemon = env.daemon(config)
    daemon.start(wait_ready=False)
    assert daemon.wait(timeout=120) == 0, daemon.current_run_stderr()
    collector.wait_for(lambda: len(_events(collector, topic)) >= 50, 60, "50 snapshot events")
    events = _events(collector, topic)
    assert sorted(e[1] for e in events) == list(range(1, 51)), events
    assert all(e[0] == "r" for e in events), events
    markers = [e[2] for e in events]
    assert markers.count("first") == 1 and markers.count("last") == 1, markers

    env.sql(db, "INSERT INTO items VALUES (51, 'late')")
    daemon.start(wait_ready=False)
    assert daemon.wait(timeout=120) == 0, daemon.current_run_stderr()
    collector.wait_caught_up(timeout=60)
    assert len(_events(collector, topic)) == 50, "a finished initial_only snapshot must not run again"


def test_never_streams_changes_without_a_snapshot(env):
    name = "never"
    db, kafka, collector, topic = _setup(env, 20, name)
    config = env.config(db, kafka, name=name, offsets_topic=f"{name}.offsets",
                        pipeline={"snapshot": {"mode": "never"}})
    daemon = env.daemon(config)
    daemon.start(wait_ready=True)
    env.sql(db, "INSERT INTO items VALUES (100, 'new')")
    env.sql(db, "UPDATE items SET v = 'changed' WHERE id = 1")
    env.sql(db, "DELETE FROM items WHERE id = 2")
    collector.wait_for(lambda: len(_events(collector, topic)) >= 3, 60, "the three streamed changes")
    assert daemon.sigterm(timeout=60) == 0
    collector.wait_caught_up(timeout=60)
    # Keys land on different partitions: compare without cross-partition order.
    assert sorted(_events(collector, topic)) == [("c", 100, "false"), ("d", 2, "false"), ("u", 1, "false")], \
        _events(collector, topic)
