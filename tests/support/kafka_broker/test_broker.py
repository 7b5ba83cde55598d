"""Tests of the tributary test Kafka broker with librdkafka clients
(confluent_kafka on Debian's librdkafka 2.0.2), kcat and raw protocol
requests.  Run with /usr/bin/python3 -m pytest -q test_broker.py.

Every test starts its own broker on port 0 and stops it.  Waiting is always
on a condition with a deadline.
"""

import os
import queue
import socket
import struct
import subprocess
import sys
import threading
import time
import uuid

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import kafka_protocol as kp  # noqa: E402

# Debian's python3-confluent-kafka (librdkafka 2.0.2); a hard dependency:
# a missing package must fail the suite, not skip it.
from confluent_kafka import (  # noqa: E402
    Consumer, KafkaError, KafkaException, Producer, TopicPartition,
    OFFSET_BEGINNING,
)

PYTHON = "/usr/bin/python3"
BROKER = os.path.join(HERE, "broker.py")
KCAT = "/usr/bin/kcat"


# ---------------------------------------------------------------------------
# Harness
# ---------------------------------------------------------------------------
def wait_until(cond, timeout=15.0, what="condition", interval=0.02):
    deadline = time.monotonic() + timeout
    while True:
        v = cond()
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError("timed out after %.1fs waiting for %s"
                                 % (timeout, what))
        time.sleep(interval)


class BrokerProcess:
    def __init__(self, log_path, *args):
        self.log_path = log_path
        self.log = open(log_path, "wb")
        self.proc = subprocess.Popen(
            [PYTHON, BROKER, "--port", "0", *args],
            stdout=subprocess.PIPE, stderr=self.log, stdin=subprocess.DEVNULL)
        lines = queue.Queue()

        def reader():
            for line in self.proc.stdout:
                lines.put(line.decode().strip())

        threading.Thread(target=reader, daemon=True).start()
        info = {}
        deadline = time.monotonic() + 20
        while "BOOTSTRAP" not in info or "ADMIN" not in info:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self.proc.poll() is not None:
                self.stop()
                raise RuntimeError("broker did not start:\n" + self.logs())
            try:
                line = lines.get(timeout=remaining)
            except queue.Empty:
                continue
            k, _, v = line.partition("=")
            info[k] = v
        self.bootstrap = info["BOOTSTRAP"]
        self.admin_addr = info["ADMIN"]
        host, port = self.bootstrap.rsplit(":", 1)
        self.host, self.port = host, int(port)

    def admin(self, command):
        host, port = self.admin_addr.rsplit(":", 1)
        with socket.create_connection((host, int(port)), timeout=10) as s:
            s.sendall((command + "\n").encode())
            data = b""
            while not data.endswith(b"\n"):
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
        reply = data.decode().strip()
        assert reply.startswith("ok"), "admin %r -> %r" % (command, reply)
        return reply

    def admin_kv(self, command):
        return dict(w.split("=", 1) for w in self.admin(command).split()[1:])

    def offsets(self, topic, partition=0):
        return {k: int(v) for k, v in
                self.admin_kv("offsets %s %d" % (topic, partition)).items()}

    def stats(self):
        return {k: int(v) for k, v in self.admin_kv("stats").items()}

    def logs(self):
        if not self.log.closed:
            self.log.flush()
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


@pytest.fixture
def broker_factory(tmp_path):
    started = []

    def start(*args):
        b = BrokerProcess(str(tmp_path / ("broker%d.log" % len(started))),
                          *args)
        started.append(b)
        return b

    yield start
    for b in started:
        b.stop()
        # shown by pytest only when the test fails
        print("---- broker log (%s) ----" % b.log_path)
        print(b.logs()[-20000:])


@pytest.fixture
def broker(broker_factory):
    return broker_factory()


def unique(prefix):
    return "%s-%s" % (prefix, uuid.uuid4().hex[:8])


class Closing:
    """Closes librdkafka clients at the end of a test."""

    def __init__(self):
        self.clients = []

    def add(self, c):
        self.clients.append(c)
        return c

    def close_all(self):
        for c in reversed(self.clients):
            try:
                if isinstance(c, Consumer):
                    c.close()
                else:
                    c.flush(5)
            except Exception:
                pass


