"""The MySQL source's connection pieces against a real MariaDB 10.11 (tributary_testing.mariadb_server):
preflight findings for a good server and for each prerequisite wrong, and the binlog transport
streaming raw events (by file/position and by GTID) with their CRC32 checksums intact."""

import os
import subprocess

import pytest

PROBE = os.environ.get("MYSQL_PROBE_BIN")

pytestmark = pytest.mark.skipif(not PROBE, reason="MYSQL_PROBE_BIN not set (run through ctest)")

QUERY_EVENT, ROTATE_EVENT, FORMAT_DESCRIPTION, XID_EVENT, TABLE_MAP = 2, 4, 15, 16, 19
WRITE_ROWS_V1, GTID_EVENT, GTID_LIST_EVENT, BINLOG_CHECKPOINT = 23, 162, 163, 161


def probe(server, *args, check=True):
    result = subprocess.run([PROBE, args[0], server.host, str(server.port), server.user, *map(str, args[1:])],
                            env={**os.environ, "MYSQL_PROBE_PASSWORD": server.password},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=60)
    if check:
        assert result.returncode == 0, result.stderr
    return result


def findings(server, server_id=5401):
    lines = probe(server, "preflight", server_id).stdout.splitlines()
    return [line for line in lines if line.startswith("problem: ")], lines


def test_preflight_passes_on_a_good_server(mariadb):
    problems, lines = findings(mariadb)
    assert problems == [], lines
    assert any("server is MariaDB 10.11" in line for line in lines), lines
    assert any("GTIDs: resume by GTID" in line for line in lines), lines
    assert any("no expiry" in line for line in lines), lines


@pytest.mark.parametrize("settings, expected", [
    ({"log_bin": None}, "log_bin is OFF"),
    ({"binlog_format": "STATEMENT"}, "binlog_format is STATEMENT, tributary needs ROW (fix: SET GLOBAL "
                                     "binlog_format = 'ROW'; and 'binlog_format = ROW' under [mysqld]"),
    ({"binlog_row_image": "MINIMAL"}, "SET GLOBAL binlog_row_image = 'FULL'"),
    ({"binlog_row_metadata": "MINIMAL"}, "binlog_row_metadata is MINIMAL, tributary needs FULL (fix: SET "
                                         "GLOBAL binlog_row_metadata = 'FULL'"),
])
def test_preflight_names_each_wrong_setting_and_its_fix(mariadb_server, settings, expected):
    server = mariadb_server(settings=settings)
    problems, lines = findings(server)
    assert len(problems) == 1, lines
    assert expected in problems[0]


def test_preflight_missing_privileges_and_server_id(mariadb_server):
    server = mariadb_server(privileges=["SELECT"], server_id=9)
    problems, lines = findings(server, server_id=9)
    assert any("lacks REPLICATION SLAVE, BINLOG MONITOR (fix: GRANT REPLICATION SLAVE, BINLOG MONITOR "
               "ON *.* TO 'cdc'@'%';)" in p for p in problems), lines
    assert any("source.server_id 9 is the server's own server_id" in p for p in problems), lines


def test_preflight_short_retention_warns(mariadb_server):
    server = mariadb_server(settings={"binlog_expire_logs_seconds": "3600"})
    problems, lines = findings(server)
    assert problems == [], lines
    assert any(line.startswith("warning: binary logs expire after 3600 s") for line in lines), lines


def test_preflight_wrong_password_is_a_clear_error(mariadb):
    result = subprocess.run([PROBE, "preflight", mariadb.host, str(mariadb.port), mariadb.user, "5401"],
                            env={**os.environ, "MYSQL_PROBE_PASSWORD": "not-the-password"},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=60)
    assert f"problem: MySQL {mariadb.host}:{mariadb.port}: cannot connect as user 'cdc'" in result.stdout
    assert "mysql_errno 1045" in result.stdout and "not-the-password" not in result.stdout


def _events(output):
    lines = output.splitlines()
    assert lines[0] == "checksum CRC32", lines[:3]
    return [tuple(line.split()) for line in lines[1:]]


def test_transport_streams_raw_events_by_position_and_gtid(mariadb, mysql_database):
    mariadb.flush_binary_logs()
    file, position = mariadb.master_status()
    gtid_before = mariadb.gtid_binlog_pos()
    mariadb.execute(f"CREATE TABLE `{mysql_database}`.t (id INT PRIMARY KEY, v VARCHAR(10))")
    for i in range(3):
        mariadb.execute(f"INSERT INTO `{mysql_database}`.t VALUES (%s, %s)", (i, f"v{i}"))

    events = _events(probe(mariadb, "stream", 5401, file, 4).stdout)
    types = [int(e[0]) for e in events]
    # A fake ROTATE to the file, its FORMAT_DESCRIPTION, then the transactions.
    assert types[0] == ROTATE_EVENT and FORMAT_DESCRIPTION in types[:3], types
    assert types.count(XID_EVENT) == 3 and types.count(TABLE_MAP) == 3, types
    assert types.count(WRITE_ROWS_V1) == 3, types
    # Every real event's CRC32 verifies (the fake ROTATE has no position and may carry none).
    real = [e for e in events if int(e[2]) != 0]
    assert real and all(e[3] == "ok" for e in real), events
    # The last event ends at the binlog's end.
    assert int(events[-1][2]) == mariadb.master_status()[1]

    # From the position before the DDL: the same transactions, nothing before it.
    from_position = _events(probe(mariadb, "stream", 5401, file, position).stdout)
    assert [int(e[0]) for e in from_position].count(XID_EVENT) == 3

    # By GTID: everything after gtid_before, i.e. the CREATE TABLE and the three inserts.
    by_gtid = _events(probe(mariadb, "stream-gtid", 5401, gtid_before).stdout)
    gtid_types = [int(e[0]) for e in by_gtid]
    assert gtid_types.count(GTID_EVENT) == 4 and gtid_types.count(XID_EVENT) == 3, gtid_types


def test_transport_wrong_start_is_a_clear_error(mariadb):
    result = probe(mariadb, "stream", 5401, "no-such-binlog.000009", 4, check=False)
    assert result.returncode == 1
    assert f"MySQL {mariadb.host}:{mariadb.port}" in result.stderr and "mysql_errno" in result.stderr
