"""The source connections over TLS, for real: a PostgreSQL 15 with `ssl = on` and a `hostssl`-only
pg_hba.conf (plaintext refused), a MariaDB 10.11 with ssl_cert/ssl_key and the daemon's user
`REQUIRE SSL`, certificates from a throwaway openssl CA (tributary_testing.certs), a real Kafka read
read_committed.

- `sslmode: verify-full` + `sslrootcert`: snapshot and streaming, verified exactly once; every
  connection the daemon made is TLS (PostgreSQL: the server's `connection authorized ... SSL
  enabled` log line for each, and pg_stat_ssl for the live walsender; MariaDB: performance_schema's
  per-thread Ssl_cipher of the binlog dump thread and the user's REQUIRE SSL);
- a CA that did not sign the server's certificate: the run stops with exit 2 naming
  source.sslrootcert;
- a server certificate for another host name: verify-full refused naming the name, verify-ca
  accepted (PostgreSQL: pg_reload_conf, MariaDB: FLUSH SSL swap the certificate);
- PostgreSQL certificate authentication (`cert` in pg_hba.conf, sslcert/sslkey, no password).
"""

import os
import re

import psycopg2
import pymysql
import pytest

from tributary_testing.certs import make_ca
from tributary_testing.feed import EventFeed, change_matcher
from tributary_testing.mariadb_server import MariaDbServer
from tributary_testing.pgserver import PgServer
from tributary_testing import daemon as daemon_mod
from tributary_testing.util import wait_until
from tributary_testing.verifier import ITEMS_FIELD_SCHEMAS, verify_exactly_once
from tributary_testing.workload import Workload, create_items_table, preload_items, read_rows

WAIT = 90

_HBA = ["hostssl all cdc_cert 127.0.0.1/32 cert",
        "hostssl replication cdc_cert 127.0.0.1/32 cert",
        "hostssl all all 127.0.0.1/32 scram-sha-256",
        "hostssl replication all 127.0.0.1/32 scram-sha-256"]


class Certs:
    def __init__(self, directory):
        self.ca = make_ca(os.path.join(directory, "ca"))
        self.other_ca = make_ca(os.path.join(directory, "other"), name="another-ca")
        self.server = self.ca.issue("db", hostnames=["localhost"], ips=["127.0.0.1"])
        self.elsewhere = self.ca.issue("elsewhere", hostnames=["db.example.com"])
        self.client = self.ca.issue("cdc_cert", client=True)


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    return Certs(str(tmp_path_factory.mktemp("tls-certs")))


@pytest.fixture(scope="module")
def tls_pg(certs):
    with PgServer(tls=(*certs.server, certs.ca.cert_path), hba=_HBA,
                  settings={"log_connections": "on"}) as server:
        yield server


@pytest.fixture(scope="module")
def tls_mariadb(certs):
    # performance_schema for the per-thread Ssl_cipher of the binlog dump thread.
    with MariaDbServer(tls=(*certs.server, certs.ca.cert_path),
                       settings={"performance_schema": "ON"}) as server:
        yield server


def _tls(mode, ca, **extra):
    return {"source": {"sslmode": mode, "sslrootcert": ca, **extra}}


def _check(daemon):
    result = daemon.check(timeout=120)
    output = result.stdout + result.stderr
    return result.returncode, [line for line in output.splitlines() if line.startswith("PROBLEM ")], output


def _exits_with(env, config, code, name):
    daemon = env.daemon(config, name=name).start(wait_ready=False)
    assert daemon.wait(WAIT) == code, daemon.stderr_tail(40)
    return daemon.stderr_tail(40)


# ---- PostgreSQL ----------------------------------------------------------------------------------

def _pg_database(tls_pg, name):
    tls_pg.drop_database(name)
    tls_pg.create_database(name)
    return name


def _pg_items(env, tls_pg, db, rows):
    conn = tls_pg.connect(database=db, superuser=False)  # libpq's prefer: TLS, as hostssl wants
    create_items_table(conn)
    initial = preload_items(conn, rows) if rows else {}
    conn.close()
    return initial


def _pg_config(env, tls_pg, db, kafka, name, pipeline):
    return env.config(db, kafka, name=name, pg=tls_pg, pipeline=pipeline,
                      offsets_topic=f"tributary.offsets.{name}")


