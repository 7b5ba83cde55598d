"""pipelines[].signals against a real PostgreSQL 15 and Kafka (read_committed).

Debezium's signal channels: a signal table (signal.data.collection; columns id, type, data) whose
inserted rows are read from the replication stream, and a Kafka signal topic (signal.kafka.topic;
key = the topic prefix, value {"type", "data"}). The `log` signal logs data.message with the
pipeline. A signal of an unknown type or with data that is not a JSON object is a warning naming
its id, never a crash. A signal is acted on once: after a restart, neither channel's earlier
signals come again. As Debezium, the signal table's rows are change records too when
tables.include captures it, and nothing is written for it when it does not.
"""

import json

from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient

from tributary_testing.feed import EventFeed
from tributary_testing.util import wait_until

SIGNAL_DDL = "CREATE TABLE {} (id varchar(42) PRIMARY KEY, type varchar(32) NOT NULL, data varchar(2048))"


def _produce(kafka, topic, key, value):
    producer = Producer({"bootstrap.servers": getattr(kafka, "direct_bootstrap_servers",
                                                      kafka.bootstrap_servers)})
    producer.produce(topic, key=key.encode(), value=value.encode())
    assert producer.flush(30) == 0, "the signal record was not delivered"


def _wait_logged(daemon, text, what):
    def seen():
        daemon.check_running(what)
        return text in daemon.current_run_stderr()
    wait_until(seen, 60, lambda: f"{what}\n--- stderr (tail) ---\n{daemon.stderr_tail(40)}")


def _log_lines(daemon, text):
    return [line for line in daemon.current_run_stderr().splitlines() if text in line]


def test_log_signals_from_the_table_and_kafka_acted_on_once(env):
    name = "sig"
    signals_topic = f"{name}.signals"
    db = env.database()
    env.sql(db, "CREATE TABLE items (id int PRIMARY KEY, v text)")
    env.sql(db, SIGNAL_DDL.format("debezium_signal"))
    kafka = env.shared_kafka(topics={f"{name}.public.items": 1, f"{name}.offsets": 1, signals_topic: 1})
    collector = env.collector(kafka, topics=[f"{name}.public.items"])
    rows = EventFeed(collector, f"{name}.public.items")
    config = env.config(db, kafka, name=name, offsets_topic=f"{name}.offsets", pipeline={
        "tables": {"include": ["public\\.items"]},
        "signals": {"table": "public.debezium_signal", "kafka_topic": signals_topic}})
    daemon = env.daemon(config)
    daemon.start()

    env.sql(db, "INSERT INTO debezium_signal VALUES ('sig-1', 'log', '{\"message\": \"table signal one 7f3a\"}')")
    _produce(kafka, signals_topic, name, json.dumps({"type": "log", "data": {"message": "kafka signal one 91c2"}}))
    # Not this pipeline's (another topic prefix): not acted on.
    _produce(kafka, signals_topic, "other", json.dumps({"type": "log", "data": {"message": "not ours 55d0"}}))
    _wait_logged(daemon, "table signal one 7f3a", "the table's log signal")
    _wait_logged(daemon, "kafka signal one 91c2", "the Kafka log signal")

    # Bad signals: a warning naming the signal, the pipeline goes on.
    env.sql(db, "INSERT INTO debezium_signal VALUES ('sig-bad-json', 'log', 'not json {')")
    env.sql(db, "INSERT INTO debezium_signal VALUES ('sig-unknown', 'frobnicate', '{}')")
    env.sql(db, "INSERT INTO debezium_signal VALUES ('sig-no-message', 'log', NULL)")
    _produce(kafka, signals_topic, name, "{\"type\": \"log\", \"data\": ")
    _produce(kafka, signals_topic, name, json.dumps({"id": "k-unknown", "type": "nope", "data": {}}))
    env.sql(db, "INSERT INTO items VALUES (1, 'after the signals')")
    rows.wait_for(lambda e: e.op == "c" and e.key == {"id": 1}, 60, "the row after the signals")
    for signal_id in ("sig-bad-json", "sig-unknown", "sig-no-message", "k-unknown"):
        _wait_logged(daemon, f"signal '{signal_id}'", f"the warning naming {signal_id}")
        assert all("WARN" in line for line in _log_lines(daemon, f"'{signal_id}'"))
    _wait_logged(daemon, f"signal '{signals_topic}/0@2'", "the warning naming the bad Kafka record")
    daemon.check_running("the daemon after bad signals")
    first_run = daemon.current_run_stderr()
    assert first_run.count("table signal one 7f3a") == 1 and first_run.count("kafka signal one 91c2") == 1
    assert "not ours 55d0" not in first_run

    # Restart: new signals are acted on, the earlier ones not again.
    assert daemon.sigterm(timeout=60) == 0
    restarted = env.daemon(config, name="tributary-restarted")
    restarted.start()
    env.sql(db, "INSERT INTO debezium_signal VALUES ('sig-2', 'log', '{\"message\": \"table signal two 2b8e\"}')")
    _produce(kafka, signals_topic, name, json.dumps({"type": "log", "data": {"message": "kafka signal two c04d"}}))
    _wait_logged(restarted, "table signal two 2b8e", "the table's second log signal")
    _wait_logged(restarted, "kafka signal two c04d", "the second Kafka log signal")
    second_run = restarted.current_run_stderr()
    for earlier in ("table signal one 7f3a", "kafka signal one 91c2", "'sig-bad-json'", "'k-unknown'"):
        assert earlier not in second_run, f"{earlier} acted on again after the restart"
    assert restarted.sigterm(timeout=60) == 0

    # The signal table is not captured: nothing of it reached Kafka.
    admin = AdminClient({"bootstrap.servers": getattr(kafka, "direct_bootstrap_servers", kafka.bootstrap_servers)})
    assert f"{name}.public.debezium_signal" not in admin.list_topics(timeout=30).topics