@pytest.fixture
def clients():
    c = Closing()
    yield c
    c.close_all()


def producer(broker, clients, **conf):
    base = {"bootstrap.servers": broker.bootstrap, "linger.ms": 5}
    base.update(conf)
    return clients.add(Producer(base))


def txn_producer(broker, clients, txn_id, **conf):
    return producer(broker, clients, **{"transactional.id": txn_id, **conf})


def consumer(broker, clients, isolation="read_committed", group=None,
             **conf):
    base = {"bootstrap.servers": broker.bootstrap,
            "group.id": group or unique("g"),
            "isolation.level": isolation,
            "enable.auto.commit": False,
            "enable.partition.eof": True,
            "auto.offset.reset": "earliest",
            "fetch.wait.max.ms": 100}
    base.update(conf)
    return clients.add(Consumer(base))


def assign_from_start(c, topic, partitions=(0,)):
    c.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in partitions])


def read_to_eof(c, npartitions=1, timeout=20.0):
    """Consume until every partition reported EOF; return message values."""
    values = []
    eof = set()
    deadline = time.monotonic() + timeout
    while len(eof) < npartitions:
        if time.monotonic() > deadline:
            raise AssertionError("no EOF after %.0fs; got %r" %
                                 (timeout, values))
        m = c.poll(0.2)
        if m is None:
            continue
        if m.error():
            if m.error().code() == KafkaError._PARTITION_EOF:
                eof.add((m.topic(), m.partition()))
                continue
            raise KafkaException(m.error())
        eof.discard((m.topic(), m.partition()))
        values.append(m.value().decode())
    return values


def read_n(c, n, timeout=20.0):
    msgs = []
    deadline = time.monotonic() + timeout
    while len(msgs) < n:
        if time.monotonic() > deadline:
            raise AssertionError("got %d of %d messages: %r" %
                                 (len(msgs), n, [m.value() for m in msgs]))
        m = c.poll(0.2)
        if m is None:
            continue
        if m.error():
            if m.error().code() == KafkaError._PARTITION_EOF:
                continue
            raise KafkaException(m.error())
        msgs.append(m)
    return msgs


def produce_values(p, topic, values, partition=0, flush=True):
    errors = []

    def cb(err, msg):
        if err is not None:
            errors.append(err)

    for v in values:
        p.produce(topic, v.encode(), partition=partition, on_delivery=cb)
        p.poll(0)
    if flush:
        assert p.flush(20) == 0
        assert not errors, errors


def create_topic(broker, topic, partitions=1):
    broker.admin("create %s %d" % (topic, partitions))


# ---------------------------------------------------------------------------
# Raw protocol client (for checks librdkafka hides)
# ---------------------------------------------------------------------------
class RawClient:
    def __init__(self, broker):
        self.sock = socket.create_connection((broker.host, broker.port),
                                             timeout=10)
        self.corr = 0

    def close(self):
        self.sock.close()

    def _recv_exact(self, n):
        buf = b""
        while len(buf) < n:
            chunk = self.sock.recv(n - len(buf))
            if not chunk:
                raise ConnectionError("closed")
            buf += chunk
        return buf

    def request(self, api_key, version, body_obj=None, raw_body=None):
        self.corr += 1
        api = kp.APIS.get(api_key)
        hdr = struct.pack(">hhi", api_key, version, self.corr) + \
            struct.pack(">h", 4) + b"test"
        flexible = api is not None and api.flexible(version)
        if flexible:
            hdr += b"\x00"
        body = raw_body if raw_body is not None else \
            bytes(kp.encode(api, version, body_obj, which="request"))
        frame = hdr + body
        self.sock.sendall(struct.pack(">i", len(frame)) + frame)
        (size,) = struct.unpack(">i", self._recv_exact(4))
        resp = self._recv_exact(size)
        (corr,) = struct.unpack_from(">i", resp, 0)
        assert corr == self.corr
        return resp[4:]

    def call(self, api_key, version, body_obj):
        api = kp.APIS[api_key]
        resp = self.request(api_key, version, body_obj)
        pos = 1 if api.flexible(version) and api_key != 18 else 0
        r = kp.Reader(resp, pos)
        return kp._read_struct(api.response, r, version,
                               api.flexible(version))


