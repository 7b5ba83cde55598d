"""Real Apache Kafka for tests: KRaft nodes from the jars that tests/support/kafka/fetch.sh caches.

`RealKafka(nodes=1)` is one combined broker+controller node; `RealKafka(nodes=3)` a cluster of three
combined nodes (every topic at replication factor 3, `min.insync.replicas=2`). Each node runs in a
temp dir on free loopback ports with a small heap. Ready when a metadata request lists every broker.

Faults, per node (`node` is the node id, 1-based; default: every node):
- `stop(node)`: SIGTERM (controlled shutdown), `kill(node)`: SIGKILL;
- `start_node(node)`: start again on the same data dir and ports (the log persists);
- `freeze(node)` / `thaw(node)`: SIGSTOP / SIGCONT;
- with `proxied=True`, clients reach every node through a `TcpProxy` (`proxy(node)`): the node
  advertises the proxy's port to clients, while brokers and controllers talk to each other
  directly, so `cut()`/`stall()` of a proxy breaks only the client's connections.

Security (default: PLAINTEXT everywhere, as before): `security="SASL_SSL"` makes the client
listener TLS + SASL/SCRAM-SHA-512, `security="SSL"` TLS only (`ssl_client_auth=True`: a client
certificate is required). The broker's PEM keystore comes from a CA made with tributary_testing.certs
(`kafka.ca`, `kafka.ca_path`; the certificate names 127.0.0.1 and localhost), and the SCRAM users
(`sasl_users={name: password}`, default `{"tributary": SASL_PASSWORD}`) are created when the storage
is formatted. Brokers and controllers talk PLAINTEXT on their own listeners. `client_config()` is
the security part of a client's librdkafka config, which the harness's own clients (admin, waits,
watermarks) use; pass it to a Collector as `extra_config`.

The version is TRIBUTARY_KAFKA_VERSION (default: fetch.sh's). Nodes die with the test process
(PR_SET_PDEATHSIG), so a killed pytest leaves no JVM behind.
"""

import base64
import ctypes
import logging
import os
import shutil
import signal
import subprocess
import tempfile
import uuid

from tributary_testing.certs import make_ca
from tributary_testing.proxy import TcpProxy
from tributary_testing.util import Deadline, free_port, stop_process, tail, wait_until

_FETCH = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "kafka", "fetch.sh")

#: Partitions of __transaction_state and __consumer_offsets: fewer than the default 50 makes the
#: first transaction and the first group start much faster on 2 cores.
INTERNAL_TOPIC_PARTITIONS = 8

#: The SCRAM password of the default user `tributary` of a SASL_SSL RealKafka.
SASL_PASSWORD = "tributary-scram-secret"
SASL_MECHANISM = "SCRAM-SHA-512"
SECURITY_PROTOCOLS = ("PLAINTEXT", "SSL", "SASL_SSL")


def kafka_version():
    return os.environ.get("TRIBUTARY_KAFKA_VERSION", "3.9.2")


def kafka_libs(version=None):
    """The folder of the broker's jars (fetched into the cache on first use)."""
    version = version or kafka_version()
    result = subprocess.run([_FETCH, version], check=False, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"{_FETCH} {version} failed ({result.returncode}):\n{result.stderr[-4000:]}")
    return result.stdout.strip().splitlines()[-1]


def _java_binary():
    java_home = os.environ.get("TRIBUTARY_KAFKA_JAVA_HOME")
    if java_home:
        return os.path.join(java_home, "bin", "java")
    return shutil.which("java") or "/usr/bin/java"


def _die_with_parent():
    """preexec_fn: the node gets SIGKILL when the process that started it exits."""
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def _cluster_id():
    # Kafka's Uuid.toString(): 16 random bytes, URL-safe base64 without padding. Like Kafka's
    # Uuid.randomUuid(), never one starting with "-": StorageTool would take it for an option.
    while True:
        text = base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode()
        if not text.startswith("-"):
            return text


def java_string_hash(text):
    """Java's String.hashCode (for the transaction coordinator's partition)."""
    data = text.encode("utf-16-be")
    h = 0
    for i in range(0, len(data), 2):
        h = (31 * h + int.from_bytes(data[i:i + 2], "big")) & 0xFFFFFFFF
    return h - (1 << 32) if h >= 1 << 31 else h


