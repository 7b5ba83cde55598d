"""Kafka for tests: the backend process (selected by TRIBUTARY_TEST_KAFKA) and a read_committed Collector.

Backends:
- `kafka` (default): a real Apache Kafka in KRaft mode (`RealKafka`, tributary_testing.kafka_server),
  from the jars tests/support/kafka/fetch.sh caches; one node, or a cluster with `brokers=3`.
- `mock`: `tributary-mock-kafka` (librdkafka's mock cluster, MOCK_KAFKA_BIN). It does NOT filter
  aborted transactions for read_committed consumers, does not fence, and keeps only ~5 MiB or 100k
  message sets per partition: start a Collector before the daemon produces and keep it running.
  (The `kafka` ctest tier uses the mock cluster directly, for injected protocol errors.)
"""

import collections
import logging
import os
import queue
import re
import subprocess
import tempfile
import threading
import time
import uuid

from tributary_testing.util import Deadline, stop_process, tail, wait_until

Record = collections.namedtuple("Record", "topic partition offset key value headers timestamp")


def backend_name():
    return os.environ.get("TRIBUTARY_TEST_KAFKA", "kafka")


def start_kafka(topics=None, brokers=1, partitions=16, logdir=None, backend=None, **broker_options):
    """Starts a Kafka backend with `topics` ({name: partitions}) created up front.

    `backend` ("kafka" or "mock") forces one regardless of TRIBUTARY_TEST_KAFKA. Topics not listed:
    the real Kafka creates none unless `auto_create_topics=True`; the mock auto-creates them.
    `broker_options` go to RealKafka (`broker_config={...}`, `proxied=True`,
    `auto_create_topics=True`, ...).
    """
    name = backend or backend_name()
    if name == "kafka":
        from tributary_testing.kafka_server import RealKafka

        kafka = RealKafka(nodes=brokers, topics=topics, partitions=partitions, logdir=logdir,
                          **broker_options)
    elif name == "mock":
        if broker_options:
            raise TypeError(f"the mock backend takes no options {sorted(broker_options)}")
        kafka = MockKafka(brokers=brokers, partitions=partitions, topics=topics, logdir=logdir)
    else:
        raise ValueError(f"Kafka backend {name!r}: expected 'kafka' or 'mock'")
    kafka.start()
    return kafka


class _KafkaProcess:
    """A Kafka backend subprocess: stdout read line by line on a thread, stderr to a log file."""

    #: Name used in error messages.
    label = "kafka"

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    def _spawn(self, args, logname):
        logdir = self.logdir or tempfile.mkdtemp(prefix="tributary-kafka-")
        self.logfile = os.path.join(logdir, logname)
        self._lines = queue.Queue()
        with open(self.logfile, "ab") as log:
            # stdin stays a pipe: the backend also exits when it closes (this process died).
            self._proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                          stderr=log, start_new_session=True)
        self._reader = threading.Thread(target=self._read_stdout, name=f"{self.label}-stdout",
                                        daemon=True)
        self._reader.start()

    def _read_stdout(self):
        for raw in self._proc.stdout:
            self._lines.put(raw.decode("utf-8", "replace").rstrip("\n"))
        self._lines.put(None)

    def _next_line(self, timeout, what):
        try:
            line = self._lines.get(timeout=max(0.001, timeout))
        except queue.Empty:
            raise TimeoutError(f"{self.label}: no {what} within {timeout:.1f}s\n{self.log_tail()}")
        if line is None:
            raise RuntimeError(f"{self.label} exited ({self._proc.poll()}) before {what}\n"
                               f"{self.log_tail()}")
        return line

    def stop(self):
        if self._proc is None:
            return
        try:
            self._proc.stdin.close()
        except (BrokenPipeError, OSError):
            pass
        stop_process(self._proc, timeout=10)
        self._proc = None

    def log_tail(self, lines=50):
        return tail(self.logfile, lines) if self.logfile else ""