def produce_raw(rc, topic, partition, batch, transactional_id=None):
    resp = rc.call(0, 7, {
        "transactional_id": transactional_id, "acks": -1, "timeout_ms": 5000,
        "topic_data": [{"name": topic, "partition_data": [
            {"index": partition, "records": batch}]}]})
    pr = resp["responses"][0]["partition_responses"][0]
    return pr["error_code"], pr["base_offset"]


def idem_batch(pid, epoch, seq, n, tag):
    return kp.build_record_batch(
        0, [(None, ("%s-%d" % (tag, i)).encode()) for i in range(n)],
        int(time.time() * 1000), producer_id=pid, producer_epoch=epoch,
        base_sequence=seq)


# ---------------------------------------------------------------------------
# Tests
# ---------------------------------------------------------------------------
def test_protocol_codec_crc32c():
    assert kp.crc32c(b"123456789") == 0xE3069283
    batch = kp.build_record_batch(7, [(b"k", b"v"), (None, b"w")], 1000)
    records = list(kp.iter_records(batch))
    assert [(r[0], r[2], r[3]) for r in records] == [(0, b"k", b"v"),
                                                      (1, None, b"w")]


def test_api_versions_and_fallback(broker):
    rc = RawClient(broker)
    try:
        resp = rc.call(18, 3, {"client_software_name": "test",
                               "client_software_version": "1"})
        assert resp["error_code"] == 0
        keys = {a["api_key"]: (a["min_version"], a["max_version"])
                for a in resp["api_keys"]}
        assert keys[0] == (3, 7) and keys[1] == (4, 11)
        assert keys[22] == (0, 4) and keys[26] == (0, 1)
        # A version newer than we support: v0-framed UNSUPPORTED_VERSION
        # response listing our versions (KIP-511 fallback).
        raw = rc.request(18, 9, raw_body=b"\x00\x00\x00")
        r = kp.Reader(raw)
        assert r.i16() == kp.ERR.UNSUPPORTED_VERSION
        n = r.i32()
        assert n == len(keys)
        resp0 = rc.call(18, 0, {})
        assert resp0["error_code"] == 0 and len(resp0["api_keys"]) == n
    finally:
        rc.close()


def test_raw_idempotence_sequence_and_epoch_checks(broker):
    topic = unique("raw")
    create_topic(broker, topic)
    rc = RawClient(broker)
    try:
        init = rc.call(22, 1, {"transactional_id": None,
                               "transaction_timeout_ms": 60000})
        assert init["error_code"] == 0
        pid = init["producer_id"]
        assert produce_raw(rc, topic, 0, idem_batch(pid, 0, 0, 3, "a")) == \
            (0, 0)
        # Retry of the same batch: DUPLICATE_SEQUENCE_NUMBER semantics,
        # i.e. success with the original offset and nothing appended.
        assert produce_raw(rc, topic, 0, idem_batch(pid, 0, 0, 3, "a")) == \
            (0, 0)
        assert broker.offsets(topic)["hwm"] == 3
        # A gap in the sequence.
        err, _ = produce_raw(rc, topic, 0, idem_batch(pid, 0, 5, 1, "gap"))
        assert err == kp.ERR.OUT_OF_ORDER_SEQUENCE_NUMBER
        assert produce_raw(rc, topic, 0, idem_batch(pid, 0, 3, 2, "b")) == \
            (0, 3)
        # A new epoch restarts the sequence at 0 and fences the old epoch.
        err, _ = produce_raw(rc, topic, 0, idem_batch(pid, 1, 7, 1, "c"))
        assert err == kp.ERR.OUT_OF_ORDER_SEQUENCE_NUMBER
        assert produce_raw(rc, topic, 0, idem_batch(pid, 1, 0, 1, "c")) == \
            (0, 5)
        err, _ = produce_raw(rc, topic, 0, idem_batch(pid, 0, 5, 1, "d"))
        assert err == kp.ERR.INVALID_PRODUCER_EPOCH
        assert broker.offsets(topic)["hwm"] == 6
        assert broker.stats()["duplicates"] == 1
    finally:
        rc.close()