def _wait_swapped(connect, refused, what):
    """Waits until a new client connection is refused (refused=True) or accepted after the
    server was told to load another certificate."""
    def done():
        try:
            connect().close()
            return not refused
        except (psycopg2.OperationalError, pymysql.err.OperationalError):
            return refused
    wait_until(done, 30, what)


def test_pg_verify_full_snapshot_and_streaming_over_tls(env, tls_pg, certs):
    name = "pgtls"
    db = _pg_database(tls_pg, "t_pgtls")
    initial = _pg_items(env, tls_pg, db, 300)
    kafka = env.shared_kafka()
    topic = f"{name}.public.items"
    collector = env.collector(kafka, topics=[topic])
    log_start = os.path.getsize(tls_pg.logfile)
    daemon = env.daemon(_pg_config(env, tls_pg, db, kafka, name,
                                   _tls("verify-full", certs.ca.cert_path))).start()
    feed = EventFeed(collector, topic, ITEMS_FIELD_SCHEMAS)
    feed.wait_for_count(lambda e: e.op == "r", len(initial), WAIT, "the snapshot rows")
    workload = Workload(lambda: tls_pg.connect(database=db, superuser=False), initial, seed=13)
    workload.run(400, max_txn_size=20)
    feed.wait_for(change_matcher(workload.changes()[-1]), WAIT, "the last streamed change")
    verify_exactly_once(feed.events, workload.changes(), initial,
                        read_rows(tls_pg.connect(database=db, superuser=False)), topic_prefix=name,
                        connector="postgresql", schema="public", database=db).raise_if_failed()

    # The live walsender (and any other connection of the daemon) in pg_stat_ssl.
    rows = tls_pg.execute(
        "SELECT a.application_name, a.backend_type, s.ssl, s.version FROM pg_stat_activity a "
        "JOIN pg_stat_ssl s USING (pid) WHERE a.application_name LIKE %s", (f"tributary-{name}-%",),
        database="postgres")
    assert any(r[1] == "walsender" for r in rows), rows
    assert all(r[2] and r[3].startswith("TLS") for r in rows), rows
    # Every connection it made, the snapshot's (closed by now) and the replication one included.
    with open(tls_pg.logfile, errors="replace") as f:
        f.seek(log_start)
        authorized = [line for line in f if "authorized: user=cdc" in line
                      and f"application_name=tributary-{name}-" in line]
    apps = {re.search(r"application_name=(\S+)", line).group(1) for line in authorized}
    assert any("-snapshot-" in app for app in apps) and f"tributary-{name}-stream" in apps, apps
    assert all("SSL enabled (protocol=TLS" in line for line in authorized), authorized
    # The server refuses plaintext: only TLS could have connected.
    with pytest.raises(psycopg2.OperationalError, match="no encryption"):
        psycopg2.connect(host=tls_pg.host, port=tls_pg.port, dbname=db, user=tls_pg.user,
                         password=tls_pg.password, sslmode="disable")
    assert daemon.sigterm() == 0


def test_pg_wrong_ca_stops_with_a_clear_error(env, tls_pg, certs):
    db = _pg_database(tls_pg, "t_pgtls_ca")
    _pg_items(env, tls_pg, db, 1)
    config = _pg_config(env, tls_pg, db, env.shared_kafka(), "pgtlsca",
                        _tls("verify-full", certs.other_ca.cert_path))
    stderr = _exits_with(env, config, 2, "wrong-ca")
    assert "certificate verify failed" in stderr, stderr
    assert f"source.sslrootcert must hold the CA that signed the server's certificate (now " \
           f"{certs.other_ca.cert_path})" in stderr, stderr