class KafkaNode:
    """One combined broker+controller JVM."""

    def __init__(self, cluster, node_id, workdir):
        self.cluster = cluster
        self.node_id = node_id
        self.workdir = workdir
        self.data_dir = os.path.join(workdir, "data")
        self.config_path = os.path.join(workdir, "server.properties")
        self.logfile = os.path.join(workdir, "kafka.log")
        self.port = free_port()             # the client listener (advertised unless proxied)
        self.controller_port = free_port()
        self.internal_port = free_port()    # broker-to-broker
        self.proxy = None
        self.proc = None

    @property
    def advertised_port(self):
        return self.proxy.port if self.proxy else self.port

    @property
    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def write_config(self, voters, overrides):
        n = len(self.cluster.nodes)
        replication = min(3, n)
        settings = {
            "process.roles": "broker,controller",
            "node.id": self.node_id,
            "controller.quorum.voters": voters,
            "listeners": (f"CLIENT://127.0.0.1:{self.port},INTERNAL://127.0.0.1:{self.internal_port},"
                          f"CONTROLLER://127.0.0.1:{self.controller_port}"),
            "advertised.listeners": (f"CLIENT://127.0.0.1:{self.advertised_port},"
                                     f"INTERNAL://127.0.0.1:{self.internal_port}"),
            "listener.security.protocol.map": (f"CLIENT:{self.cluster.security},INTERNAL:PLAINTEXT,"
                                               "CONTROLLER:PLAINTEXT"),
            "inter.broker.listener.name": "INTERNAL",
            "controller.listener.names": "CONTROLLER",
            "log.dirs": self.data_dir,
            "num.partitions": 1,
            "default.replication.factor": replication,
            "min.insync.replicas": 2 if n >= 3 else 1,
            "offsets.topic.replication.factor": replication,
            "offsets.topic.num.partitions": INTERNAL_TOPIC_PARTITIONS,
            "transaction.state.log.replication.factor": replication,
            "transaction.state.log.min.isr": 2 if n >= 3 else 1,
            "transaction.state.log.num.partitions": INTERNAL_TOPIC_PARTITIONS,
            "group.initial.rebalance.delay.ms": 0,
            "auto.create.topics.enable": "true" if self.cluster.auto_create_topics else "false",
            # Timed-out transactions are aborted within a second, not the default 10 s.
            "transaction.abort.timed.out.transaction.cleanup.interval.ms": 1000,
            "log.flush.interval.messages": 9223372036854775807,
            "log.segment.bytes": 64 * 1024 * 1024,
            "num.network.threads": 2,
            "num.io.threads": 2,
            "num.recovery.threads.per.data.dir": 1,
            "background.threads": 2,
            # A killed node's registration lapses (and its restart or a new leader follows) in 3 s, not 9.
            "broker.heartbeat.interval.ms": 500,
            "broker.session.timeout.ms": 3000,
            "controlled.shutdown.enable": "true",
            "unclean.leader.election.enable": "false",
        }
        settings.update(self.cluster.listener_security_settings())
        settings.update(overrides)
        with open(self.config_path, "w") as f:
            for key, value in settings.items():
                f.write(f"{key}={value}\n")

    def format_command(self, cluster_id):
        scram = [arg for name, password in self.cluster.sasl_users.items()
                 for arg in ("--add-scram", f"{SASL_MECHANISM}=[name={name},password={password}]")]
        return self.cluster.java_command("kafka.tools.StorageTool", "format", "-t", cluster_id,
                                         "-c", self.config_path, "--ignore-formatted", *scram)

    def start(self):
        if self.running:
            return
        with open(self.logfile, "ab") as log:
            self.proc = subprocess.Popen(
                self.cluster.java_command("kafka.Kafka", self.config_path, heap=self.cluster.heap),
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                preexec_fn=_die_with_parent, cwd=self.workdir)

    def signal(self, sig):
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, sig)

    def stop(self, timeout=60):
        if self.proc is None:
            return None
        self.signal(signal.SIGCONT)  # a frozen JVM cannot shut down
        code = stop_process(self.proc, signal.SIGTERM, timeout=timeout)
        self.proc = None
        return code

    def kill(self):
        if self.proc is None:
            return None
        self.proc.kill()
        code = self.proc.wait(timeout=30)
        self.proc = None
        return code


