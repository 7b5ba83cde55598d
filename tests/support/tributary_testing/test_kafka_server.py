"""The real-Kafka harness's own tests: a node starts, keeps its data across SIGKILL and restart,
serves transactions to read_committed consumers, freezes and thaws, a 3-node cluster forms with
replication factor 3, and the proxy cuts and stalls client connections."""

import logging
import socket
import threading
import uuid

import pytest

from tributary_testing.kafka_server import RealKafka, java_string_hash
from tributary_testing.proxy import TcpProxy
from tributary_testing.util import Deadline, wait_until

LOG = logging.getLogger("tributary_testing.test_kafka_server")


def _producer(kafka, transactional_id=None):
    from confluent_kafka import Producer

    config = {"bootstrap.servers": kafka.bootstrap_servers, "logger": LOG, "linger.ms": 5}
    if transactional_id:
        config["transactional.id"] = transactional_id
    return Producer(config)


def _read_all(kafka, topic, isolation="read_committed", expected=None, timeout=30.0):
    """Every record value of `topic` from the beginning, waiting until `expected` of them arrived."""
    from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition

    consumer = Consumer({"bootstrap.servers": kafka.bootstrap_servers, "group.id": f"t-{uuid.uuid4()}",
                         "isolation.level": isolation, "enable.auto.commit": False, "logger": LOG})
    partitions = kafka.metadata().topics[topic].partitions
    consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in partitions])
    values = []
    deadline = Deadline(timeout)
    try:
        while not deadline.expired():
            for message in consumer.consume(num_messages=1000, timeout=0.2):
                if message.error() is None:
                    values.append(message.value())
            if expected is not None and len(values) >= expected:
                break
        return values
    finally:
        consumer.close()


@pytest.fixture
def kafka(tmp_path):
    with RealKafka(logdir=str(tmp_path), topics={"t": 3}) as server:
        yield server


def test_java_string_hash_matches_java():
    # Values of "x".hashCode() computed by Java.
    assert java_string_hash("") == 0
    assert java_string_hash("hello") == 99162322
    assert java_string_hash("polygenelubricants") == -2147483648  # Integer.MIN_VALUE


def test_start_produce_restart_keeps_data(kafka):
    assert kafka.topic_config("t")["cleanup.policy"] == "delete"
    producer = _producer(kafka)
    for i in range(100):
        producer.produce("t", key=str(i).encode(), value=f"v{i}".encode())
    assert producer.flush(30) == 0
    before = kafka.high_watermarks("t")
    assert sum(before.values()) == 100

    kafka.kill()          # SIGKILL: no clean shutdown
    kafka.start_node()    # same data dir and port
    assert kafka.high_watermarks("t") == before
    assert sorted(_read_all(kafka, "t", expected=100)) == sorted(f"v{i}".encode() for i in range(100))


def test_transactions_hidden_until_committed_and_aborted_never_seen(kafka):
    producer = _producer(kafka, "harness-txn")
    producer.init_transactions(30)
    producer.begin_transaction()
    producer.produce("t", value=b"aborted")
    producer.flush(30)
    producer.abort_transaction(30)
    producer.begin_transaction()
    producer.produce("t", value=b"committed")
    producer.commit_transaction(30)
    assert _read_all(kafka, "t", expected=1, timeout=10) == [b"committed"]
    assert sorted(_read_all(kafka, "t", isolation="read_uncommitted", expected=2, timeout=10)) == \
        [b"aborted", b"committed"]


def test_freeze_stops_answers_and_thaw_resumes(kafka):
    from confluent_kafka import KafkaException

    kafka.freeze()
    try:
        with pytest.raises(KafkaException):
            kafka.admin().list_topics(timeout=1.5)
    finally:
        kafka.thaw()
    kafka.wait_ready(60)
    assert "t" in kafka.metadata().topics


def test_three_node_cluster_forms_with_replication_three(tmp_path):
    with RealKafka(nodes=3, logdir=str(tmp_path), topics={"r": 2}) as cluster:
        metadata = cluster.metadata()
        assert sorted(metadata.brokers) == [1, 2, 3]
        for partition in metadata.topics["r"].partitions.values():
            assert len(partition.replicas) == 3
            assert len(partition.isrs) == 3
        assert cluster.topic_config("r")["min.insync.replicas"] == "2"
        leader = cluster.partition_leader("r", 0)
        cluster.kill(leader)
        wait_until(lambda: cluster.partition_leader("r", 0) not in (leader, -1), 60,
                   "a new leader of r[0]")
        cluster.start_node(leader)
        # __transaction_state exists once a transactional producer has initialised.
        _producer(cluster, "tributary-shop").init_transactions(60)
        assert cluster.transaction_coordinator("tributary-shop") in (1, 2, 3)


class _Echo:
    """A loopback echo server for the proxy's tests."""

    def __init__(self):
        self.server = socket.create_server(("127.0.0.1", 0))
        self.address = self.server.getsockname()[:2]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            threading.Thread(target=self._echo, args=(conn,), daemon=True).start()

    @staticmethod
    def _echo(conn):
        with conn:
            while True:
                data = conn.recv(4096)
                if not data:
                    return
                conn.sendall(data)


def _roundtrip(sock, data, timeout=5.0):
    sock.settimeout(timeout)
    sock.sendall(data)
    received = b""
    while len(received) < len(data):
        chunk = sock.recv(4096)
        if not chunk:
            raise ConnectionError("closed")
        received += chunk
    return received


def test_proxy_forwards_cuts_stalls_and_refuses():
    echo = _Echo()
    with TcpProxy(echo.address) as proxy:
        client = socket.create_connection(proxy.address)
        assert _roundtrip(client, b"hello") == b"hello"

        proxy.stall()
        client.settimeout(0.5)
        client.sendall(b"held")
        with pytest.raises(socket.timeout):
            client.recv(10)
        proxy.resume()
        client.settimeout(5)
        assert client.recv(10) == b"held"

        proxy.cut()
        client.settimeout(5)
        assert client.recv(10) == b""  # closed by the proxy
        client.close()

        proxy.refuse(True)
        refused = socket.create_connection(proxy.address)
        refused.settimeout(5)
        assert refused.recv(10) == b""
        refused.close()
        proxy.refuse(False)
        again = socket.create_connection(proxy.address)
        assert _roundtrip(again, b"back") == b"back"
        again.close()


def test_proxied_kafka_clients_go_through_the_proxy(tmp_path):
    with RealKafka(logdir=str(tmp_path), topics={"p": 1}, proxied=True) as kafka:
        proxy = kafka.proxy(1)
        assert kafka.bootstrap_servers == f"127.0.0.1:{proxy.port}"
        producer = _producer(kafka)
        producer.produce("p", value=b"one")
        assert producer.flush(30) == 0
        assert proxy.accepted >= 1
        proxy.cut()
        producer.produce("p", value=b"two")
        assert producer.flush(30) == 0  # librdkafka reconnects through the proxy
        assert sorted(_read_all(kafka, "p", expected=2)) == [b"one", b"two"]