def test_kcat_metadata_produce_consume(broker):
    topic = unique("kcat")
    out = subprocess.run([KCAT, "-b", broker.bootstrap, "-P", "-t", topic],
                         input=b"one\ntwo\nthree\n", timeout=30,
                         capture_output=True)
    assert out.returncode == 0, out.stderr
    meta = subprocess.run([KCAT, "-b", broker.bootstrap, "-L"], timeout=30,
                          capture_output=True, text=True)
    assert meta.returncode == 0, meta.stderr
    assert "1 brokers:" in meta.stdout
    assert "broker 1 at %s" % broker.bootstrap in meta.stdout
    assert 'topic "%s" with 1 partitions' % topic in meta.stdout
    for iso in ("read_committed", "read_uncommitted"):
        cons = subprocess.run(
            [KCAT, "-b", broker.bootstrap, "-C", "-t", topic, "-o",
             "beginning", "-e", "-q", "-X", "isolation.level=" + iso],
            timeout=30, capture_output=True, text=True)
        assert cons.returncode == 0, cons.stderr
        assert cons.stdout.split() == ["one", "two", "three"]


def test_kcat_balanced_consumer_group_resumes(broker_factory):
    broker = broker_factory("--partitions", "2")
    topic = unique("kcatg")
    out = subprocess.run([KCAT, "-b", broker.bootstrap, "-P", "-t", topic,
                          "-z", "lz4"],
                         input=b"".join(b"%d\n" % i for i in range(10)),
                         timeout=30, capture_output=True)
    assert out.returncode == 0, out.stderr
    group = unique("kg")
    cmd = [KCAT, "-b", broker.bootstrap, "-G", group,
           "-X", "auto.offset.reset=earliest", "-e", "-q", topic]
    first = subprocess.run(cmd, timeout=60, capture_output=True, text=True)
    assert first.returncode == 0, first.stderr
    assert sorted(first.stdout.split(), key=int) == [str(i)
                                                     for i in range(10)]
    # kcat auto-commits: the same group resumes after the end.
    second = subprocess.run(cmd, timeout=60, capture_output=True, text=True)
    assert second.returncode == 0, second.stderr
    assert second.stdout.split() == []


def test_committed_transaction_visible_to_read_committed(broker, clients):
    topic = unique("commit")
    create_topic(broker, topic)
    p = txn_producer(broker, clients, unique("txn"))
    p.init_transactions(20)
    p.begin_transaction()
    produce_values(p, topic, ["m%d" % i for i in range(10)], flush=False)
    p.commit_transaction(20)
    c = consumer(broker, clients, "read_committed")
    assign_from_start(c, topic)
    assert read_to_eof(c) == ["m%d" % i for i in range(10)]
    off = broker.offsets(topic)
    assert off["hwm"] == 11 and off["lso"] == 11  # 10 records + COMMIT


def test_aborted_transaction_filtered(broker, clients):
    topic = unique("abort")
    create_topic(broker, topic)
    p = txn_producer(broker, clients, unique("txn"))
    p.init_transactions(20)
    p.begin_transaction()
    produce_values(p, topic, ["aborted%d" % i for i in range(5)])
    p.abort_transaction(20)
    p.begin_transaction()
    produce_values(p, topic, ["kept%d" % i for i in range(5)])
    p.commit_transaction(20)
    p.begin_transaction()
    produce_values(p, topic, ["aborted-again"])
    p.abort_transaction(20)

    rc = consumer(broker, clients, "read_committed")
    assign_from_start(rc, topic)
    assert read_to_eof(rc) == ["kept%d" % i for i in range(5)]

    ru = consumer(broker, clients, "read_uncommitted")
    assign_from_start(ru, topic)
    assert read_to_eof(ru) == (["aborted%d" % i for i in range(5)] +
                               ["kept%d" % i for i in range(5)] +
                               ["aborted-again"])


