"""Topics on a real Kafka with auto.create.topics.enable=false: created by the daemon with the
configured partitions and config (overrides, the compacted offsets topic, a table created while
streaming), `kafka.topics.create: false` stopping with exit 2 before anything is produced, and the
topic and broker findings of `tributary check`.

One broker serves the module (each test has its own topic prefix and offsets topic); the check of
the transaction state log settings starts its own, misconfigured one.
"""


import pytest

from tributary_testing.daemon import write_config
from tributary_testing.feed import row_events
from tributary_testing.kafka_server import RealKafka
from tributary_testing.util import wait_until


@pytest.fixture(scope="module")
def kafka(binaries, tmp_path_factory):
    server = RealKafka(nodes=1, logdir=str(tmp_path_factory.mktemp("kafka")), auto_create_topics=False)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def shared(env, kafka):
    env.shared.append(kafka)  # logs attached on failure; left running
    return kafka


def _ids(collector, topic):
    """Row ids of a topic's data records (tombstones left out)."""
    return sorted(key for _, key, _ in row_events(collector, topic))


def _topics(kafka):
    return kafka.metadata().topics


def _partitions(kafka, topic):
    return len(_topics(kafka)[topic].partitions)


def _config(env, db, kafka, prefix, topics=None):
    config = env.config(db, kafka, name=prefix, topic_prefix=prefix, offsets_topic=f"{prefix}.offsets")
    if topics is not None:
        config["kafka"]["topics"] = topics
    return config


def _check(daemon, config):
    """`tributary check` on `config`: (exit code, stdout + stderr)."""
    write_config(daemon.config_path, config)
    result = daemon.check(timeout=120)
    return result.returncode, result.stdout + result.stderr


def test_run_creates_missing_topics_with_the_configured_settings(env, shared):
    kafka, prefix = shared, "created"
    items, orders, offsets = f"{prefix}.public.items", f"{prefix}.public.orders", f"{prefix}.offsets"
    db = env.database()
    env.sql(db, "CREATE TABLE items (id int PRIMARY KEY, v text NOT NULL)")
    env.sql(db, "CREATE TABLE orders (id int PRIMARY KEY, v text NOT NULL)")
    env.sql(db, "INSERT INTO items SELECT g, 'i' || g FROM generate_series(1, 20) g")
    env.sql(db, "INSERT INTO orders SELECT g, 'o' || g FROM generate_series(1, 5) g")
    assert not {items, orders, offsets} & set(_topics(kafka)), "the topics must not exist before the run"

    config = _config(env, db, kafka, prefix, topics={
        "partitions": 3,
        "config": {"retention.ms": 3600000},
        "overrides": [
            {"match": f"{prefix}\\.public\\.orders", "partitions": 2, "config": {"max.message.bytes": 2000000}},
            # Matches orders too, but the first matching override wins.
            {"match": f"{prefix}\\.public\\.o.*", "partitions": 7},
        ],
    })
    collector = env.collector(kafka, topics=[items, orders])
    daemon = env.daemon(config)
    daemon.start(wait_ready=True)
    env.sql(db, "INSERT INTO items VALUES (100, 'streamed')")
    collector.wait_for(lambda: _ids(collector, items) == list(range(1, 21)) + [100]
                       and _ids(collector, orders) == list(range(1, 6)), 120,
                       lambda: f"every row (items {_ids(collector, items)}, orders {_ids(collector, orders)})")

    assert _partitions(kafka, items) == 3
    assert _partitions(kafka, orders) == 2
    assert _partitions(kafka, offsets) == 1
    items_config, orders_config = kafka.topic_config(items), kafka.topic_config(orders)
    assert items_config["retention.ms"] == "3600000", items_config
    assert items_config["cleanup.policy"] == "delete", items_config
    assert orders_config["retention.ms"] == "3600000", "an override keeps the default config it does not set"
    assert orders_config["max.message.bytes"] == "2000000", orders_config
    assert kafka.topic_config(offsets)["cleanup.policy"] == "compact"
    output = daemon.current_run_stderr()
    assert (f"creating Kafka topic {items} (partitions 3, replication factor the broker's default, "
            f"config retention.ms=3600000)") in output, output
    assert daemon.sigterm(timeout=60) == 0


def test_a_table_created_while_streaming_gets_its_topic_before_its_first_record(env, shared):
    kafka, prefix = shared, "late"
    late = f"{prefix}.public.late_rows"
    db = env.database()
    env.sql(db, "CREATE TABLE items (id int PRIMARY KEY, v text NOT NULL)")
    # A publication for all tables streams tables created later (tributary's own lists its tables).
    env.pg.execute(f'CREATE PUBLICATION "tributary_{db}" FOR ALL TABLES', database=db)
    config = _config(env, db, kafka, prefix, topics={
        "overrides": [{"match": f"{prefix}\\.public\\.late_.*", "partitions": 4}]})
    collector = env.collector(kafka, pattern=f"{prefix}\\.public\\..*")
    daemon = env.daemon(config)
    daemon.start(wait_ready=True)
    wait_until(lambda: f"{prefix}.public.items" in _topics(kafka), 60, "the items topic")
    assert late not in _topics(kafka)

    env.sql(db, "CREATE TABLE late_rows (id int PRIMARY KEY, v text NOT NULL)")
    env.sql(db, "INSERT INTO late_rows SELECT g, 'l' || g FROM generate_series(1, 10) g")
    collector.wait_for(lambda: _ids(collector, late) == list(range(1, 11)), 120,
                       lambda: f"the late table's 10 rows (got {_ids(collector, late)})")
    assert _partitions(kafka, late) == 4
    assert f"creating Kafka topic {late} (partitions 4," in daemon.current_run_stderr()
    assert daemon.sigterm(timeout=60) == 0


