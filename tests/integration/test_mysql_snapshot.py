"""The MySQL source's consistent snapshot against a real MariaDB 10.11 (tributary_testing.mariadb_server),
through tributary-mysql-probe's `snapshot` and `binlog-rows` commands (tests/support/mysql_probe):

- a table of every type: each snapshot value is the expected typed value, and the snapshot's schema
  (information_schema) and values are those the binlog decoder gives for the same rows (TABLE_MAP);
- the reported binlog point is consistent while a writer commits throughout: the parallel readers see
  one snapshot (two tables written in the same transactions hold the same rows), and exactly the
  transactions not in the snapshot follow the point in the binlog, by file/position and by GTID;
- a large table (more than fetch_size x connections estimated rows, single-column integer key) is
  read in primary-key chunks spread over the connections, with parallelism 2 and 3: every row once,
  keys at the BIGINT extremes included, and one snapshot across chunks while a writer commits pairs
  of rows that land in different chunks."""

import collections
import datetime
import os
import re
import struct
import subprocess
import threading
import time

import pytest

from tributary_testing.util import wait_until

PROBE = os.environ.get("MYSQL_PROBE_BIN")

pytestmark = pytest.mark.skipif(not PROBE, reason="MYSQL_PROBE_BIN not set (run through ctest)")

XID_EVENT = 16