def test_open_transaction_holds_back_lso(broker, clients):
    topic = unique("lso")
    create_topic(broker, topic)
    p = txn_producer(broker, clients, unique("txn"))
    p.init_transactions(20)
    p.begin_transaction()
    produce_values(p, topic, ["first%d" % i for i in range(3)])
    p.commit_transaction(20)
    p.begin_transaction()
    produce_values(p, topic, ["open%d" % i for i in range(4)])  # delivered

    off = broker.offsets(topic)
    assert off == {"log_start": 0, "lso": 4, "hwm": 8}

    rc = consumer(broker, clients, "read_committed")
    assign_from_start(rc, topic)
    assert read_to_eof(rc) == ["first0", "first1", "first2"]
    low, high = rc.get_watermark_offsets(TopicPartition(topic, 0), 10,
                                         cached=False)
    assert (low, high) == (0, 4)   # ListOffsets latest = LSO

    ru = consumer(broker, clients, "read_uncommitted")
    assign_from_start(ru, topic)
    assert read_to_eof(ru) == ["first0", "first1", "first2",
                               "open0", "open1", "open2", "open3"]
    assert ru.get_watermark_offsets(TopicPartition(topic, 0), 10,
                                    cached=False) == (0, 8)

    p.commit_transaction(20)
    msgs = read_n(rc, 4)
    assert [m.value().decode() for m in msgs] == ["open%d" % i
                                                  for i in range(4)]
    assert [m.offset() for m in msgs] == [4, 5, 6, 7]
    assert broker.offsets(topic)["lso"] == 9


def test_interleaved_transactions_of_two_producers(broker, clients):
    topic = unique("interleave")
    create_topic(broker, topic)
    a = txn_producer(broker, clients, unique("txa"))
    b = txn_producer(broker, clients, unique("txb"))
    a.init_transactions(20)
    b.init_transactions(20)
    a.begin_transaction()
    b.begin_transaction()
    produce_values(a, topic, ["a1"])       # offset 0
    produce_values(b, topic, ["b1"])       # offset 1
    produce_values(a, topic, ["a2"])       # offset 2
    b.commit_transaction(20)               # marker at 3
    # a's open transaction (first offset 0) still holds the LSO.
    assert broker.offsets(topic) == {"log_start": 0, "lso": 0, "hwm": 4}
    rc = consumer(broker, clients, "read_committed")
    assign_from_start(rc, topic)
    assert read_to_eof(rc) == []
    a.abort_transaction(20)                # marker at 4
    assert broker.offsets(topic) == {"log_start": 0, "lso": 5, "hwm": 5}
    msgs = read_n(rc, 1)
    assert (msgs[0].value(), msgs[0].offset()) == (b"b1", 1)
    a.begin_transaction()
    produce_values(a, topic, ["a3"])
    a.commit_transaction(20)
    assert [m.value() for m in read_n(rc, 1)] == [b"a3"]
    ru = consumer(broker, clients, "read_uncommitted")
    assign_from_start(ru, topic)
    assert read_to_eof(ru) == ["a1", "b1", "a2", "a3"]


def test_second_init_fences_first_producer(broker, clients):
    topic = unique("fence")
    create_topic(broker, topic)
    txn_id = unique("txn")
    p1 = txn_producer(broker, clients, txn_id)
    p1.init_transactions(20)
    p1.begin_transaction()
    produce_values(p1, topic, ["zombie0", "zombie1"])
    assert broker.offsets(topic)["lso"] == 0

    p2 = txn_producer(broker, clients, txn_id)
    p2.init_transactions(20)
    # p1's open transaction was aborted by p2's InitProducerId.
    off = broker.offsets(topic)
    assert off["lso"] == off["hwm"] == 3

    p1.produce(topic, b"zombie2", partition=0)
    with pytest.raises(KafkaException) as ei:
        p1.commit_transaction(20)
    err = ei.value.args[0]
    assert err.fatal(), err
    assert err.code() == KafkaError._FENCED, err

    p2.begin_transaction()
    produce_values(p2, topic, ["live0", "live1"])
    p2.commit_transaction(20)

    rc = consumer(broker, clients, "read_committed")
    assign_from_start(rc, topic)
    assert read_to_eof(rc) == ["live0", "live1"]


def test_transaction_timeout_aborts_abandoned_transaction(broker_factory,
                                                          clients):
    broker = broker_factory("--transaction-timeout-ms", "1500")
    topic = unique("timeout")
    create_topic(broker, topic)
    txn_id = unique("txn")
    p = txn_producer(broker, clients, txn_id)   # asks for 60000 ms: capped
    p.init_transactions(20)
    p.begin_transaction()
    produce_values(p, topic, ["abandoned%d" % i for i in range(3)])
    assert broker.offsets(topic)["lso"] == 0
    wait_until(lambda: broker.offsets(topic) == {"log_start": 0, "lso": 4,
                                                 "hwm": 4},
               timeout=15, what="transaction timeout abort")
    txn = broker.admin_kv("txn " + txn_id)
    assert txn["state"] == "CompleteAbort" and txn["epoch"] == "1"
    assert broker.stats()["txn_timeout"] == 1

    with pytest.raises(KafkaException) as ei:
        p.commit_transaction(20)
    err = ei.value.args[0]
    assert err.fatal() or err.txn_requires_abort(), err

    rc = consumer(broker, clients, "read_committed")
    assign_from_start(rc, topic)
    assert read_to_eof(rc) == []
    ru = consumer(broker, clients, "read_uncommitted")
    assign_from_start(ru, topic)
    assert read_to_eof(ru) == ["abandoned0", "abandoned1", "abandoned2"]


