"""The MariaDB harness's own tests: a server starts with the binlog tributary needs, the daemon's user
has its privileges over TCP, any setting can be started wrong, it survives restart and SIGKILL with
its data and binlog, and the binlog files are listed."""

import pymysql
import pytest

from tributary_testing.mariadb_server import MariaDbServer


@pytest.fixture(scope="module")
def db():
    with MariaDbServer() as server:
        yield server


def test_binlog_settings(db):
    version, log_bin, binlog_format, image, metadata, server_id, strict = db.execute(
        "SELECT VERSION(), @@log_bin, @@binlog_format, @@binlog_row_image, @@binlog_row_metadata, "
        "@@server_id, @@gtid_strict_mode")[0]
    assert "MariaDB" in version
    assert (log_bin, binlog_format, image, metadata, server_id, strict) == (1, "ROW", "FULL", "FULL", 1, 1)
    assert db.socket.startswith(db.tempdir)


def test_daemon_user_over_tcp(db):
    conn = db.connect(superuser=False)
    try:
        with conn.cursor() as cur:
            cur.execute("SHOW GRANTS")
            grants = " ".join(row[0] for row in cur.fetchall())
            cur.execute("SELECT @@hostname IS NOT NULL, CURRENT_USER()")
            assert cur.fetchone()[1] == "cdc@%"
    finally:
        conn.close()
    # MariaDB >= 10.5 shows REPLICATION CLIENT as its new name, BINLOG MONITOR.
    for privilege in ("SELECT", "RELOAD", "REPLICATION SLAVE", "BINLOG MONITOR"):
        assert privilege in grants
    with pytest.raises(pymysql.err.OperationalError):
        pymysql.connect(host=db.host, port=db.port, user=db.user, password="wrong", connect_timeout=5)


def test_execute_and_binlog_files(db):
    db.execute("CREATE TABLE shop.harness (id INT PRIMARY KEY, v VARCHAR(20))")
    before = db.gtid_binlog_pos()
    db.execute("INSERT INTO shop.harness VALUES (%s, %s)", (1, "a"))
    assert db.execute("SELECT id, v FROM shop.harness") == [(1, "a")]
    assert db.gtid_binlog_pos() != before
    files = db.binlog_files()
    db.flush_binary_logs()
    after = db.binlog_files()
    assert len(after) == len(files) + 1
    assert db.master_status() == (after[-1][0], after[-1][1])


def test_wrong_settings_restart_and_kill():
    server = MariaDbServer(settings={"log_bin": None, "binlog_format": "STATEMENT",
                                     "binlog_row_metadata": "MINIMAL"},
                           privileges=["SELECT"], server_id=7)
    with server:
        assert server.variable("log_bin") == "OFF"
        assert server.binlog_files() == []
        assert server.variable("binlog_format") == "STATEMENT"
        assert server.variable("binlog_row_metadata") == "MINIMAL"
        assert server.variable("server_id") == "7"
        grants = server.execute("SHOW GRANTS FOR cdc")[0][0]
        assert "REPLICATION" not in grants

        server.execute("CREATE TABLE shop.kept (id INT PRIMARY KEY)")
        server.execute("INSERT INTO shop.kept VALUES (1)")
        port = server.port
        server.restart(settings={"log_bin": server.options()["datadir"] + "/binlog", "binlog_format": "ROW"})
        assert server.port == port
        assert server.variable("log_bin") == "ON"
        assert server.variable("binlog_format") == "ROW"
        server.execute("INSERT INTO shop.kept VALUES (2)")
        files = server.binlog_files()
        assert files

        server.kill()
        assert not server.running
        server.restart()
        assert server.execute("SELECT id FROM shop.kept ORDER BY id") == [(1,), (2,)]
        assert [name for name, _ in server.binlog_files()][:len(files)] == [name for name, _ in files]
    assert server.tempdir is None