class MockKafka(_KafkaProcess):
    """`tributary-mock-kafka` as a subprocess: prints `BOOTSTRAP=...`, serves until stdin EOF/SIGTERM."""

    #: The mock keeps aborted transactions visible to read_committed consumers.
    filters_aborted_transactions = False
    label = "tributary-mock-kafka"

    def __init__(self, binary=None, brokers=1, partitions=16, topics=None, logdir=None,
                 start_timeout=30.0):
        self.binary = binary or os.environ.get("MOCK_KAFKA_BIN")
        if not self.binary:
            raise RuntimeError("MOCK_KAFKA_BIN is not set (path of the tributary-mock-kafka binary)")
        self.brokers = brokers
        self.partitions = partitions
        self.topics = dict(topics or {})
        self.logdir = logdir
        self.start_timeout = start_timeout
        self.bootstrap_servers = None
        self.logfile = None
        self._proc = None
        self._reader = None

    def start(self):
        # The mock auto-creates unknown topics with 4 partitions (librdkafka 2.0.2 cannot change
        # that); --partitions is the default for --topic entries and needs at least one of them.
        args = [self.binary, "--brokers", str(self.brokers)]
        if self.topics:
            args += ["--partitions", str(self.partitions)]
        for topic, count in self.topics.items():
            args += ["--topic", f"{topic}:{count}" if count else topic]
        self._spawn(args, "mock-kafka.log")
        line = self._next_line(self.start_timeout, "the BOOTSTRAP= line")
        if not line.startswith("BOOTSTRAP="):
            raise RuntimeError(f"tributary-mock-kafka printed {line!r}, expected BOOTSTRAP=host:port")
        self.bootstrap_servers = line[len("BOOTSTRAP="):].strip()
        return self

    def command(self, text, timeout=10.0):
        """Sends one stdin command (`down 1`, `up 1`); returns its answer line (expects `ok`)."""
        self._proc.stdin.write((text + "\n").encode())
        self._proc.stdin.flush()
        answer = self._next_line(timeout, f"answer to {text!r}")
        if answer.strip() != "ok":
            raise RuntimeError(f"tributary-mock-kafka: {text!r} answered {answer!r}")
        return answer

    def broker_down(self, broker_id):
        self.command(f"down {broker_id}")

    def broker_up(self, broker_id):
        self.command(f"up {broker_id}")


class CollectorError(RuntimeError):
    """The collector could not keep a complete copy of the topics (e.g. the mock dropped data)."""


