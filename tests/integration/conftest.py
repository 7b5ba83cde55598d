"""Fixtures for the integration tests: one PostgreSQL per session, per-test databases, Kafka, daemons.

Run through ctest (`ctest -L integration`), which sets TRIBUTARY_BIN, MOCK_KAFKA_BIN and PYTHONPATH;
or by hand: `/usr/bin/python3 -m pytest -q tests/integration/...` with those variables set (the
binaries are also looked up in <repo>/build*/ when the variables are missing). Kafka is a real
Apache Kafka (tributary_testing.kafka_server, jars from tests/support/kafka/fetch.sh) unless
TRIBUTARY_TEST_KAFKA=mock selects librdkafka's mock cluster (then MOCK_KAFKA_BIN is needed).
"""

import glob
import os
import re
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SUPPORT = os.path.join(REPO, "tests", "support")
if SUPPORT not in sys.path:
    sys.path.insert(0, SUPPORT)

from tributary_testing import daemon as daemon_mod  # noqa: E402
from tributary_testing.kafka import Collector, backend_name, start_kafka  # noqa: E402
from tributary_testing.mariadb_server import MariaDbServer  # noqa: E402
from tributary_testing.pgserver import PgServer  # noqa: E402


def _find_binary(env_name, pattern):
    if os.environ.get(env_name):
        return os.environ[env_name]
    found = sorted(glob.glob(os.path.join(REPO, pattern)), key=os.path.getmtime, reverse=True)
    if found:
        os.environ[env_name] = found[0]
        return found[0]
    return None


@pytest.fixture(scope="session")
def binaries():
    tributary = _find_binary("TRIBUTARY_BIN", "build*/tributary")
    mock = _find_binary("MOCK_KAFKA_BIN", "build*/tests/support/mock_kafka/tributary-mock-kafka")
    needed = [("TRIBUTARY_BIN", tributary)]
    if backend_name() == "mock":  # the real Kafka needs no binary of ours
        needed.append(("MOCK_KAFKA_BIN", mock))
    missing = [name for name, path in needed if not path or not os.access(path, os.X_OK)]
    if missing:
        pytest.fail(f"{', '.join(missing)} not set or not executable: build the `tributary` (and for "
                    "TRIBUTARY_TEST_KAFKA=mock `tributary-mock-kafka`) targets and run through ctest "
                    "(-L integration)")
    return tributary, mock


class SharedKafka:
    """One real Kafka for the whole pytest session (one ctest file), started on first use, for
    tests that neither disturb the broker nor share topics: each names its own topics, offsets
    topic and pipeline (so its own transactional.id)."""

    def __init__(self, logdir):
        self.logdir = logdir
        self.kafka = None

    def get(self):
        if self.kafka is None:
            self.kafka = start_kafka(logdir=self.logdir)
        return self.kafka

    def close(self):
        if self.kafka is not None:
            self.kafka.stop()
            self.kafka = None


@pytest.fixture(scope="session")
def shared_kafka(tmp_path_factory):
    shared = SharedKafka(str(tmp_path_factory.mktemp("shared-kafka")))
    yield shared
    shared.close()


@pytest.fixture(scope="session")
def pg():
    """One PostgreSQL 15 (wal_level=logical) for the whole session; tests use their own databases."""
    with PgServer() as server:
        yield server


@pytest.fixture(scope="session")
def mariadb():
    """One MariaDB 10.11 (binlog ROW, FULL image and metadata, GTID strict) for the whole session,
    started on first use; tests use their own databases (`mysql_database`)."""
    with MariaDbServer() as server:
        yield server


@pytest.fixture
def mysql_database(mariadb, request):
    """A fresh database on the session's MariaDB named after the test, dropped at teardown."""
    base = re.sub(r"[^a-z0-9]+", "_", request.node.name.lower()).strip("_")[:40]
    name = f"t_{base}"
    mariadb.drop_database(name)
    mariadb.create_database(name)
    yield name
    mariadb.drop_database(name)


@pytest.fixture
def mariadb_server(request):
    """A factory for extra MariaDB servers, e.g. with a prerequisite wrong:
    `mariadb_server(settings={"binlog_format": "STATEMENT"}, privileges=["SELECT"])`; each is
    stopped at teardown, and its log is printed when the test failed."""
    servers = []
    failed_before = request.session.testsfailed

    def start(**kwargs):
        server = MariaDbServer(**kwargs).start()
        servers.append(server)
        return server

    yield start
    failed = request.session.testsfailed > failed_before  # this test's call phase failed
    for server in servers:
        if failed:
            print(f"mariadb log ({server.logfile}):\n{server.log_tail(60)}", file=sys.stderr)
        server.stop()