def test_captured_signal_table_is_also_written_as_debezium_does(env):
    name = "sigcap"
    db = env.database()
    env.sql(db, "CREATE TABLE items (id int PRIMARY KEY, v text)")
    env.sql(db, SIGNAL_DDL.format("signals"))
    signal_rows = f"{name}.public.signals"
    kafka = env.shared_kafka(topics={f"{name}.public.items": 1, signal_rows: 1, f"{name}.offsets": 1})
    collector = env.collector(kafka, topics=[signal_rows])
    feed = EventFeed(collector, signal_rows)
    config = env.config(db, kafka, name=name, offsets_topic=f"{name}.offsets",
                        pipeline={"signals": {"table": "public.signals"}})
    daemon = env.daemon(config)
    daemon.start()
    env.sql(db, "INSERT INTO signals VALUES ('cap-1', 'log', '{\"message\": \"captured signal 6e1f\"}')")
    _wait_logged(daemon, "captured signal 6e1f", "the captured table's log signal")
    event = feed.wait_for(lambda e: e.op == "c" and e.key == {"id": "cap-1"}, 60, "the signal row's record")
    assert event.payload["after"] == {"id": "cap-1", "type": "log", "data": "{\"message\": \"captured signal 6e1f\"}"}
    assert daemon.sigterm(timeout=60) == 0


def test_missing_signal_table_is_a_configuration_error(env):
    name = "signone"
    db = env.database()
    env.sql(db, "CREATE TABLE items (id int PRIMARY KEY, v text)")
    kafka = env.shared_kafka(topics={f"{name}.public.items": 1, f"{name}.offsets": 1})
    config = env.config(db, kafka, name=name, offsets_topic=f"{name}.offsets",
                        pipeline={"signals": {"table": "public.no_such_signals"}})
    daemon = env.daemon(config)
    checked = daemon.check()
    assert checked.returncode == 1, f"check exited {checked.returncode}:\n{checked.stdout}{checked.stderr}"
    assert "signals.table public.no_such_signals does not exist" in checked.stdout + checked.stderr
    daemon.start(wait_ready=False)
    assert daemon.wait(120) == 2
    assert "signals.table public.no_such_signals does not exist" in daemon.stderr_tail(60)
    # Once the table exists, check passes it and run reads it.
    env.sql(db, SIGNAL_DDL.format("no_such_signals"))
    checked = daemon.check()
    assert "signals.table public.no_such_signals exists" in checked.stdout + checked.stderr, checked.stdout


def test_mysql_signal_table_and_kafka(env, request):
    from tributary_testing.sources import items_source

    name = "sigmy"
    signals_topic = f"{name}.signals"
    source = items_source("mysql", env, request)
    with source.connect() as conn:
        cur = conn.cursor()
        cur.execute("CREATE TABLE items (id int PRIMARY KEY, v text)")
        cur.execute(SIGNAL_DDL.format("debezium_signal"))
    signal_rows = source.topic(name, "debezium_signal")
    kafka = env.shared_kafka(topics={source.topic(name): 1, signal_rows: 1, f"{name}.offsets": 1,
                                     signals_topic: 1})
    collector = env.collector(kafka, topics=[signal_rows])
    feed = EventFeed(collector, signal_rows)
    config = source.config(kafka, name, offsets_topic=f"{name}.offsets", pipeline={
        "signals": {"table": f"{source.db}.debezium_signal", "kafka_topic": signals_topic}})
    daemon = env.daemon(config)
    daemon.start()
    with source.connect() as conn:
        cur = conn.cursor()
        cur.execute("INSERT INTO debezium_signal VALUES ('my-1', 'log', '{\"message\": \"mysql table signal 3d9a\"}')")
        cur.execute("INSERT INTO debezium_signal VALUES ('my-bad', 'nope', '{}')")
    _produce(kafka, signals_topic, name, json.dumps({"type": "log", "data": {"message": "mysql kafka signal e71b"}}))
    _wait_logged(daemon, "mysql table signal 3d9a", "the MariaDB table's log signal")
    _wait_logged(daemon, "mysql kafka signal e71b", "the Kafka log signal")
    _wait_logged(daemon, "signal 'my-bad'", "the warning naming my-bad")
    # Captured, as Debezium requires on MySQL: its rows are change records too.
    feed.wait_for(lambda e: e.op == "c" and e.key == {"id": "my-1"}, 60, "the signal row's record")

    assert daemon.sigterm(timeout=60) == 0
    restarted = env.daemon(config, name="tributary-restarted")
    restarted.start()
    with source.connect() as conn:
        conn.cursor().execute(
            "INSERT INTO debezium_signal VALUES ('my-2', 'log', '{\"message\": \"mysql table signal two 0f4c\"}')")
    _wait_logged(restarted, "mysql table signal two 0f4c", "the second MariaDB signal")
    second_run = restarted.current_run_stderr()
    for earlier in ("mysql table signal 3d9a", "mysql kafka signal e71b", "'my-bad'"):
        assert earlier not in second_run, f"{earlier} acted on again after the restart"
    assert restarted.sigterm(timeout=60) == 0