def test_pg_certificate_for_another_host_fails_verify_full_passes_verify_ca(env, tls_pg, certs):
    db = _pg_database(tls_pg, "t_pgtls_host")
    _pg_items(env, tls_pg, db, 1)
    kafka = env.shared_kafka()

    def verify_full():
        return psycopg2.connect(host=tls_pg.host, port=tls_pg.port, dbname=db, user=tls_pg.user,
                                password=tls_pg.password, sslmode="verify-full",
                                sslrootcert=certs.ca.cert_path, connect_timeout=5)

    tls_pg.install_tls(*certs.elsewhere, reload=True)
    try:
        _wait_swapped(verify_full, True, "the server to present the db.example.com certificate")
        full = env.daemon(_pg_config(env, tls_pg, db, kafka, "pgtlshost",
                                     _tls("verify-full", certs.ca.cert_path)), name="full")
        code, problems, output = _check(full)
        assert code == 1, output
        assert any(re.search(r'server certificate for "db\.example\.com".* does not match host name '
                             r'"127\.0\.0\.1"', p)
                   and "sslmode verify-ca checks the CA but not the name" in p for p in problems), output
        ca_only = env.daemon(_pg_config(env, tls_pg, db, kafka, "pgtlshost",
                                        _tls("verify-ca", certs.ca.cert_path)), name="ca-only")
        code, problems, output = _check(ca_only)
        assert code == 0 and problems == [], output
        assert "over TLS (TLSv1." in output, output
    finally:
        tls_pg.install_tls(*certs.server, reload=True)
        _wait_swapped(verify_full, False, "the server to present its own certificate again")


def test_pg_client_certificate_authentication(env, tls_pg, certs):
    db = _pg_database(tls_pg, "t_pgtls_cert")
    if not tls_pg.execute("SELECT 1 FROM pg_roles WHERE rolname = 'cdc_cert'", database="postgres"):
        tls_pg.execute("CREATE ROLE cdc_cert LOGIN REPLICATION", database="postgres")
    tls_pg.execute("CREATE TABLE items (id int PRIMARY KEY, v text)", database=db)
    tls_pg.execute("ALTER TABLE items OWNER TO cdc_cert", database=db)
    cert, key = certs.client
    config = _pg_config(env, tls_pg, db, env.shared_kafka(), "pgtlscert",
                        _tls("verify-full", certs.ca.cert_path, user="cdc_cert", password="",
                             sslcert=cert, sslkey=key))
    code, problems, output = _check(env.daemon(config, name="cert"))
    assert code == 0 and problems == [], output
    assert "as cdc_cert over TLS (TLSv1." in output, output
    # Without the client certificate the same role is refused, naming the fix.
    config["pipelines"][0]["source"].pop("sslcert")
    config["pipelines"][0]["source"].pop("sslkey")
    code, problems, output = _check(env.daemon(config, name="nocert"))
    assert code == 1 and any("source.sslcert" in p for p in problems), output


# ---- MariaDB -------------------------------------------------------------------------------------

class _MysqlItems:
    """The `items` table in a database of its own on the TLS MariaDB, its topic's collector and
    the daemon's config (the session's MariaDB is not started for this file)."""

    def __init__(self, env, server, name, rows, pipeline):
        self.server = server
        self.db = f"t_{name}"
        server.drop_database(self.db)
        server.create_database(self.db)
        conn = self.connect()
        create_items_table(conn)
        self.initial = preload_items(conn, rows) if rows else {}
        conn.close()
        kafka = env.shared_kafka()
        self.topic = f"{name}.{self.db}.items"
        self.collector = env.collector(kafka, topics=[self.topic])
        _MysqlItems.server_id += 1
        base = {"name": name, "topic_prefix": name,
                "source": {"type": "mysql", "host": server.host, "port": server.port, "user": server.user,
                           "password": server.password, "server_id": _MysqlItems.server_id},
                "tables": {"include": [re.escape(self.db) + "\\..*"]}}
        self.config = daemon_mod.daemon_config(
            [daemon_mod.deep_merge(base, pipeline)], kafka.bootstrap_servers,
            os.path.join(env.workdir, "offsets"), offsets_topic=f"tributary.offsets.{name}")

    server_id = 5600

    def connect(self):
        return self.server.connect(database=self.db)  # root over the socket: the daemon's user reads only