def test_create_false_with_missing_topics_exits_2_naming_them_before_producing(env, shared):
    kafka, prefix = shared, "nocreate"
    items, orders, offsets = f"{prefix}.public.items", f"{prefix}.public.orders", f"{prefix}.offsets"
    db = env.database()
    env.sql(db, "CREATE TABLE items (id int PRIMARY KEY, v text NOT NULL)")
    env.sql(db, "CREATE TABLE orders (id int PRIMARY KEY, v text NOT NULL)")
    env.sql(db, "INSERT INTO items SELECT g, 'i' || g FROM generate_series(1, 20) g")
    kafka.create_topic(items, 2)
    config = _config(env, db, kafka, prefix, topics={"create": False})
    daemon = env.daemon(config)
    daemon.start(wait_ready=False)
    code = daemon.wait(timeout=120)
    output = daemon.current_run_stderr()
    assert code == 2, f"expected exit 2 for missing topics with create: false, got {code}:\n{output}"
    assert (f"Kafka topics {orders}, {offsets} do not exist and kafka.topics.create is false (fix: "
            f"create them, e.g. kafka-topics.sh --bootstrap-server {kafka.bootstrap_servers} --create "
            f"--topic {orders} --partitions 1, or set kafka.topics.create: true)") in output, output
    assert not {orders, offsets} & set(_topics(kafka)), "create: false must not create topics"
    assert set(kafka.high_watermarks(items).values()) == {0}, "nothing may be produced before the topics exist"

    # The fix the message gives works: with the topics there, the same configuration runs.
    kafka.create_topic(orders, 1)
    kafka.create_topic(offsets, 1, config={"cleanup.policy": "compact"})
    collector = env.collector(kafka, topics=[items])
    daemon.start(wait_ready=True)
    collector.wait_for(lambda: _ids(collector, items) == list(range(1, 21)), 120, "the 20 snapshot rows")
    assert daemon.sigterm(timeout=60) == 0


def test_check_reports_missing_topics_and_an_uncompacted_offsets_topic(env, shared):
    kafka, prefix = shared, "checked"
    items, offsets = f"{prefix}.public.items", f"{prefix}.offsets"
    servers = kafka.bootstrap_servers
    db = env.database()
    env.sql(db, "CREATE TABLE items (id int PRIMARY KEY, v text NOT NULL)")
    kafka.create_topic(offsets, 1)  # the broker's default cleanup.policy: delete
    config = _config(env, db, kafka, prefix, topics={"create": False})
    daemon = env.daemon(config)

    code, output = _check(daemon, config)
    assert code == 1, f"check exited {code}, expected 1:\n{output}"
    assert (f"PROBLEM kafka: topic {items} does not exist and kafka.topics.create is false (fix: create "
            f"it: kafka-topics.sh --bootstrap-server {servers} --create --topic {items} --partitions 1, "
            f"or set kafka.topics.create: true)") in output, output
    assert (f"PROBLEM kafka: offsets topic {offsets} has cleanup.policy=delete, not compact: Kafka "
            "deletes offsets records once they are older than the topic's retention") in output, output
    assert (f"(fix: kafka-configs.sh --bootstrap-server {servers} --alter --entity-type topics "
            f"--entity-name {offsets} --add-config cleanup.policy=compact)") in output, output
    assert "2 problem(s) found" in output, output

    # create: true turns the missing topic into a fact; the offsets topic stays a problem.
    config["kafka"]["topics"] = {"create": True, "partitions": 6}
    code, output = _check(daemon, config)
    assert code == 1, output
    assert (f"ok      kafka: topic {items} does not exist yet: run creates it (partitions 6, "
            "replication factor the broker's default)") in output, output
    assert "1 problem(s) found" in output, output

    # Compacted, nothing is left to report; and check created nothing.
    from confluent_kafka.admin import ConfigResource

    resource = ConfigResource("topic", offsets, set_config={"cleanup.policy": "compact"})
    for future in kafka.admin().alter_configs([resource]).values():
        future.result(timeout=30)
    wait_until(lambda: kafka.topic_config(offsets)["cleanup.policy"] == "compact", 30, "the altered config")
    code, output = _check(daemon, config)
    assert code == 0, f"check exited {code}, expected 0:\n{output}"
    assert f"ok      kafka: offsets topic {offsets} is compacted" in output, output
    assert "transaction.state.log" not in output, output
    assert items not in _topics(kafka), "check must not create topics"


def test_check_reports_transaction_state_log_settings_above_the_broker_count(env):
    kafka = env.kafka(backend="kafka", broker_config={"transaction.state.log.replication.factor": 3,
                                                      "transaction.state.log.min.isr": 2})
    db = env.database()
    env.sql(db, "CREATE TABLE items (id int PRIMARY KEY, v text NOT NULL)")
    config = _config(env, db, kafka, "txnlog")
    daemon = env.daemon(config)
    code, output = _check(daemon, config)
    assert code == 1, f"check exited {code}, expected 1:\n{output}"
    assert ("PROBLEM kafka: broker 1 has transaction.state.log.replication.factor=3 but the cluster has "
            "1 broker(s): Kafka cannot create its transaction state topic, so every transaction would "
            "hang (fix: set transaction.state.log.replication.factor to at most 1 in the brokers' "
            "configuration and restart them, or add brokers)") in output, output
    assert ("PROBLEM kafka: broker 1 has transaction.state.log.min.isr=2 but the cluster has 1 "
            "broker(s): writes to the transaction state log fail, so no transaction can commit (fix: "
            "set transaction.state.log.min.isr to at most 1 in the brokers' configuration and restart "
            "them, or add brokers)") in output, output
    assert "2 problem(s) found" in output, output