def test_idempotent_retries_do_not_duplicate(broker, clients):
    topic = unique("idem")
    create_topic(broker, topic)
    p = producer(broker, clients, **{"enable.idempotence": True,
                                     "retry.backoff.ms": 50,
                                     "reconnect.backoff.max.ms": 200})
    produce_values(p, topic, ["warmup"])
    # The broker appends the next produce requests but drops the connection
    # instead of answering: librdkafka must resend the same batches.
    broker.admin("lose-produce-responses 3")
    expected = ["warmup"]
    for round_ in range(4):
        vals = ["r%d-%d" % (round_, i) for i in range(50)]
        produce_values(p, topic, vals)
        expected += vals
    st = broker.stats()
    assert st["duplicates"] >= 3, st
    c = consumer(broker, clients, "read_uncommitted")
    assign_from_start(c, topic)
    assert read_to_eof(c) == expected
    assert broker.offsets(topic)["hwm"] == len(expected)


def test_transaction_exactly_once_across_connection_faults(broker,
                                                          clients):
    topic = unique("txfault")
    create_topic(broker, topic)
    p = txn_producer(broker, clients, unique("txn"),
                     **{"retry.backoff.ms": 50,
                        "reconnect.backoff.max.ms": 200})
    p.init_transactions(20)
    expected = []
    for round_ in range(3):
        p.begin_transaction()
        broker.admin("lose-produce-responses 2")
        for chunk in range(3):
            vals = ["t%d-%d-%d" % (round_, chunk, i) for i in range(20)]
            produce_values(p, topic, vals)
            expected += vals
        broker.admin("drop")
        p.commit_transaction(30)
    assert broker.stats()["duplicates"] >= 6
    rc = consumer(broker, clients, "read_committed")
    assign_from_start(rc, topic)
    assert read_to_eof(rc) == expected


def test_consumer_group_offsets_survive_restart(broker, clients):
    topic = unique("group")
    create_topic(broker, topic, 2)
    p = producer(broker, clients)
    produce_values(p, topic, ["p0-%d" % i for i in range(6)], partition=0)
    produce_values(p, topic, ["p1-%d" % i for i in range(6)], partition=1)
    group = unique("grp")
    conf = {"session.timeout.ms": 6000, "heartbeat.interval.ms": 500}

    c1 = consumer(broker, clients, "read_committed", group=group, **conf)
    c1.subscribe([topic])
    msgs = read_n(c1, 8)
    seen = {(m.partition(), m.offset()) for m in msgs}
    c1.commit(asynchronous=False)
    positions = {tp.partition: tp.offset
                 for tp in c1.position(c1.assignment())}
    c1.close()
    clients.clients.remove(c1)

    c2 = consumer(broker, clients, "read_committed", group=group, **conf)
    committed = c2.committed([TopicPartition(topic, 0),
                              TopicPartition(topic, 1)], 10)
    assert {tp.partition: tp.offset for tp in committed} == positions
    c2.subscribe([topic])
    rest = read_n(c2, 12 - len(seen))
    rest_keys = {(m.partition(), m.offset()) for m in rest}
    assert not (rest_keys & seen)
    assert len(rest_keys | seen) == 12
    for m in rest:
        assert m.offset() >= positions[m.partition()]