class Collector:
    """Consumes every partition of the followed topics from the beginning, continuously.

    A background thread runs a confluent_kafka Consumer (`isolation.level=read_committed`, manual
    assignment, no group membership) and keeps every record in arrival order. Topics are followed by
    exact name (`topics`) and/or a regex (`pattern`, full match); the assignment is refreshed as
    topics and partitions appear. Per partition, records are kept in offset order.
    """

    def __init__(self, bootstrap_servers, topics=(), pattern=None, isolation="read_committed",
                 refresh_interval=0.5, extra_config=None):
        self.bootstrap_servers = bootstrap_servers
        self.topics = set(topics)
        self.pattern = re.compile(pattern) if pattern else None
        self.isolation = isolation
        self.refresh_interval = refresh_interval
        self.extra_config = dict(extra_config or {})
        self._records = []
        self._assigned = set()  # (topic, partition)
        self._partition_counts = {}
        self._cond = threading.Condition()
        self._stop = threading.Event()
        self._position_requests = queue.Queue()  # served by the consumer thread
        self._thread = None
        self.errors = []    # fatal: the copy is incomplete
        self.warnings = []  # transient client errors, for diagnostics

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    def start(self):
        from confluent_kafka import Consumer  # imported here so pure tests need no Kafka client

        config = {
            "bootstrap.servers": self.bootstrap_servers,
            "group.id": f"tributary-test-collector-{uuid.uuid4()}",  # required; never joined
            "enable.auto.commit": False,
            "isolation.level": self.isolation,
            # A gap (the mock drops old data) must fail loudly, not silently skip ahead.
            "auto.offset.reset": "error",
            "enable.partition.eof": False,
            "fetch.wait.max.ms": 50,
            "topic.metadata.refresh.interval.ms": 1000,
            "log_level": 3,
        }
        config.update(self.extra_config)
        # librdkafka's own log lines go to Python logging (pytest shows them for failed tests).
        self._consumer = Consumer(config, logger=logging.getLogger("tributary_testing.librdkafka"))
        self._thread = threading.Thread(target=self._run, name="kafka-collector", daemon=True)
        self._thread.start()
        return self

    def stop(self):
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None

    # ---- reading what was collected ----------------------------------------------------------------

    def records(self, topic=None):
        """A copy of the records so far (all, or one topic's), in arrival order."""
        with self._cond:
            if topic is None:
                return list(self._records)
            return [r for r in self._records if r.topic == topic]

    def count(self):
        with self._cond:
            return len(self._records)

    def partition_count(self, topic):
        with self._cond:
            return self._partition_counts.get(topic)

    def cursor(self, topic=None):
        """An incremental reader: `cursor.new()` returns the records collected since its last call."""
        return _Cursor(self, topic)

    def check_healthy(self):
        with self._cond:
            if self.errors:
                raise CollectorError("Kafka collector lost data: " + "; ".join(self.errors[:5]))

    def wait_for(self, predicate, timeout, what="condition"):
        """Waits until `predicate()` is truthy (re-evaluated as records arrive); returns its value.

        Raises CollectorError if the collector lost data, TimeoutError (naming `what`) on timeout.
        """
        deadline = Deadline(timeout)
        while True:
            self.check_healthy()
            result = predicate()
            if result:
                return result
            if deadline.expired():
                detail = what() if callable(what) else what
                raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {detail} "
                                   f"({self.count()} records collected)")
            with self._cond:
                self._cond.wait(timeout=min(0.5, max(0.001, deadline.remaining())))

    def positions(self, timeout=30.0):
        """{(topic, partition): (consumer position, high watermark)} as the broker reports them now."""
        reply = queue.Queue()
        self._position_requests.put(reply)
        try:
            result = reply.get(timeout=timeout)
        except queue.Empty:
            raise TimeoutError("collector thread did not answer a position request")
        if isinstance(result, Exception):
            raise result
        return result

    def wait_caught_up(self, timeout=60.0):
        """Waits until every followed partition is consumed up to its high watermark.

        Call when nothing is producing (e.g. after the daemon exited): an open transaction would
        keep the read_committed position below the high watermark.
        """
        def lagging():
            lag = {}
            for tp, (position, high) in self.positions().items():
                if position < high and not (position < 0 and high <= 0):
                    lag[tp] = (position, high)
            return lag

        last = {}

        def caught_up():
            self.check_healthy()
            last.clear()
            last.update(lagging())
            return not last

        wait_until(caught_up, timeout, lambda: f"the collector to catch up; lagging {dict(list(last.items())[:5])}")

    # ---- the consumer thread -----------------------------------------------------------------------

    def _serve_position_requests(self):
        from confluent_kafka import TopicPartition

        while True:
            try:
                reply = self._position_requests.get_nowait()
            except queue.Empty:
                return
            try:
                tps = [TopicPartition(t, p) for t, p in sorted(self._assigned)]
                result = {}
                for tp in self._consumer.position(tps):
                    low, high = self._consumer.get_watermark_offsets(tp, timeout=5, cached=False)
                    position = tp.offset if tp.offset >= 0 else low
                    result[(tp.topic, tp.partition)] = (position, high)
                reply.put(result)
            except Exception as e:  # handed to the asking thread
                reply.put(e)

    def _wanted(self, topic):
        if topic in self.topics:  # named: also an __ topic (e.g. __debezium-heartbeat.<prefix>)
            return True
        if topic.startswith("__"):
            return False
        return bool(self.pattern and self.pattern.fullmatch(topic))

    def _refresh_assignment(self):
        from confluent_kafka import OFFSET_BEGINNING, KafkaException, TopicPartition

        try:
            metadata = self._consumer.list_topics(timeout=2)
        except KafkaException as e:
            self.warnings.append(f"metadata: {e}")
            return
        new = []
        for name, topic in metadata.topics.items():
            if topic.error is not None or not self._wanted(name):
                continue
            with self._cond:
                self._partition_counts[name] = len(topic.partitions)
            for partition in topic.partitions:
                if (name, partition) not in self._assigned:
                    new.append(TopicPartition(name, partition, OFFSET_BEGINNING))
        if new:
            self._consumer.incremental_assign(new)
            self._assigned.update((tp.topic, tp.partition) for tp in new)

    def _run(self):
        from confluent_kafka import KafkaError

        next_refresh = 0.0
        try:
            while not self._stop.is_set():
                if time.monotonic() >= next_refresh:
                    self._refresh_assignment()
                    next_refresh = time.monotonic() + self.refresh_interval
                self._serve_position_requests()
                messages = self._consumer.consume(num_messages=5000, timeout=0.1)
                batch = []
                for m in messages:
                    err = m.error()
                    if err is not None:
                        if err.code() in (KafkaError._AUTO_OFFSET_RESET, KafkaError.OFFSET_OUT_OF_RANGE):
                            with self._cond:
                                self.errors.append(
                                    f"{m.topic()}[{m.partition()}]: {err.str()} (the broker dropped data "
                                    "the collector had not read yet)")
                        else:
                            self.warnings.append(f"{m.topic()}[{m.partition()}]: {err.str()}")
                        continue
                    batch.append(Record(m.topic(), m.partition(), m.offset(), m.key(), m.value(),
                                        tuple(m.headers() or ()), m.timestamp()[1]))
                with self._cond:
                    if batch:
                        self._records.extend(batch)
                    self._cond.notify_all()
        except Exception as e:  # surfaced through wait_for / check_healthy
            with self._cond:
                self.errors.append(f"collector thread failed: {e!r}")
                self._cond.notify_all()
        finally:
            self._consumer.close()


class _Cursor:
    def __init__(self, collector, topic):
        self._collector = collector
        self._topic = topic
        self._index = 0

    def new(self):
        with self._collector._cond:
            fresh = self._collector._records[self._index:]
            self._index = len(self._collector._records)
        if self._topic is None:
            return fresh
        return [r for r in fresh if r.topic == self._topic]

