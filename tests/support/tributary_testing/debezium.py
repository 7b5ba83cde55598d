"""Debezium as a test peer: its embedded engine (tests/support/debezium, every Debezium artifact
3.6.1.Final from Maven Central, but 2.6.2.Final for MariaDB (see below), fetched and compiled by
tests/support/debezium/fetch.sh) run on the same database as tributary, each record printed as one JSON line:

    {"topic": ..., "key_schemas": ..., "value_schemas": ..., "key": ..., "value": ...,
     "headers": [{"key": ..., "value": ...}]}

`*_schemas` is what Kafka Connect's JsonConverter writes with schemas.enable=true (its default):
{"schema": ..., "payload": ...}; `key`/`value` the same converter with schemas.enable=false; None for
a tombstone's value. Header values are SimpleHeaderConverter's text, as a Connect worker writes them.
The engine knows no partition: a Kafka Connect worker's producer would put a record on
murmur2(key bytes, i.e. the key converter's output) % partitions, Kafka's default partitioner.

Settings (debezium_properties): Debezium's defaults, except those that tributary's configuration maps
one to one:
    connector.class            the connector ("postgresql" | "mysql"; "mariadb", see below)
    database.hostname/port/user/password, database.dbname (PostgreSQL)
    topic.prefix               tributary's topic prefix
    table.include.list         tributary's table list
    slot.name, publication.name  tributary's slot and publication (PostgreSQL)
    plugin.name=pgoutput       tributary decodes pgoutput
    publication.autocreate.mode=filtered  tributary creates a publication of its tables only
    snapshot.mode=initial      tributary snapshots on first start, then streams
    database.server.id         tributary's replica server id (MySQL/MariaDB)
and where the engine keeps its state: offsets (FileOffsetBackingStore) and the schema history
(FileSchemaHistory, MySQL/MariaDB) in files in `workdir`; `name` (the engine's name) is the prefix.
`extra` overrides any of them.

MariaDB: a second pinned classpath, Debezium 2.6.2.Final (tests/support/debezium/mariadb/pom.xml,
`fetch.sh mariadb`, cache folder debezium-2.6.2.Final-mariadb/): its MySQL connector with
connector.adapter=mariadb, database.protocol=jdbc:mariadb, database.jdbc.driver=org.mariadb.jdbc.Driver
(MariaDB's JDBC driver 3.5.1 on the classpath) and database.ssl.mode=disabled (2.6's default
`preferred` is no SslMode of MariaDB's driver: it refuses the URL). debezium-connector-mariadb 3.x
is not served by the Maven Central this project reaches, and the 3.6.1 MySQL connector is no
stand-in: it takes MariaDB 10.11 for MySQL >= 8.4 and fails on SHOW BINARY LOG STATUS. Same peer
source, compiled against either classpath.
"""

import json
import os
import subprocess
import threading
import time

from tributary_testing.util import Deadline, stop_process, tail, wait_until

_HERE = os.path.dirname(os.path.abspath(__file__))
_FETCH = os.path.join(os.path.dirname(_HERE), "debezium", "fetch.sh")
VERSION = "3.6.1.Final"
MARIADB_VERSION = "2.6.2.Final"  # see the module's docstring
MAIN_CLASS = "dev.tributary.debezium.DebeziumPeer"

_CONNECTOR_CLASSES = {
    "postgresql": "io.debezium.connector.postgresql.PostgresConnector",
    "mysql": "io.debezium.connector.mysql.MySqlConnector",
    "mariadb": "io.debezium.connector.mysql.MySqlConnector",  # 2.6.2 with its MariaDB adapter
}

STREAMING_LINE = "debezium-peer: streaming"


