"""`tributary check` for a MySQL pipeline against real MariaDB 10.11 servers (tributary_testing.mariadb_server):
each prerequisite wrong is a PROBLEM naming the setting and its fix (exit 1); a good server reports
no problems (exit 0) and lists what it would capture."""

import os

import pytest

from tributary_testing import daemon as daemon_mod


def mysql_config(env, server, kafka, name, server_id=5401):
    pipeline = {
        "name": name,
        "source": {"type": "mysql", "host": server.host, "port": server.port, "user": server.user,
                   "password": server.password, "server_id": server_id},
        "tables": {"include": [f"{server.database}\\..*"]},
        "snapshot": {"mode": "initial", "parallelism": 2},
        "topic_prefix": name,
    }
    return daemon_mod.daemon_config([pipeline], kafka.bootstrap_servers, os.path.join(env.workdir, "offsets"),
                                    offsets={"directory": os.path.join(env.workdir, "offsets"),
                                             "topic": f"{name}.offsets"})


def check(env, server, name, server_id=5401):
    server.execute("CREATE TABLE IF NOT EXISTS items (id INT PRIMARY KEY, v VARCHAR(20), g POINT)",
                   database=server.database)
    kafka = env.shared_kafka(topics={f"{name}.{server.database}.items": 1})
    result = env.daemon(mysql_config(env, server, kafka, name, server_id)).check(timeout=120)
    output = result.stdout + result.stderr
    problems = [line for line in output.splitlines() if line.startswith("PROBLEM ")]
    return result.returncode, problems, output


def test_check_on_a_good_mysql_server_finds_no_problems(env, mariadb_server):
    code, problems, output = check(env, mariadb_server(), "mygood")
    assert code == 0 and problems == [], output
    assert "no problems found" in output
    assert "server is MariaDB 10.11" in output
    # A column of a type run leaves out (POINT, tables.unsupported_columns: skip) is no problem.


@pytest.mark.parametrize("settings, privileges, server_id, expected", [
    ({"log_bin": None}, None, 5401, "log_bin is OFF"),
    ({"binlog_format": "STATEMENT"}, None, 5401,
     "binlog_format is STATEMENT, tributary needs ROW (fix: SET GLOBAL binlog_format = 'ROW'"),
    ({"binlog_row_image": "MINIMAL"}, None, 5401, "SET GLOBAL binlog_row_image = 'FULL'"),
    ({"binlog_row_metadata": "MINIMAL"}, None, 5401,
     "binlog_row_metadata is MINIMAL, tributary needs FULL (fix: SET GLOBAL binlog_row_metadata = 'FULL'"),
    ({}, ["REPLICATION CLIENT", "BINLOG MONITOR", "SELECT"], 5401,
     "lacks REPLICATION SLAVE (fix: GRANT REPLICATION SLAVE ON *.* TO 'cdc'@'%';)"),
    ({}, ["REPLICATION SLAVE", "REPLICATION CLIENT", "BINLOG MONITOR"], 5401,
     "lacks SELECT (fix: GRANT SELECT ON *.* TO 'cdc'@'%';)"),
    ({}, None, 1, "source.server_id 1 is the server's own server_id"),
], ids=["log_bin_off", "statement", "row_image_minimal", "row_metadata_minimal", "no_replication_slave",
        "no_select", "same_server_id"])
def test_check_names_each_wrong_prerequisite_and_its_fix(env, mariadb_server, settings, privileges,
                                                         server_id, expected):
    kwargs = {"settings": settings}
    if privileges is not None:
        kwargs["privileges"] = privileges
    server = mariadb_server(**kwargs)
    code, problems, output = check(env, server, "mybad", server_id=server_id)
    assert code == 1, output
    assert any(expected in p for p in problems), output