class RealKafka:
    """A real Apache Kafka (KRaft) of `nodes` combined nodes; see the module docstring."""

    #: Aborted transactions are hidden from read_committed consumers (unlike librdkafka's mock).
    filters_aborted_transactions = True
    label = "kafka"

    def __init__(self, nodes=1, topics=None, partitions=16, logdir=None, broker_config=None,
                 auto_create_topics=False, proxied=False, heap="384m", version=None,
                 start_timeout=120.0, security="PLAINTEXT", sasl_users=None, ssl_client_auth=False):
        self.version = version or kafka_version()
        self.topics = dict(topics or {})
        self.partitions = partitions
        self.broker_config = dict(broker_config or {})
        self.auto_create_topics = auto_create_topics
        self.proxied = proxied
        self.heap = heap
        self.start_timeout = start_timeout
        self.workdir = tempfile.mkdtemp(prefix="tributary-kafka-", dir=logdir)
        if security not in SECURITY_PROTOCOLS:
            raise ValueError(f"RealKafka security={security!r}: expected one of {SECURITY_PROTOCOLS}")
        self.security = security
        self.sasl_users = dict(sasl_users or {"tributary": SASL_PASSWORD}) if security == "SASL_SSL" else {}
        self.ssl_client_auth = ssl_client_auth
        self.ca = None
        self.client_cert = None  # (cert_path, key_path) of the harness's clients, with ssl_client_auth
        if security != "PLAINTEXT":
            self._make_certificates()
        self.libs = None
        self.nodes = [KafkaNode(self, i + 1, os.path.join(self.workdir, f"node{i + 1}")) for i in range(nodes)]
        self._admin = None

    # ---- security --------------------------------------------------------------------------------

    def _make_certificates(self):
        tls = os.path.join(self.workdir, "tls")
        self.ca = make_ca(tls, name="tributary-test-kafka-ca")
        cert, key = self.ca.issue("broker", hostnames=["localhost"], ips=["127.0.0.1"])
        # A PEM keystore file: the unencrypted PKCS#8 key, then the chain (leaf first).
        self.keystore_path = os.path.join(tls, "broker.keystore.pem")
        with open(self.keystore_path, "w") as out:
            for part in (key, cert, self.ca.cert_path):
                with open(part) as f:
                    out.write(f.read())
        if self.ssl_client_auth:
            self.client_cert = self.ca.issue("harness-client", client=True)

    @property
    def ca_path(self):
        """The PEM CA certificate that signed the broker's certificate (None for PLAINTEXT)."""
        return self.ca.cert_path if self.ca else None

    def listener_security_settings(self):
        """server.properties entries of the CLIENT listener's TLS and SASL (none for PLAINTEXT)."""
        if self.security == "PLAINTEXT":
            return {}
        prefix = "listener.name.client."
        settings = {
            f"{prefix}ssl.keystore.type": "PEM",
            f"{prefix}ssl.keystore.location": self.keystore_path,
            f"{prefix}ssl.truststore.type": "PEM",
            f"{prefix}ssl.truststore.location": self.ca.cert_path,
            f"{prefix}ssl.client.auth": "required" if self.ssl_client_auth else "none",
        }
        if self.security == "SASL_SSL":
            settings[f"{prefix}sasl.enabled.mechanisms"] = SASL_MECHANISM
            settings[f"{prefix}{SASL_MECHANISM.lower()}.sasl.jaas.config"] = \
                "org.apache.kafka.common.security.scram.ScramLoginModule required;"
        return settings

    def client_config(self, user="tributary", password=None):
        """The security entries of a librdkafka client config for the client listener: {} for
        PLAINTEXT; TLS with this cluster's CA; SASL/SCRAM as `user` (its password unless given)."""
        if self.security == "PLAINTEXT":
            return {}
        config = {"security.protocol": self.security, "ssl.ca.location": self.ca.cert_path}
        if self.client_cert:
            config["ssl.certificate.location"], config["ssl.key.location"] = self.client_cert
        if self.security == "SASL_SSL":
            config.update({"sasl.mechanisms": SASL_MECHANISM, "sasl.username": user,
                           "sasl.password": self.sasl_users[user] if password is None else password})
        return config

    def _client(self, cls, config):
        """A confluent_kafka client of class `cls` with this cluster's security settings."""
        return cls({**config, **self.client_config(),
                    "logger": logging.getLogger("tributary_testing.kafka_admin")})

    # ---- lifecycle -------------------------------------------------------------------------------

    def java_command(self, main_class, *args, heap=None):
        """A JVM running `main_class` from the cached jars; the broker gets `heap`, tools a small one."""
        log4j = os.path.join(self.workdir, "log4j")
        memory = [f"-Xmx{heap}", f"-Xms{heap}"] if heap else ["-Xmx128m", "-XX:TieredStopAtLevel=1"]
        return [_java_binary(), *memory, "-XX:+UseSerialGC", "-Djava.awt.headless=true",
                f"-Dlog4j.configuration=file:{log4j}.properties",
                f"-Dlog4j2.configurationFile={log4j}2.properties", f"-Dkafka.logs.dir={self.workdir}",
                "-cp", os.path.join(self.libs, "*"), main_class, *args]

    def _write_logging_config(self):
        # Both syntaxes: 3.9 reads reload4j's, 4.x Log4j2's. INFO from the broker, WARN from the chatty parts.
        with open(os.path.join(self.workdir, "log4j.properties"), "w") as f:
            f.write("log4j.rootLogger=INFO, stdout\n"
                    "log4j.appender.stdout=org.apache.log4j.ConsoleAppender\n"
                    "log4j.appender.stdout.layout=org.apache.log4j.PatternLayout\n"
                    "log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n\n"
                    "log4j.logger.kafka.log=WARN\nlog4j.logger.org.apache.kafka.storage=WARN\n"
                    "log4j.logger.state.change.logger=WARN\nlog4j.logger.kafka.coordinator.group=WARN\n"
                    "log4j.logger.org.apache.kafka.controller=WARN\nlog4j.logger.kafka.cluster=WARN\n")
        with open(os.path.join(self.workdir, "log4j2.properties"), "w") as f:
            f.write("status = warn\nappender.console.type = Console\nappender.console.name = STDOUT\n"
                    "appender.console.layout.type = PatternLayout\n"
                    "appender.console.layout.pattern = [%d] %p %m (%c)%n\n"
                    "rootLogger.level = info\nrootLogger.appenderRef.stdout.ref = STDOUT\n"
                    "logger.log.name = kafka.log\nlogger.log.level = warn\n"
                    "logger.storage.name = org.apache.kafka.storage\nlogger.storage.level = warn\n"
                    "logger.state.name = state.change.logger\nlogger.state.level = warn\n"
                    "logger.controller.name = org.apache.kafka.controller\nlogger.controller.level = warn\n")

    def start(self):
        try:
            self.libs = kafka_libs(self.version)
            self._write_logging_config()
            if self.proxied:
                for node in self.nodes:
                    node.proxy = TcpProxy(("127.0.0.1", node.port)).start()
            voters = ",".join(f"{n.node_id}@127.0.0.1:{n.controller_port}" for n in self.nodes)
            cluster_id = _cluster_id()
            formats = []
            for node in self.nodes:
                os.makedirs(node.workdir, exist_ok=True)
                node.write_config(voters, self.broker_config)
                formats.append((node, subprocess.Popen(node.format_command(cluster_id),
                                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT)))
            for node, proc in formats:
                output, _ = proc.communicate(timeout=120)
                if proc.returncode != 0:
                    raise RuntimeError(f"kafka StorageTool format of node {node.node_id} failed:\n"
                                       f"{output.decode(errors='replace')[-4000:]}")
            for node in self.nodes:
                node.start()
            self.wait_ready(self.start_timeout)
            for topic, count in self.topics.items():
                self.create_topic(topic, count or self.partitions)
        except BaseException:
            self.close()
            raise
        return self

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.close()

    def close(self):
        """Stops every node (SIGTERM, then SIGKILL) and the proxies; keeps the workdir for logs."""
        if self._admin is not None:
            self._admin = None
        for node in self.nodes:
            try:
                node.stop(timeout=20)
            except Exception:
                node.kill()
            if node.proxy is not None:
                node.proxy.close()
                node.proxy = None

    #: tributary_testing.kafka calls stop() on every backend at teardown.
    def stop(self, node=None, timeout=60):
        """SIGTERM to one node (controlled shutdown) or, without `node`, closes the whole cluster."""
        if node is None:
            self.close()
            return None
        return self.node(node).stop(timeout=timeout)

    def kill(self, node=None):
        """SIGKILL to one node (or every node)."""
        for n in self._selected(node):
            n.kill()
        self._admin = None  # the next admin client bootstraps from the nodes still running

    def start_node(self, node=None, wait=True):
        """Starts stopped or killed nodes again on their data dirs and ports."""
        for n in self._selected(node):
            n.start()
        if wait:
            self.wait_ready(self.start_timeout)

    def restart(self, node=None, hard=False):
        self.kill(node) if hard else [n.stop() for n in self._selected(node)]
        self.start_node(node)

    def freeze(self, node=None):
        for n in self._selected(node):
            n.signal(signal.SIGSTOP)

    def thaw(self, node=None):
        for n in self._selected(node):
            n.signal(signal.SIGCONT)

    def node(self, node_id):
        return self.nodes[node_id - 1]

    def proxy(self, node_id=1):
        return self.node(node_id).proxy

    def _selected(self, node):
        return self.nodes if node is None else [self.node(node)]

    # ---- addresses and state ---------------------------------------------------------------------

    @property
    def bootstrap_servers(self):
        return ",".join(f"127.0.0.1:{n.advertised_port}" for n in self.nodes)

    @property
    def direct_bootstrap_servers(self):
        """The nodes' own client ports, bypassing any proxy (for the test's own clients)."""
        return ",".join(f"127.0.0.1:{n.port}" for n in self.nodes if n.running) or \
            ",".join(f"127.0.0.1:{n.port}" for n in self.nodes)

    def log_tail(self, lines=40):
        return "\n".join(f"--- node {n.node_id} ({n.logfile})\n{tail(n.logfile, lines)}" for n in self.nodes)

    def admin(self):
        """The cluster's confluent_kafka AdminClient, on every node's own port (never through a proxy)."""
        from confluent_kafka.admin import AdminClient

        if self._admin is None:
            nodes = [n for n in self.nodes if n.running]
            self._admin = self._client(AdminClient, {
                "bootstrap.servers": ",".join(f"127.0.0.1:{n.port}" for n in nodes or self.nodes),
                "socket.connection.setup.timeout.ms": 3000, "reconnect.backoff.max.ms": 500})
        return self._admin

    def metadata(self, timeout=5.0, attempts=6):
        """Cluster metadata. A node killed by the test may be the one the cached admin client asks:
        its request then times out, so a timed-out ask is retried on a fresh client (which bootstraps
        from the nodes still running) before the error is raised."""
        from confluent_kafka import KafkaException

        for attempt in range(attempts):
            try:
                return self.admin().list_topics(timeout=timeout)
            except KafkaException:
                if attempt + 1 == attempts:
                    raise
                self._admin = None

    def wait_ready(self, timeout=120.0):
        """Waits until every running node answers a metadata request itself, listing every running
        node as a broker, with a controller known. (Asking each node on its own port matters after a
        restart: the others still list a killed node until its session lapses.)"""
        from confluent_kafka import KafkaException
        from confluent_kafka.admin import AdminClient

        running = [n for n in self.nodes if n.proc is not None]
        wanted = {n.node_id for n in running}
        clients = {n.node_id: self._client(AdminClient, {"bootstrap.servers": f"127.0.0.1:{n.port}",
                                                         "topic.metadata.refresh.interval.ms": -1})
                   for n in running}
        pending = set(wanted)
        seen = {}

        def ready():
            for n in running:
                if n.proc.poll() is not None:
                    raise RuntimeError(f"kafka node {n.node_id} exited ({n.proc.returncode})\n"
                                       f"{tail(n.logfile, 80)}")
            for node_id in sorted(pending):
                try:
                    metadata = clients[node_id].list_topics(timeout=2.0)
                except KafkaException as e:
                    seen[node_id] = str(e)
                    continue
                seen[node_id] = f"brokers {sorted(metadata.brokers)} controller {metadata.controller_id}"
                # Its first answer comes from the node itself: the client knows no other broker yet.
                if wanted <= set(metadata.brokers) and metadata.controller_id >= 0:
                    pending.discard(node_id)
            return not pending

        wait_until(ready, timeout, lambda: f"kafka {self.version} nodes {sorted(pending)} to be ready "
                   f"(last answers: {seen})\n{self.log_tail(30)}", interval=0.2)
        return self

    def create_topic(self, topic, partitions=None, replication_factor=None, config=None, timeout=60.0):
        """Creates a topic (an existing one is left as it is) and waits until it has leaders."""
        from confluent_kafka.admin import NewTopic

        partitions = int(partitions or self.partitions)
        replication = replication_factor or min(3, len(self.nodes))
        futures = self.admin().create_topics(
            [NewTopic(topic, partitions, replication, config=dict(config or {}))], request_timeout=timeout)
        for future in futures.values():
            try:
                future.result(timeout=timeout)
            except Exception as e:
                if "TOPIC_ALREADY_EXISTS" not in str(e):
                    raise
        self.wait_for_leaders(topic, partitions, timeout)

    def wait_for_leaders(self, topic, partitions=None, timeout=60.0):
        """Waits until every running node's own metadata shows the topic with a leader per partition
        (on a cluster, a node that has not seen a new topic yet answers UNKNOWN_TOPIC_OR_PART)."""
        from confluent_kafka import KafkaException
        from confluent_kafka.admin import AdminClient

        pending = {n.node_id for n in self.nodes if n.running}

        def known_everywhere():
            for node_id in sorted(pending):
                # A fresh client per ask: its first answer comes from the node it bootstraps from.
                client = self._client(AdminClient, {"bootstrap.servers": f"127.0.0.1:{self.node(node_id).port}"})
                try:
                    topic_metadata = client.list_topics(timeout=2.0).topics.get(topic)
                except KafkaException:
                    continue
                if topic_metadata is None or topic_metadata.error is not None:
                    continue
                parts = topic_metadata.partitions
                if (partitions is None or len(parts) >= partitions) and all(p.leader >= 0 for p in parts.values()):
                    pending.discard(node_id)
            return not pending

        wait_until(known_everywhere, timeout, lambda: f"topic {topic} to have leaders on nodes {sorted(pending)}",
                   interval=0.1)

    def partition_leader(self, topic, partition=0):
        return self.metadata().topics[topic].partitions[partition].leader

    def transaction_coordinator(self, transactional_id):
        """The node id leading the __transaction_state partition of `transactional_id` (the topic exists
        once some transactional producer has called InitProducerId)."""
        h = java_string_hash(transactional_id)
        partition = (0 if h == -(1 << 31) else abs(h)) % INTERNAL_TOPIC_PARTITIONS  # Kafka's Utils.abs
        return self.partition_leader("__transaction_state", partition)

    def high_watermarks(self, topic, timeout=30.0):
        """{partition: high watermark} of a topic."""
        from confluent_kafka import Consumer, KafkaException, TopicPartition

        consumer = self._client(Consumer, {"bootstrap.servers": self.direct_bootstrap_servers,
                                           "group.id": f"tributary-test-hwm-{uuid.uuid4()}"})
        result = {}

        def read_all():
            # A fresh client may not know the topic yet (metadata still spreading): retried.
            for p in self.metadata().topics[topic].partitions:
                if p not in result:
                    try:
                        result[p] = consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=5)[1]
                    except KafkaException:
                        return False
            return True

        try:
            wait_until(read_all, timeout, f"the high watermarks of {topic}", interval=0.1)
            return result
        finally:
            consumer.close()

    def topic_config(self, topic, timeout=30.0):
        """{name: value} of a topic's configuration as the broker describes it."""
        from confluent_kafka import KafkaError, KafkaException
        from confluent_kafka.admin import ConfigResource

        resource = ConfigResource("topic", topic)
        found = {}

        def describe():
            try:
                found.update(self.admin().describe_configs([resource])[resource].result(timeout=30))
                return True
            except KafkaException as e:
                if e.args[0].code() != KafkaError.UNKNOWN_TOPIC_OR_PART:
                    raise
                return False  # a broker that has not seen the new topic yet

        wait_until(describe, timeout, f"the configuration of topic {topic}", interval=0.1)
        return {name: entry.value for name, entry in found.items()}