def test_two_consumers_share_partitions(broker, clients):
    topic = unique("share")
    create_topic(broker, topic, 4)
    p = producer(broker, clients)
    for part in range(4):
        produce_values(p, topic, ["%d-%d" % (part, i) for i in range(5)],
                       partition=part)
    group = unique("grp")
    conf = {"session.timeout.ms": 6000, "heartbeat.interval.ms": 200,
            "enable.partition.eof": False}
    c1 = consumer(broker, clients, "read_committed", group=group, **conf)
    c2 = consumer(broker, clients, "read_committed", group=group, **conf)
    c1.subscribe([topic])
    c2.subscribe([topic])
    got = {}   # (partition, offset) -> value; redelivery after a
    #            rebalance is expected (no commits), loss is not

    def poll_both():
        for c in (c1, c2):
            m = c.poll(0.05)
            if m is not None and not m.error():
                got[(m.partition(), m.offset())] = m.value().decode()

    def balanced():
        poll_both()
        a1, a2 = c1.assignment(), c2.assignment()
        return len(a1) == 2 and len(a2) == 2 and \
            {tp.partition for tp in a1 + a2} == {0, 1, 2, 3}

    wait_until(balanced, timeout=30, what="balanced assignment",
               interval=0)
    wait_until(lambda: poll_both() or len(got) == 20, timeout=30,
               what="all 20 messages", interval=0)
    assert sorted(got.values()) == sorted("%d-%d" % (part, i)
                                          for part in range(4)
                                          for i in range(5))


def test_multi_partition_compressed_transactions(broker_factory, clients):
    broker = broker_factory("--partitions", "3")
    topic = unique("multi")
    expected = {0: [], 1: [], 2: []}
    for codec in ("gzip", "snappy", "lz4", "zstd"):
        p = txn_producer(broker, clients, unique("txn"),
                         **{"compression.type": codec})
        p.init_transactions(20)
        for commit in (False, True):
            p.begin_transaction()
            for part in range(3):
                vals = ["%s-%s-%d-%d" % (codec, commit, part, i)
                        for i in range(20)]
                # flushed so that the aborted batches do reach the log
                produce_values(p, topic, vals, partition=part)
                if commit:
                    expected[part] += vals
            if commit:
                p.commit_transaction(20)
            else:
                p.abort_transaction(20)
    for part in range(3):
        c = consumer(broker, clients, "read_committed")
        assign_from_start(c, topic, [part])
        assert read_to_eof(c) == expected[part]
    st = broker.stats()
    assert st["txn_commit"] == 4 and st["txn_abort"] == 4, st


def test_rebalance_when_a_member_leaves(broker, clients):
    topic = unique("leave")
    create_topic(broker, topic, 4)
    group = unique("grp")
    conf = {"session.timeout.ms": 6000, "heartbeat.interval.ms": 200,
            "enable.partition.eof": False}
    c1 = consumer(broker, clients, group=group, **conf)
    c2 = consumer(broker, clients, group=group, **conf)
    c1.subscribe([topic])
    c2.subscribe([topic])

    def sizes():
        c1.poll(0.05)
        c2.poll(0.05)
        return len(c1.assignment()), len(c2.assignment())

    wait_until(lambda: sizes() == (2, 2), timeout=30, what="2+2", interval=0)
    c2.close()
    clients.clients.remove(c2)
    wait_until(lambda: c1.poll(0.05) is None and len(c1.assignment()) == 4,
               timeout=30, what="c1 owning all partitions", interval=0)


def test_stdin_admin_mode(tmp_path):
    proc = subprocess.run(
        [PYTHON, BROKER, "--port", "0", "--stdin"],
        input="ping\ncreate t 2\noffsets t 1\nbogus\n", text=True,
        capture_output=True, timeout=30)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("BOOTSTRAP=127.0.0.1:")
    assert lines[1].startswith("ADMIN=127.0.0.1:")
    assert lines[2:] == ["ok", "ok", "ok log_start=0 lso=0 hwm=0",
                         "error unknown command bogus"]