class TestEnv:
    """Everything one test starts, torn down in a safe order; its logs are attached on failure."""

    __test__ = False  # not a test class

    def __init__(self, pg, workdir, test_name, shared_kafka=None):
        self.pg = pg
        self._shared_kafka = shared_kafka
        self.workdir = str(workdir)
        self.test_name = test_name
        self.databases = []
        self.kafkas = []
        self.shared = []  # the session's shared Kafka, when used (left running)
        self.collectors = []
        self.daemons = []
        self.workloads = []
        self.servers = []  # extra PgServers

    # ---- databases -------------------------------------------------------------------------------

    def database(self, suffix=""):
        """A fresh database owned by the daemon's role; returns its name."""
        base = re.sub(r"[^a-z0-9]+", "_", self.test_name.lower()).strip("_")[:40]
        name = f"t_{base}{suffix}"
        self.pg.drop_database(name)
        self.pg.create_database(name)
        self.databases.append(name)
        return name

    def connect(self, database, superuser=False, autocommit=True):
        """psycopg2 connection; by default as the daemon's role, which owns the tables it creates."""
        return self.pg.connect(database=database, superuser=superuser, autocommit=autocommit)

    def sql(self, database, statement, params=None):
        """Runs one statement as the table owner (autocommit); returns rows or None."""
        return self.pg.execute(statement, params, database=database, superuser=False)

    # ---- kafka -----------------------------------------------------------------------------------

    def kafka(self, topics=None, brokers=1, partitions=16, backend=None, **broker_options):
        """The Kafka backend of TRIBUTARY_TEST_KAFKA (default: a real Kafka), or `backend` if given.

        `topics` ({name: partitions}) are created up front: the real broker auto-creates nothing
        unless `auto_create_topics=True`. `broker_options` go to RealKafka (`broker_config={...}`,
        `proxied=True`, `auto_create_topics=True`, ...).
        """
        kafka = start_kafka(topics=topics, brokers=brokers, partitions=partitions, logdir=self.workdir,
                            backend=backend, **broker_options)
        self.kafkas.append(kafka)
        return kafka

    def shared_kafka(self, topics=None, partitions=16):
        """The session's shared Kafka (see SharedKafka) with `topics` ({name: partitions}) created.
        Its log is attached to a failure report like a test's own backend's; it is not stopped at
        teardown."""
        kafka = self._shared_kafka.get()
        if hasattr(kafka, "create_topic"):  # the mock auto-creates topics
            for topic, count in (topics or {}).items():
                kafka.create_topic(topic, count or partitions)
        if kafka not in self.shared:
            self.shared.append(kafka)
        return kafka

    def collector(self, kafka, topics=(), pattern=None):
        """A read_committed Collector; it bypasses a RealKafka's proxies (faults are the daemon's)."""
        servers = getattr(kafka, "direct_bootstrap_servers", kafka.bootstrap_servers)
        collector = Collector(servers, topics=topics, pattern=pattern).start()
        self.collectors.append(collector)
        return collector

    # ---- the daemon ------------------------------------------------------------------------------

    def config(self, database, kafka, name="shop", topic_prefix=None, pipeline=None, pg=None, **kwargs):
        """A daemon config for one pipeline on `database` (slot/publication named after the database)."""
        server = pg or self.pg
        pipe = daemon_mod.pipeline_config(server, name=name, database=database,
                                          topic_prefix=topic_prefix or name,
                                          slot=f"tributary_{database}", publication=f"tributary_{database}",
                                          **(pipeline or {}))
        return daemon_mod.daemon_config([pipe], kafka.bootstrap_servers if kafka else "127.0.0.1:9",
                                        os.path.join(self.workdir, "offsets"), **kwargs)

    def daemon(self, config, name="tributary"):
        os.makedirs(os.path.join(self.workdir, "offsets"), exist_ok=True)
        d = daemon_mod.Daemon(self.workdir, config, name=name)
        self.daemons.append(d)
        return d

    def pg_server(self, **kwargs):
        """An extra PostgreSQL (e.g. with other settings), stopped at teardown."""
        server = PgServer(**kwargs).start()
        self.servers.append(server)
        return server

    # ---- teardown and reports --------------------------------------------------------------------

    def close(self):
        errors = []
        for workload in self.workloads:
            try:
                workload.close()
            except Exception as e:  # teardown goes on; reported below
                errors.append(f"workload: {e!r}")
        for d in self.daemons:
            try:
                d.stop()
            except Exception as e:
                errors.append(f"{d}: {e!r}")
        for collector in self.collectors:
            collector.stop()
        for kafka in self.kafkas:
            kafka.stop()
        for server in self.servers:
            server.stop()
        for name in self.databases:
            try:
                self.pg.drop_database(name)
            except Exception as e:
                errors.append(f"drop database {name}: {e!r}")
        if errors:
            print("teardown problems:\n  " + "\n  ".join(errors), file=sys.stderr)

    def failure_sections(self):
        sections = []
        for d in self.daemons:
            sections.append((f"tributary stderr: {d.name} (exits {d.exit_codes}; {d.stderr_path})",
                             d.stderr_tail(300)))
        for collector in self.collectors:
            if collector.errors or collector.warnings:
                sections.append(("kafka collector", "\n".join(collector.errors + collector.warnings[-30:])))
        for kafka in self.kafkas + self.shared:
            sections.append(("kafka backend log", kafka.log_tail(40)))
        for server in [self.pg] + self.servers:
            sections.append((f"postgres log ({server.logfile})", server.log_tail(60)))
        sections.append(("work directory (kept by pytest)", self.workdir))
        return sections


@pytest.fixture
def env(pg, binaries, tmp_path, request, shared_kafka):
    test_env = TestEnv(pg, tmp_path, request.node.name, shared_kafka)
    request.node._tributary_env = test_env
    yield test_env
    test_env.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    test_env = getattr(item, "_tributary_env", None)
    if report.failed and test_env is not None and report.when in ("call", "setup"):
        for title, text in test_env.failure_sections():
            report.sections.append((title, text))