def debezium_properties(connector, *, host, port, user, password, database, topic_prefix,
                        tables_include, workdir, slot="", publication="", server_id=0, extra=None):
    """The engine's properties: Debezium's defaults but for the settings tributary maps one to one
    (module docstring), `extra` last."""
    if connector not in _CONNECTOR_CLASSES:
        raise ValueError(f"connector must be one of {sorted(_CONNECTOR_CLASSES)}, not {connector!r}")
    props = {
        "name": topic_prefix,
        "connector.class": _CONNECTOR_CLASSES[connector],
        "database.hostname": host,
        "database.port": str(port),
        "database.user": user,
        "database.password": password,
        "topic.prefix": topic_prefix,
        "table.include.list": ",".join(tables_include),
        "snapshot.mode": "initial",
        "offset.storage": "org.apache.kafka.connect.storage.FileOffsetBackingStore",
        "offset.storage.file.filename": os.path.join(workdir, "offsets.dat"),
    }
    if connector == "postgresql":
        if not slot or not publication:
            raise ValueError("the postgresql connector needs slot= and publication=")
        props.update({
            "database.dbname": database,
            "slot.name": slot,
            "publication.name": publication,
            "plugin.name": "pgoutput",
            "publication.autocreate.mode": "filtered",
        })
    else:
        if server_id <= 0:
            raise ValueError(f"the {connector} connector needs server_id= (a positive replica id)")
        props.update({
            "database.server.id": str(server_id),
            "schema.history.internal": "io.debezium.storage.file.history.FileSchemaHistory",
            "schema.history.internal.file.filename": os.path.join(workdir, "schema-history.dat"),
        })
    if connector == "mariadb":
        props.update({
            "connector.adapter": "mariadb",
            "database.protocol": "jdbc:mariadb",
            "database.jdbc.driver": "org.mariadb.jdbc.Driver",
            # Debezium's default ssl.mode=preferred is not a MariaDB driver SslMode (the driver
            # refuses the URL): disabled, which the driver takes as its alias of `disable`; TLS
            # tests pass database.ssl.mode (e.g. required, verify_identity) in `extra`
            "database.ssl.mode": "disabled",
        })
    props.update(extra or {})
    return props


def fetch(connector="postgresql"):
    """The connector's cache folder (libs/, classes/): fetched and compiled on first use, offline
    afterwards; mariadb has its own (module docstring)."""
    command = [_FETCH] + (["mariadb"] if connector == "mariadb" else [])
    result = subprocess.run(command, check=False, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"{_FETCH} failed ({result.returncode}):\n{result.stderr[-4000:]}")
    return result.stdout.strip().splitlines()[-1]


def connector_available(connector):
    """Whether the fetched classpath holds the connector's jar."""
    return os.path.exists(_connector_jar(fetch(connector), connector))


def _connector_jar(cache, connector):
    if connector == "mariadb":
        return os.path.join(cache, "libs", f"debezium-connector-mysql-{MARIADB_VERSION}.jar")
    artifact = {"postgresql": "postgres"}.get(connector, connector)
    return os.path.join(cache, "libs", f"debezium-connector-{artifact}-{VERSION}.jar")


def _escape_property(text):
    """java.util.Properties.load syntax for one key or value."""
    out = []
    for ch in text:
        if ch in "\\:=#! ":
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif ord(ch) > 0x7E or ord(ch) < 0x20:
            out.append("\\u%04x" % ord(ch))
        else:
            out.append(ch)
    return "".join(out)


