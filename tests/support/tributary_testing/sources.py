"""The database side of an `items` scenario, PostgreSQL or MySQL/MariaDB, behind one small interface.

Tests that run the same scenario on both sources (test_faults, test_crash) are parametrized with
`source` = "postgres" | "mysql" and take an `ItemsSource` from `items_source(kind, env, request)`:
it names the database, opens workload connections, builds the daemon's config, names the table
topic, restarts the server, and gives the verifier's source-specific arguments. The MySQL side
uses the session's MariaDB (fixtures `mariadb`, `mysql_database`), requested only when used, so a
PostgreSQL-only run never starts MariaDB.
"""

import os
import re

from tributary_testing import daemon as daemon_mod
from tributary_testing.workload import create_items_table, preload_items


class _PostgresItems:
    kind = "postgres"
    connector = "postgresql"
    schema = "public"
    # The daemon's log: a run that takes a snapshot / one that resumes streaming.
    snapshot_started = re.compile(r"created replication slot")
    streaming_started = re.compile(r"streaming from slot")

    def __init__(self, env, request):
        self.env = env
        self.server = env.pg
        self.db = env.database()

    def connect(self, autocommit=True):
        """A workload connection (the table owner)."""
        return self.env.connect(self.db, autocommit=autocommit)

    def topic(self, prefix, table="items"):
        return f"{prefix}.public.{table}"

    def config(self, kafka, name, pipeline=None, **kwargs):
        return self.env.config(self.db, kafka, name=name, pipeline=pipeline, **kwargs)

    def restart(self):
        self.server.restart()

    def verify_kwargs(self):
        return {"connector": self.connector, "schema": self.schema, "database": self.db}

    _CREATED_SLOT = re.compile(r"created replication slot \S+ at ([0-9A-Fa-f]+)/([0-9A-Fa-f]+), snapshot")

    def snapshot_attempt(self, log_text):
        """The consistent point of the snapshot a run's log says it takes (None: no snapshot), in
        the form `event_attempt` gives its `r` events: the slot's LSN."""
        match = self._CREATED_SLOT.search(log_text)
        return (int(match.group(1), 16) << 32 | int(match.group(2), 16)) if match else None

    @staticmethod
    def event_attempt(event):
        return (event.source or {}).get("lsn")


class _MysqlItems:
    kind = "mysql"
    # The envelope's connector name: Debezium's MySQL connector, or its MariaDB one.
    connector = ("mysql", "mariadb")
    schema = None
    snapshot_started = re.compile(r"snapshot of \d+ tables? with \d+ connection")
    streaming_started = re.compile(r"streaming the binlog from")
    _next_server_id = [5400]

    def __init__(self, env, request):
        self.env = env
        self.server = request.getfixturevalue("mariadb")
        self.db = request.getfixturevalue("mysql_database")
        # A replica id of its own per scenario: the server drops an older reader with the same id.
        _MysqlItems._next_server_id[0] += 1
        self.server_id = _MysqlItems._next_server_id[0]

    def connect(self, autocommit=True):
        """A workload connection (root: the daemon's user may not write)."""
        return self.server.connect(database=self.db, autocommit=autocommit)

    def topic(self, prefix, table="items"):
        return f"{prefix}.{self.db}.{table}"

    def pipeline(self, name, topic_prefix=None, **overrides):
        server = self.server
        pipeline = {
            "name": name,
            "source": {"type": "mysql", "host": server.host, "port": server.port, "user": server.user,
                       "password": server.password, "server_id": self.server_id},
            "tables": {"include": [re.escape(self.db) + "\\..*"], "exclude": []},
            "snapshot": {"mode": "initial", "parallelism": 2},
            "topic_prefix": topic_prefix or name,
            "envelope": {"schemas": True, "tombstones_on_delete": True},
        }
        return daemon_mod.deep_merge(pipeline, overrides)

    def config(self, kafka, name, pipeline=None, **kwargs):
        return daemon_mod.daemon_config([self.pipeline(name, **(pipeline or {}))],
                                        kafka.bootstrap_servers if kafka else "127.0.0.1:9",
                                        os.path.join(self.env.workdir, "offsets"), **kwargs)

    def restart(self):
        self.server.restart()

    def verify_kwargs(self):
        return {"connector": self.connector, "schema": None, "database": self.db}

    _SNAPSHOT_AT = re.compile(r"snapshot of \d+ tables? with \d+ connection\(s\) at (\S+):(\d+)")

    def snapshot_attempt(self, log_text):
        """The binlog point of the snapshot a run's log says it takes (None: no snapshot), in the
        form `event_attempt` gives its `r` events: (file, pos)."""
        match = self._SNAPSHOT_AT.search(log_text)
        return (match.group(1), int(match.group(2))) if match else None

    @staticmethod
    def event_attempt(event):
        source = event.source or {}
        return (source.get("file"), source.get("pos"))


SOURCES = ("postgres", "mysql")


def items_source(kind, env, request):
    """The ItemsSource of `kind` ("postgres" | "mysql") for this test."""
    if kind == "postgres":
        return _PostgresItems(env, request)
    if kind == "mysql":
        return _MysqlItems(env, request)
    raise ValueError(f"source {kind!r}: expected one of {SOURCES}")


def items_pipeline(kind, env, request, rows, name, max_events=10000, pipeline=None, server=None):
    """The `items` table of a `kind` source with `rows` preloaded rows, a read_committed collector
    on its topic in the session's Kafka, and the daemon's config for pipeline `name` (its own
    offsets topic). `server`: a private MySQL server instead of the session's.
    Returns (source, kafka, topic, collector, config, initial rows)."""
    source = items_source(kind, env, request)
    if server is not None:
        source.server = server
        server.create_database(source.db)
    conn = source.connect()
    create_items_table(conn)
    initial = preload_items(conn, rows) if rows else {}
    conn.close()
    kafka = env.shared_kafka()
    topic = source.topic(name)
    collector = env.collector(kafka, topics=[topic])
    config = source.config(kafka, name, pipeline=pipeline, max_events=max_events,
                           offsets_topic=f"tributary.offsets.{name}")
    return source, kafka, topic, collector, config, initial