def _dump_thread_ssl_cipher(server, user):
    """Ssl_cipher of `user`'s binlog dump thread, from performance_schema (None: no such thread)."""
    rows = server.execute(
        "SELECT s.VARIABLE_VALUE FROM performance_schema.threads t "
        "JOIN performance_schema.status_by_thread s ON s.THREAD_ID = t.THREAD_ID "
        "WHERE t.PROCESSLIST_USER = %s AND t.PROCESSLIST_COMMAND LIKE 'Binlog Dump%%' "
        "AND s.VARIABLE_NAME = 'Ssl_cipher'", (user,))
    return rows[0][0] if rows else None


def test_mariadb_verify_full_snapshot_and_streaming_over_tls(env, tls_mariadb, certs):
    name = "mytls"
    source = _MysqlItems(env, tls_mariadb, name, 300, _tls("verify-full", certs.ca.cert_path))
    initial = source.initial
    daemon = env.daemon(source.config).start()
    feed = EventFeed(source.collector, source.topic, ITEMS_FIELD_SCHEMAS)
    feed.wait_for_count(lambda e: e.op == "r", len(initial), WAIT, "the snapshot rows")
    workload = Workload(source.connect, initial, seed=14)
    workload.run(400, max_txn_size=20)
    feed.wait_for(change_matcher(workload.changes()[-1]), WAIT, "the last streamed change")
    verify_exactly_once(feed.events, workload.changes(), initial, read_rows(source.connect()),
                        topic_prefix=name, connector=("mysql", "mariadb"), schema=None,
                        database=source.db).raise_if_failed()
    # The binlog dump connection is TLS; the user cannot connect without it at all.
    cipher = _dump_thread_ssl_cipher(tls_mariadb, tls_mariadb.user)
    assert cipher, "no Ssl_cipher for the binlog dump thread of the daemon's user"
    with pytest.raises(pymysql.err.OperationalError, match="Access denied"):
        pymysql.connect(host=tls_mariadb.host, port=tls_mariadb.port, user=tls_mariadb.user,
                        password=tls_mariadb.password)
    code, problems, output = _check(daemon)
    assert code == 0 and problems == [], output
    assert re.search(r"connected as cdc over TLS \(TLSv1\.\d, [\w-]+\), sslmode verify-full", output), output
    assert daemon.sigterm() == 0


def test_mariadb_wrong_ca_stops_with_a_clear_error(env, tls_mariadb, certs):
    config = _MysqlItems(env, tls_mariadb, "mytlsca", 1, _tls("verify-full", certs.other_ca.cert_path)).config
    stderr = _exits_with(env, config, 2, "wrong-ca")
    assert "TLS/SSL error" in stderr and "mysql_errno 2026" in stderr, stderr
    assert f"source.sslrootcert must hold the CA that signed the server's certificate (now " \
           f"{certs.other_ca.cert_path})" in stderr, stderr


def test_mariadb_certificate_for_another_host_fails_verify_full_passes_verify_ca(env, tls_mariadb, certs):
    config = _MysqlItems(env, tls_mariadb, "mytlshost", 1, _tls("verify-full", certs.ca.cert_path)).config

    def verify_full():
        return pymysql.connect(host=tls_mariadb.host, port=tls_mariadb.port, user=tls_mariadb.user,
                               password=tls_mariadb.password, connect_timeout=5,
                               ssl={"ca": certs.ca.cert_path, "check_hostname": True})

    tls_mariadb.install_tls(*certs.elsewhere, flush=True)
    try:
        _wait_swapped(verify_full, True, "the server to present the db.example.com certificate")
        code, problems, output = _check(env.daemon(config, name="full"))
        assert code == 1, output
        assert any("Validation of SSL server certificate failed" in p
                   and "sslmode verify-ca checks the CA but not the name" in p for p in problems), output
        config["pipelines"][0]["source"]["sslmode"] = "verify-ca"
        code, problems, output = _check(env.daemon(config, name="ca-only"))
        assert code == 0 and problems == [], output
        # verify-ca still checks the chain: another CA is refused.
        config["pipelines"][0]["source"]["sslrootcert"] = certs.other_ca.cert_path
        code, problems, output = _check(env.daemon(config, name="ca-other"))
        assert code == 1 and any("source.sslrootcert must hold the CA" in p for p in problems), output
    finally:
        tls_mariadb.install_tls(*certs.server, flush=True)
        _wait_swapped(verify_full, False, "the server to present its own certificate again")