class DebeziumPeer:
    """One embedded Debezium engine in its own JVM: `with DebeziumPeer(...) as peer:` starts it and
    returns once the connector streams (snapshot done); `records(n)` waits for records."""

    def __init__(self, *, connector, host, port, user, password, database, topic_prefix,
                 tables_include, workdir, slot="", publication="", server_id=0, extra=None):
        self.connector = connector
        self.workdir = workdir
        self.properties = debezium_properties(
            connector, host=host, port=port, user=user, password=password, database=database,
            topic_prefix=topic_prefix, tables_include=list(tables_include), workdir=workdir,
            slot=slot, publication=publication, server_id=server_id, extra=extra)
        self.logfile = os.path.join(workdir, "debezium.log")
        self.startup_seconds = None  # JVM start to streaming, measured by start()
        self._proc = None
        self._log = None
        self._reader = None
        self._records = []
        self._last_record_at = None
        self._cond = threading.Condition()

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    # ---- lifecycle -------------------------------------------------------------------------------

    def start(self, timeout=120):
        os.makedirs(self.workdir, exist_ok=True)
        cache = fetch(self.connector)
        if not os.path.exists(_connector_jar(cache, self.connector)):
            raise RuntimeError(f"{_connector_jar(cache, self.connector)} is missing: the {self.connector} "
                               f"connector is not in tests/support/debezium/pom.xml")
        props_path = os.path.join(self.workdir, "debezium.properties")
        with open(props_path, "w", encoding="ascii") as f:
            for key, value in self.properties.items():
                f.write(f"{_escape_property(key)}={_escape_property(value)}\n")
        os.chmod(props_path, 0o600)  # holds the database password
        java = os.path.join(os.environ["JAVA_HOME"], "bin", "java") if os.environ.get("JAVA_HOME") else "java"
        classpath = os.pathsep.join([os.path.join(cache, "classes"), os.path.join(cache, "libs", "*")])
        command = [java, "-Xmx512m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                   "-Dorg.slf4j.simpleLogger.showDateTime=true",
                   "-Dorg.slf4j.simpleLogger.dateTimeFormat=HH:mm:ss.SSS",
                   "-cp", classpath, MAIN_CLASS, props_path]
        self._log = open(self.logfile, "ab")
        began = time.monotonic()
        self._proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                      stderr=self._log, cwd=self.workdir)
        self._reader = threading.Thread(target=self._read, name="debezium-peer-reader", daemon=True)
        self._reader.start()

        def streaming():
            if self._proc.poll() is not None:
                raise RuntimeError(f"Debezium peer exited ({self._proc.returncode}) before streaming:\n"
                                   f"{self.log_tail()}")
            return STREAMING_LINE in tail(self.logfile, 400)

        wait_until(streaming, timeout, lambda: f"Debezium to stream; its log:\n{self.log_tail()}")
        self.startup_seconds = time.monotonic() - began
        with self._cond:
            if self._last_record_at is None:
                self._last_record_at = time.monotonic()  # wait_idle's quiet counts from here
        return self

    def stop(self):
        """SIGTERM (the engine commits its offsets and stops), SIGKILL after 30 s."""
        if self._proc is not None:
            stop_process(self._proc, timeout=30)
            if self._reader is not None:
                self._reader.join(timeout=30)
            self._proc = None
        if self._log is not None:
            self._log.close()
            self._log = None

    @property
    def running(self):
        return self._proc is not None and self._proc.poll() is None

    def log_tail(self, lines=80):
        return tail(self.logfile, lines)

    # ---- records ---------------------------------------------------------------------------------

    def _read(self):
        for line in self._proc.stdout:
            try:
                record = json.loads(line)
            except ValueError:
                record = {"unparsed": line.decode("utf-8", "replace")}  # records() fails on it
            with self._cond:
                self._records.append(record)
                self._last_record_at = time.monotonic()
                self._cond.notify_all()
        with self._cond:
            self._cond.notify_all()

    def all_records(self):
        with self._cond:
            return list(self._records)

    def records(self, count, timeout=60):
        """All records so far, once there are at least `count`."""
        deadline = Deadline(timeout)
        with self._cond:
            while len(self._records) < count:
                bad = [r["unparsed"] for r in self._records if "unparsed" in r]
                if bad:
                    raise RuntimeError(f"the Debezium peer printed a line that is not JSON: {bad[0][:500]!r}")
                if self._proc is None or self._proc.poll() is not None:
                    raise RuntimeError(f"Debezium peer is not running ({len(self._records)} of {count} "
                                       f"records):\n{self.log_tail()}")
                if deadline.expired():
                    raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {count} Debezium records "
                                       f"(have {len(self._records)}); its log:\n{self.log_tail()}")
                self._cond.wait(min(0.5, deadline.remaining()))
            return list(self._records)

    def wait_idle(self, quiet=2.0, timeout=60):
        """All records, once none arrived for `quiet` seconds."""
        deadline = Deadline(timeout)
        with self._cond:
            while True:
                last = self._last_record_at or 0.0
                idle = time.monotonic() - last
                if idle >= quiet:
                    return list(self._records)
                if deadline.expired():
                    raise TimeoutError(f"Debezium records still arriving after {timeout:.0f}s "
                                       f"({len(self._records)} so far)")
                self._cond.wait(min(quiet - idle, deadline.remaining()) + 0.01)
