"""Kafka over TLS + SASL/SCRAM-SHA-512 for real: one broker for the module whose client listener is
SASL_SSL only (RealKafka(security="SASL_SSL"), its certificate from tributary_testing.certs).

tributary reaches it through `kafka.properties` (security.protocol, sasl.*, ssl.ca.location) with the
password from `${KAFKA_PASSWORD}`; a read_committed consumer over SASL_SSL checks the stream. A wrong
password and a CA that did not sign the broker's certificate fail with a clear error that never
shows the password, and plaintext or TLS-without-SASL clients are refused by the broker. One more
broker, SSL with required client certificates, checks mutual TLS."""

import os
import uuid

import pytest

from tributary_testing.certs import make_ca
from tributary_testing.daemon import run_cli, write_config
from tributary_testing.feed import EventFeed, change_matcher
from tributary_testing.kafka import Collector
from tributary_testing.kafka_server import SASL_MECHANISM, RealKafka
from tributary_testing.util import wait_until
from tributary_testing.verifier import verify_exactly_once
from tributary_testing.workload import Workload, create_items_table, preload_items, read_rows


@pytest.fixture(scope="module")
def secure_kafka(tmp_path_factory):
    kafka = RealKafka(security="SASL_SSL", logdir=str(tmp_path_factory.mktemp("sasl-ssl-kafka"))).start()
    yield kafka
    kafka.stop()


@pytest.fixture
def secure(env, secure_kafka, monkeypatch):
    """The module's broker, its log attached to a failure report; KAFKA_PASSWORD set to the right one."""
    env.shared.append(secure_kafka)
    monkeypatch.setenv("KAFKA_PASSWORD", secure_kafka.sasl_users["tributary"])
    return secure_kafka


def security_properties(kafka, ca_path=None):
    """kafka.properties for tributary, as a user writes them (the password from the environment)."""
    return {"security.protocol": "SASL_SSL", "sasl.mechanisms": SASL_MECHANISM,
            "sasl.username": "tributary", "sasl.password": "${KAFKA_PASSWORD}",
            "ssl.ca.location": ca_path or kafka.ca_path}


def secure_config(env, db, kafka, name, ca_path=None, **kwargs):
    config = env.config(db, kafka, name=name, offsets_topic=f"{name}.offsets", **kwargs)
    config["kafka"]["properties"] = security_properties(kafka, ca_path)
    return config


def secure_collector(env, kafka, topics):
    collector = Collector(kafka.bootstrap_servers, topics=topics, extra_config=kafka.client_config()).start()
    env.collectors.append(collector)
    return collector


def output(result):
    return result.stdout + result.stderr


def test_snapshot_and_changes_exactly_once_over_sasl_ssl(env, secure):
    name = "secure"
    topic = f"{name}.public.items"
    db = env.database()
    conn = env.connect(db)
    create_items_table(conn)
    initial = preload_items(conn, 2000)
    secure.create_topic(topic, 8)
    secure.create_topic(f"{name}.offsets", 1, config={"cleanup.policy": "compact"})
    collector = secure_collector(env, secure, [topic])
    feed = EventFeed(collector, topic)
    daemon = env.daemon(secure_config(env, db, secure, name, max_events=500))

    check = daemon.check()
    assert check.returncode == 0, f"check against the right settings failed:\n{output(check)}"

    workload = Workload(lambda: env.connect(db, autocommit=False), initial, seed=13)
    env.workloads.append(workload)
    slot = daemon.config["pipelines"][0]["source"]["slot"]
    daemon.start(wait_ready=False)
    # Changes committed before the slot exists belong to the snapshot, the rest to the stream (so
    # the last change is a streamed event however slowly the daemon gets going).
    workload.run(200, max_txn_size=50)
    wait_until(lambda: daemon.check_running("the replication slot") and env.pg.slot_info(slot), 120,
               lambda: f"replication slot {slot} to be created\n{daemon.stderr_tail(30)}")
    workload.start(1300, max_txn_size=50)
    daemon.wait_ready(timeout=120)
    workload.join(timeout=300)
    last = workload.log[-1]
    feed.wait_for(change_matcher(last), 180,
                  lambda: f"the workload's last change (seq {last.seq}) in {topic}\n{daemon.stderr_tail(20)}")
    assert daemon.metric("tributary_kafka_transactions_total", result="committed") > 0
    final = read_rows(conn)
    assert daemon.sigterm(timeout=60) == 0
    collector.wait_caught_up(timeout=60)
    feed.poll()

    result = verify_exactly_once(feed.events, workload.log, initial, final, topic_prefix=name, database=db,
                                 schemas=True, partitions=collector.partition_count(topic))
    print("verification:", result.stats)
    result.raise_if_failed()
    assert result.stats["snapshot_rows"] > 0 and result.stats["streamed"] > 0
    password = secure.sasl_users["tributary"]
    assert password not in open(daemon.stderr_path).read() + output(check)