def probe(server, *args):
    result = subprocess.run([PROBE, args[0], server.host, str(server.port), server.user, "5401",
                             *map(str, args[1:])],
                            env={**os.environ, "MYSQL_PROBE_PASSWORD": server.password},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


def parse(lines):
    """-> (point, {table: {column: (kind, source_name, precision, scale, optional, key, omitted)}},
    {table: [row tokens]}, column order per table, xid count)."""
    point, columns, order, rows, xids = None, {}, {}, {}, 0
    for line in lines:
        if line.startswith("point "):
            _, file, pos, gtid = line.split(" ")
            point = (file, int(pos), "" if gtid == "-" else gtid)
        elif line.startswith("column "):
            _, table, name, kind, source_name, precision, scale, optional, key, omitted = line.split(" ")
            columns.setdefault(table, {})[name] = (kind, bytes.fromhex(source_name).decode(), int(precision),
                                                   int(scale), optional == "1", key == "1", omitted == "1")
            order.setdefault(table, []).append(name)
        elif line.startswith("row "):
            head, *values = line.split("\t")
            rows.setdefault(head[4:], []).append(values)
        elif line == "xid":
            xids += 1
    return point, columns, order, rows, xids


def s(text):
    return "s:" + text.encode("utf-8").hex()


def dec(text, scale):
    unscaled = int(text.replace(".", ""))
    size = (unscaled if unscaled >= 0 else ~unscaled).bit_length() // 8 + 1
    return f"dec:{unscaled.to_bytes(size, 'big', signed=True).hex()}:{scale}"


def micros(dt):
    delta = dt - datetime.datetime(1970, 1, 1)
    return (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds


EVERY_TYPE = """
CREATE TABLE every_type (
  id INT PRIMARY KEY,
  ti TINYINT, tiu TINYINT UNSIGNED, si SMALLINT, siu SMALLINT UNSIGNED, mi MEDIUMINT,
  mu MEDIUMINT UNSIGNED, i INT, iu INT UNSIGNED, bi BIGINT, biu BIGINT UNSIGNED, bo BOOLEAN,
  dec1 DECIMAL(10,2), dec2 DECIMAL(65,30), f FLOAT, d DOUBLE, b1 BIT(1), b12 BIT(12),
  c CHAR(5), vc VARCHAR(20), t TEXT, lat VARCHAR(10) CHARACTER SET latin1,
  bin BINARY(4), vb VARBINARY(10), bl BLOB, e ENUM('a','b','c'), st SET('x','y','z'), j JSON,
  dt DATE, tm TIME, tm6 TIME(6), dtt DATETIME, dt3 DATETIME(3), ts TIMESTAMP(6) NULL, y YEAR,
  zd DATE NULL, zdn DATE NOT NULL DEFAULT '2000-01-01', zdt DATETIME NOT NULL DEFAULT '2000-01-01',
  n INT NULL
)"""

ROW_1 = ("INSERT INTO every_type VALUES (1, -128, 255, -32768, 65535, -8388608, 16777215, -2147483648, "
         "4294967295, -9223372036854775808, 18446744073709551615, 1, -123.45, "
         "'12345678901234567890123456789012345.123456789012345678901234567890', 3.14159, 2.718281828459045, "
         "b'1', b'101010111100', 'ab', 'café ☕', 'text', 'Ünïcödé€', X'00FF00', X'DEADBEEF', X'0001', "
         "'b', 'z,x', '{\"a\": [1, 2]}', '2024-02-29', '-838:59:59', '12:34:56.789012', "
         "'1969-12-31 23:59:59', '2024-02-29 12:00:00.123', '2038-01-19 03:14:07.999999', 2155, "
         "'0000-00-00', '0000-00-00', '0000-00-00 00:00:00', NULL)")

EXPECTED_1 = {
    "id": "i:1", "ti": "i:-128", "tiu": "i:255", "si": "i:-32768", "siu": "i:65535", "mi": "i:-8388608",
    "mu": "i:16777215", "i": "i:-2147483648", "iu": "i:4294967295", "bi": "i:-9223372036854775808",
    "biu": "i:-1", "bo": "i:1", "dec1": dec("-123.45", 2),
    "dec2": dec("12345678901234567890123456789012345.123456789012345678901234567890", 30),
    "f": "f:%.17g" % struct.unpack("f", struct.pack("f", 3.14159))[0], "d": "f:%.17g" % 2.718281828459045,
    "b1": "bool:1", "b12": "b:bc0a", "c": s("ab"), "vc": s("café ☕"), "t": s("text"), "lat": s("Ünïcödé€"),
    "bin": "b:00ff0000", "vb": "b:deadbeef", "bl": "b:0001", "e": s("b"), "st": s("x,z"),
    "j": s('{"a": [1, 2]}'), "dt": "date:19782", "tm": f"time:{-(838 * 3600 + 59 * 60 + 59) * 1_000_000}",
    "tm6": f"time:{(12 * 3600 + 34 * 60 + 56) * 1_000_000 + 789012}", "dtt": "ts:-1000000",
    "dt3": f"ts:{micros(datetime.datetime(2024, 2, 29, 12, 0, 0, 123000))}", "ts": "zts:2147483647999999",
    "y": "i:2155", "zd": "null", "zdn": "date:0", "zdt": "ts:0", "n": "null",
}


def test_every_type_snapshots_as_the_binlog_decodes_it(mariadb, mysql_database):
    db = mysql_database
    mariadb.execute(EVERY_TYPE, database=db)
    start = mariadb.master_status()
    conn = mariadb.connect(database=db)
    with conn.cursor() as cur:
        cur.execute("SET SESSION sql_mode = ''")  # zero dates allowed
        cur.execute(ROW_1)
        cur.execute("INSERT INTO every_type (id) VALUES (2)")
    conn.close()

    point, columns, order, rows, _ = parse(probe(mariadb, "snapshot", f"{db}\\..*", 2))
    table = f"{db}.every_type"
    assert order[table] == list(EXPECTED_1), order
    by_id = {row[0]: dict(zip(order[table], row)) for row in rows[table]}
    assert sorted(by_id) == ["i:1", "i:2"], rows
    for name, expected in EXPECTED_1.items():
        assert by_id["i:1"][name] == expected, name
    # Row 2: every column NULL but the key and the NOT NULL defaults.
    assert {k: v for k, v in by_id["i:2"].items() if v != "null"} == {
        "id": "i:2", "zdn": "date:10957", "zdt": f"ts:{micros(datetime.datetime(2000, 1, 1))}"}
    assert columns[table]["id"][5] and not columns[table]["n"][5]  # key
    assert columns[table]["j"][:2] == ("kJson", "json")

    # The binlog decoder on the same rows: the same columns (but MariaDB's JSON, a LONGTEXT in
    # TABLE_MAP) and the same values.
    _, binlog_columns, binlog_order, binlog_rows, _ = parse(probe(mariadb, "binlog-rows", *start))
    assert binlog_order[table] == order[table]
    for name in order[table]:
        if name == "j":
            assert binlog_columns[table][name][:2] == ("kString", "longtext")
            continue
        assert columns[table][name] == binlog_columns[table][name], name
    assert binlog_rows[table] == rows[table]
    assert point[0] == start[0] and point[1] > start[1]


def test_snapshot_point_is_consistent_under_concurrent_commits(mariadb, mysql_database):
    db = mysql_database
    for name in ("a", "b", "c"):
        mariadb.execute(f"CREATE TABLE {name} (id INT PRIMARY KEY, v VARCHAR(20))", database=db)
    # A writer committing throughout: each transaction inserts the same id into a, b and c.
    committed = [0]
    stop = threading.Event()

    def write():
        conn = mariadb.connect(database=db, autocommit=False)
        with conn.cursor() as cur:
            while not stop.is_set():
                n = committed[0] + 1
                for name in ("a", "b", "c"):
                    cur.execute(f"INSERT INTO {name} VALUES (%s, %s)", (n, f"row {n}"))
                conn.commit()
                committed[0] = n
        conn.close()

    writer = threading.Thread(target=write)
    writer.start()
    try:
        wait_until(lambda: committed[0] >= 200, timeout=60, what="200 commits before the snapshot")
        lines = probe(mariadb, "snapshot", f"{db}\\..*", 3)
        seen_by_probe = committed[0]
        wait_until(lambda: committed[0] >= seen_by_probe + 50, timeout=60, what="commits after the snapshot")
    finally:
        stop.set()
        writer.join()
    total = committed[0]
    point, _, _, rows, _ = parse(lines)
    ids = {name: sorted(int(row[0][2:]) for row in rows[f"{db}.{name}"]) for name in ("a", "b", "c")}
    k = len(ids["a"])
    # One snapshot: every table holds the same prefix of the writer's transactions.
    assert ids["a"] == list(range(1, k + 1))
    assert ids["b"] == ids["a"] and ids["c"] == ids["a"]
    assert 200 <= k < total

    # Exactly the transactions the snapshot does not hold follow the point, in order.
    _, _, _, after, xids = parse(probe(mariadb, "binlog-rows", point[0], point[1]))
    assert xids == total - k
    for name in ("a", "b", "c"):
        assert [int(row[0][2:]) for row in after[f"{db}.{name}"]] == list(range(k + 1, total + 1))
    # And by GTID: BINLOG_GTID_POS of the point starts at the same transaction.
    assert point[2], point
    events = probe(mariadb, "stream-gtid", point[2])
    assert sum(1 for line in events[1:] if int(line.split(" ")[0]) == XID_EVENT) == total - k


CHUNKED_ROWS = 40_000  # > 10,000 (fetch_size's default, the probe's chunk size) x 3 connections
INT64_MIN, INT64_MAX = -(2 ** 63), 2 ** 63 - 1


def probe_with_log(server, *args):
    result = subprocess.run([PROBE, args[0], server.host, str(server.port), server.user, "5401",
                             *map(str, args[1:])],
                            env={**os.environ, "MYSQL_PROBE_PASSWORD": server.password},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines(), result.stderr


@pytest.mark.parametrize("parallelism", [2, 3])
def test_large_table_is_read_in_primary_key_chunks(mariadb, mysql_database, parallelism):
    db = mysql_database
    mariadb.execute("CREATE TABLE big (id BIGINT PRIMARY KEY, v VARCHAR(20))", database=db)
    mariadb.execute("CREATE TABLE small (id INT PRIMARY KEY)", database=db)
    # Keys spread from -20,000,000 by 1,000 (negative and positive), plus both BIGINT extremes: the
    # planner cuts the span MIN..MAX, so the extremes test the arithmetic and the open end ranges.
    mariadb.execute(f"INSERT INTO big SELECT CAST(seq AS SIGNED) * 1000 - 20000000, CONCAT('v', seq) "
                    f"FROM seq_1_to_{CHUNKED_ROWS - 2}", database=db)
    mariadb.execute(f"INSERT INTO big VALUES ({INT64_MIN}, 'min'), ({INT64_MAX}, 'max')", database=db)
    mariadb.execute("INSERT INTO small SELECT seq FROM seq_1_to_10", database=db)
    mariadb.execute("ANALYZE TABLE big", database=db)  # TABLE_ROWS, the estimate, up to date

    # A writer committing throughout: each transaction inserts a pair of keys in different chunks
    # (-10^9 - n and 10^9 + n); the snapshot holds both keys of a pair or neither.
    committed = [0]
    stop = threading.Event()

    def write():
        conn = mariadb.connect(database=db, autocommit=False)
        with conn.cursor() as cur:
            while not stop.is_set():
                n = committed[0] + 1
                cur.execute("INSERT INTO big VALUES (%s, 'lo'), (%s, 'hi')", (-10 ** 9 - n, 10 ** 9 + n))
                conn.commit()
                committed[0] = n
                # Pacing, not synchronization: gaps for the readers' STARTs to agree on a point.
                time.sleep(0.005)
        conn.close()

    writer = threading.Thread(target=write)
    writer.start()
    try:
        wait_until(lambda: committed[0] >= 50, timeout=60, what="50 commits before the snapshot")
        lines, log = probe_with_log(mariadb, "snapshot", f"{db}\\..*", parallelism)
        seen_by_probe = committed[0]
        wait_until(lambda: committed[0] >= seen_by_probe + 20, timeout=60, what="commits after the snapshot")
    finally:
        stop.set()
        writer.join()

    _, _, _, rows, _ = parse(lines)
    assert lines[1] == f"connections {parallelism}", lines[:2]
    keys = collections.Counter(int(row[0][2:]) for row in rows[f"{db}.big"])
    assert [k for k, n in keys.items() if n > 1] == []  # every row once
    pairs = {k for k in keys if abs(k) > 10 ** 9 and abs(k) < 2 * 10 ** 9}
    n = len(pairs) // 2
    assert n >= 50
    assert pairs == {-10 ** 9 - i for i in range(1, n + 1)} | {10 ** 9 + i for i in range(1, n + 1)}
    expected = {i * 1000 - 20000000 for i in range(1, CHUNKED_ROWS - 1)} | {INT64_MIN, INT64_MAX}
    assert set(keys) - pairs == expected
    assert sorted(int(row[0][2:]) for row in rows[f"{db}.small"]) == list(range(1, 11))

    # The log: the big table in chunks (at least one per connection), the small one whole.
    started = re.search(rf"table={db}\.big snapshot of table started, about \d+ rows, in (\d+) "
                        r"primary-key chunks on `id`", log)
    assert started, log
    chunks = int(started.group(1))
    assert chunks >= parallelism
    assert re.search(rf"table={db}\.big snapshot of table finished: {sum(keys.values())} rows in "
                     rf"{chunks} chunk\(s\)", log), log
    assert re.search(rf"table={db}\.small snapshot of table started, about \d+ rows, read whole", log), log
    assert "(1 in primary-key chunks, " + str(chunks + 1) + " reads)" in log, log