def test_send_offsets_to_transaction(broker, clients):
    src, dst = unique("src"), unique("dst")
    create_topic(broker, src)
    create_topic(broker, dst)
    produce_values(producer(broker, clients), src,
                   ["in%d" % i for i in range(6)])
    group = unique("grp")
    c = consumer(broker, clients, "read_committed", group=group,
                 **{"session.timeout.ms": 6000})
    c.subscribe([src])
    p = txn_producer(broker, clients, unique("txn"))
    p.init_transactions(20)

    def process(n, commit):
        msgs = read_n(c, n)
        p.begin_transaction()
        for m in msgs:
            p.produce(dst, m.value().upper(), partition=0)
        p.send_offsets_to_transaction(c.position(c.assignment()),
                                      c.consumer_group_metadata(), 20)
        if commit:
            p.commit_transaction(20)
        else:
            p.abort_transaction(20)

    process(3, commit=True)
    tp = TopicPartition(src, 0)
    assert c.committed([tp], 10)[0].offset == 3
    process(3, commit=False)
    assert c.committed([tp], 10)[0].offset == 3  # aborted: not committed

    out = consumer(broker, clients, "read_committed")
    assign_from_start(out, dst)
    assert read_to_eof(out) == ["IN0", "IN1", "IN2"]


def test_admin_stop_start_outage_and_recovery(broker, clients):
    topic = unique("outage")
    create_topic(broker, topic)
    errors = []
    p = producer(broker, clients, **{"enable.idempotence": True,
                                     "error_cb": errors.append,
                                     "reconnect.backoff.max.ms": 200})
    c = consumer(broker, clients, "read_uncommitted",
                 **{"reconnect.backoff.max.ms": 200})
    assign_from_start(c, topic)
    produce_values(p, topic, ["before"])
    assert [m.value() for m in read_n(c, 1)] == [b"before"]

    broker.admin("stop")
    with pytest.raises(OSError):
        socket.create_connection((broker.host, broker.port), timeout=2)
    delivered = []
    p.produce(topic, b"during", partition=0,
              on_delivery=lambda err, msg: delivered.append(err))
    wait_until(lambda: p.poll(0.1) is not None and any(
        e.code() in (KafkaError._TRANSPORT, KafkaError._ALL_BROKERS_DOWN)
        for e in errors), what="client to notice the outage")
    assert delivered == []

    broker.admin("start")
    wait_until(lambda: p.poll(0.1) is not None and delivered,
               what="delivery after restart")
    assert delivered == [None]
    assert [m.value() for m in read_n(c, 1)] == [b"during"]

    broker.admin("drop")
    produce_values(p, topic, ["after-drop"])
    assert [m.value() for m in read_n(c, 1)] == [b"after-drop"]
    assert broker.offsets(topic)["hwm"] == 3


def test_admin_client_create_and_describe(broker):
    from confluent_kafka.admin import AdminClient, ConfigResource, NewTopic
    a = AdminClient({"bootstrap.servers": broker.bootstrap})
    name = unique("created")
    fs = a.create_topics([NewTopic(name, num_partitions=3,
                                   replication_factor=1)],
                         operation_timeout=10)
    fs[name].result(20)
    md = a.list_topics(timeout=10)
    assert len(md.topics[name].partitions) == 3
    fs = a.create_topics([NewTopic(name, num_partitions=3,
                                   replication_factor=1)])
    with pytest.raises(KafkaException) as ei:
        fs[name].result(20)
    assert ei.value.args[0].code() == KafkaError.TOPIC_ALREADY_EXISTS
    res = ConfigResource("topic", name)
    configs = a.describe_configs([res])[res].result(20)
    assert configs["cleanup.policy"].value == "delete"


def test_throughput_50k_messages(broker, clients):
    topic = unique("perf")
    create_topic(broker, topic)
    n = 50000
    p = producer(broker, clients, **{"enable.idempotence": True,
                                     "linger.ms": 10})
    payload = b"x" * 100
    t0 = time.monotonic()
    for i in range(n):
        while True:
            try:
                p.produce(topic, payload, partition=0)
                break
            except BufferError:
                p.poll(0.01)
    assert p.flush(60) == 0
    produce_s = time.monotonic() - t0
    assert broker.offsets(topic)["hwm"] == n
    c = consumer(broker, clients, "read_committed")
    assign_from_start(c, topic)
    t0 = time.monotonic()
    count = 0
    deadline = t0 + 60
    while count < n and time.monotonic() < deadline:
        msgs = c.consume(10000, 0.5)
        count += sum(1 for m in msgs if not m.error())
    consume_s = time.monotonic() - t0
    assert count == n
    print("produce %.0f msg/s, consume %.0f msg/s" % (n / produce_s,
                                                       n / consume_s))
    # Generous bound: the client side in Python is the bottleneck here.
    assert produce_s < 20 and consume_s < 20