def test_wrong_password_is_an_authentication_error_without_the_password(env, secure, monkeypatch):
    wrong = f"wrong-{uuid.uuid4().hex}"
    monkeypatch.setenv("KAFKA_PASSWORD", wrong)
    db = env.database()
    create_items_table(env.connect(db))
    daemon = env.daemon(secure_config(env, db, secure, "badpass"))

    check = daemon.check()
    text = output(check)
    assert check.returncode != 0, f"check passed with a wrong SASL password:\n{text}"
    # The PROBLEM line points at kafka.properties; librdkafka's error line beside it says why.
    assert "PROBLEM kafka" in check.stdout and "kafka.properties" in check.stdout, text
    assert "SASL authentication error" in check.stderr and "invalid credentials" in check.stderr, \
        f"check does not say the authentication failed:\n{text}"
    assert wrong not in text
    print("check with a wrong password:\n" + text)

    daemon.start(wait_ready=False)
    wait_until(lambda: "SASL authentication error" in daemon.current_run_stderr(), 60,
               lambda: f"the daemon to report the failed SASL authentication\n{daemon.stderr_tail(30)}")
    daemon.stop()
    assert wrong not in open(daemon.stderr_path).read()


def test_ca_that_did_not_sign_the_broker_is_a_tls_error(env, secure, tmp_path):
    other = make_ca(tmp_path / "other-ca", name="not-the-broker-ca")
    db = env.database()
    create_items_table(env.connect(db))
    daemon = env.daemon(secure_config(env, db, secure, "badca", ca_path=other.cert_path))

    check = daemon.check()
    text = output(check)
    assert check.returncode != 0, f"check passed with a CA that did not sign the broker's certificate:\n{text}"
    assert "PROBLEM kafka" in check.stdout and "kafka.properties" in check.stdout, text
    assert "certificate verify failed" in check.stderr and "ssl.ca.location" in check.stderr, \
        f"check does not name the TLS failure:\n{text}"
    assert secure.sasl_users["tributary"] not in text
    print("check with the wrong CA:\n" + text)


def test_broker_refuses_plaintext_and_tls_without_sasl(secure):
    from confluent_kafka import KafkaException
    from confluent_kafka.admin import AdminClient

    def refused(config):
        client = AdminClient({"bootstrap.servers": secure.bootstrap_servers, **config})
        with pytest.raises(KafkaException):
            client.list_topics(timeout=5)

    refused({})  # PLAINTEXT
    refused({"security.protocol": "SSL", "ssl.ca.location": secure.ca_path})
    refused({"security.protocol": "SASL_PLAINTEXT", "sasl.mechanisms": SASL_MECHANISM,
             "sasl.username": "tributary", "sasl.password": secure.sasl_users["tributary"]})
    # ... while the same port answers a client with TLS and SASL.
    AdminClient({"bootstrap.servers": secure.bootstrap_servers, **secure.client_config()}).list_topics(timeout=30)


def test_unset_password_variable_is_named_and_kafka_password_is_secret(env, secure, tmp_path, monkeypatch):
    db = env.database()
    config = secure_config(env, db, secure, "novar")
    path = write_config(str(tmp_path / "novar.yaml"), config)

    monkeypatch.delenv("KAFKA_PASSWORD")
    missing = run_cli(["check", "--offline", "-c", path])
    assert missing.returncode != 0 and "KAFKA_PASSWORD" in output(missing), output(missing)

    # A value librdkafka refuses next to the password: the error names the key, never the secret.
    secret = f"s3cret-{uuid.uuid4().hex}"
    monkeypatch.setenv("KAFKA_PASSWORD", secret)
    config["kafka"]["properties"]["security.protocol"] = "SASL_TLS"
    write_config(path, config)
    bad = run_cli(["check", "--offline", "-c", path])
    assert bad.returncode != 0 and "security.protocol" in output(bad), output(bad)
    assert secret not in output(bad)


def test_mutual_tls_needs_the_client_certificate(env, tmp_path):
    """security.protocol SSL on a broker that requires client certificates (its own broker: the
    module's is SASL_SSL): `check` passes with tributary's certificate and key, fails without."""
    with RealKafka(security="SSL", ssl_client_auth=True, logdir=str(tmp_path)) as kafka:
        env.shared.append(kafka)
        cert, key = kafka.ca.issue("tributary", client=True)
        db = env.database()
        create_items_table(env.connect(db))
        kafka.create_topic("mtls.offsets", 1, config={"cleanup.policy": "compact"})
        config = env.config(db, kafka, name="mtls", offsets_topic="mtls.offsets")
        config["kafka"]["properties"] = {"security.protocol": "SSL", "ssl.ca.location": kafka.ca_path,
                                         "ssl.certificate.location": cert, "ssl.key.location": key}
        daemon = env.daemon(config)
        check = daemon.check()
        assert check.returncode == 0, f"check with the client certificate failed:\n{output(check)}"

        del config["kafka"]["properties"]["ssl.certificate.location"]
        del config["kafka"]["properties"]["ssl.key.location"]
        write_config(daemon.config_path, config)
        check = daemon.check()
        assert check.returncode != 0, f"check passed without a client certificate:\n{output(check)}"
        assert "PROBLEM kafka" in check.stdout and "bad certificate" in check.stderr, output(check)
        print("check without the client certificate:\n" + output(check))
