#!/usr/bin/python3
"""Regenerates the captured MariaDB binlog and its expected values (run by hand).

Usage: /usr/bin/python3 tests/data/mysql/capture.py [--seeds]

--seeds only rewrites the fuzz seeds (tests/fuzz/corpus/binlog) from types.binlog: each seed is
the FORMAT_DESCRIPTION followed by one event group (GTID ... XID / the DDL's QUERY) of the file.

Starts a throwaway MariaDB 10.11 (tests/support/tributary_testing/mariadb_server.py: ROW format,
FULL row image and metadata), creates one table per type group, runs the statements below
(INSERT / UPDATE / DELETE with edge values: min/max, negative decimals, NULLs, zero dates,
fsp 0-6, multi-byte utf8mb4, latin1, empty strings, ENUM/SET, BIT(1)/BIT(64), JSON), then
copies the binlog file they went to (read from the datadir) and writes:

  types.binlog  the binlog file as the server wrote it (magic, FORMAT_DESCRIPTION, ...)
  types.json    {"schemas": {table: [column...]}, "events": [{table, op, before, after}...]}
  no_checksum.binlog  a file written with binlog_checksum=NONE: one INSERT INTO t_nokey (42, 'plain')

The expected values are the server's own: each table is SELECTed before and after every
statement (with time_zone +00:00, results in utf8mb4) and the changed rows become events, each
value written as tributary's envelope writes it (DEBEZIUM_FORMAT.md's MySQL table): integers
and YEAR as numbers, FLOAT as the float32 value, DECIMAL and bytes as base64 (DECIMAL: the
unscaled two's-complement big-endian minimal integer), BIT(n>1) as base64 little-endian, DATE as
days, TIME as µs, DATETIME(0-3) as ms and (4-6) as µs, TIMESTAMP as an ISO-8601 UTC string,
zero dates null when nullable else the epoch (a zero TIMESTAMP the epoch either way, as Debezium's
binlog reader).
"""

import base64
import datetime
import decimal
import json
import os
import shutil
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "support"))

from tributary_testing.mariadb_server import MariaDbServer  # noqa: E402

# table -> (DDL body, {column: envelope kind}) ; kinds drive the conversion of SELECTed values.
ENUM_BIG = ",".join(f"'v{i}'" for i in range(1, 301))
SET_BIG = ",".join(f"'m{i}'" for i in range(1, 65))

TABLES = {
    "t_int": ("""id INT NOT NULL PRIMARY KEY, c_tiny TINYINT, c_utiny TINYINT UNSIGNED,
      c_small SMALLINT, c_usmall SMALLINT UNSIGNED, c_med MEDIUMINT, c_umed MEDIUMINT UNSIGNED,
      c_year YEAR, c_int INT, c_uint INT UNSIGNED, c_big BIGINT, c_ubig BIGINT UNSIGNED,
      c_bool BOOLEAN, c_nn INT NOT NULL DEFAULT 7""", {}),
    "t_num": ("""id INT NOT NULL PRIMARY KEY, c_dec DECIMAL(10,2), c_dec_big DECIMAL(65,30),
      c_dec0 DECIMAL(5,0), c_udec DECIMAL(18,9) UNSIGNED, c_dec_frac DECIMAL(4,4),
      c_float FLOAT, c_double DOUBLE, c_bit1 BIT(1), c_bit10 BIT(10), c_bit64 BIT(64)""", {}),
    "t_str": ("""id INT NOT NULL PRIMARY KEY, c_char CHAR(10), c_varchar VARCHAR(20),
      c_varchar_long VARCHAR(300), c_char_long CHAR(255), c_text TEXT, c_tinytext TINYTEXT,
      c_mediumtext MEDIUMTEXT, c_longtext LONGTEXT,
      c_latin1 VARCHAR(20) CHARACTER SET latin1, c_latin1_char CHAR(5) CHARACTER SET latin1,
      c_utf8mb3 VARCHAR(10) CHARACTER SET utf8mb3, c_ascii VARCHAR(10) CHARACTER SET ascii,
      c_binary BINARY(4), c_varbinary VARBINARY(10), c_blob BLOB, c_tinyblob TINYBLOB,
      c_json JSON""", {}),
    "t_enum": (f"""id INT NOT NULL PRIMARY KEY, c_enum ENUM('small','medium','large'),
      c_set SET('red','green','blue'), c_enum_big ENUM({ENUM_BIG}), c_set_big SET({SET_BIG}),
      c_enum_nn ENUM('x','y') NOT NULL""", {}),
    "t_time": ("""id INT NOT NULL PRIMARY KEY, c_date DATE, c_time TIME, c_time1 TIME(1),
      c_time3 TIME(3), c_time6 TIME(6), c_dt DATETIME, c_dt2 DATETIME(2), c_dt4 DATETIME(4),
      c_dt6 DATETIME(6), c_ts TIMESTAMP NULL DEFAULT NULL, c_ts3 TIMESTAMP(3) NULL DEFAULT NULL,
      c_ts6 TIMESTAMP(6) NULL DEFAULT NULL, c_date_nn DATE NOT NULL DEFAULT '2000-01-01',
      c_dt_nn DATETIME NOT NULL DEFAULT '2000-01-01 00:00:00',
      c_ts_nn TIMESTAMP NOT NULL DEFAULT '2000-01-01 00:00:00'""", {}),
    "t_keys": ("""a INT NOT NULL, b VARCHAR(10) NOT NULL, c_geom GEOMETRY, c_enum ENUM('p','q'),
      note TEXT, PRIMARY KEY (b, a)""", {}),
    "t_nokey": ("""x INT, y VARCHAR(5)""", {}),
}
# Created with mysql56_temporal_format=OFF: MariaDB's pre-5.6 TIME/DATETIME/TIMESTAMP forms.
OLD_TEMPORAL = ("t_oldtime", """id INT NOT NULL PRIMARY KEY, c_time TIME, c_dt DATETIME,
      c_ts TIMESTAMP NULL DEFAULT NULL""")

STATEMENTS = [
    # integers: min, max, zero, NULL
    "INSERT INTO t_int VALUES (1, -128, 0, -32768, 0, -8388608, 0, 1901, -2147483648, 0,"
    " -9223372036854775808, 0, 0, -1),"
    " (2, 127, 255, 32767, 65535, 8388607, 16777215, 2155, 2147483647, 4294967295,"
    " 9223372036854775807, 18446744073709551615, 1, 2147483647),"
    " (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0),"
    " (4, 0, 1, 0, 1, 0, 1, 0, 0, 1, 0, 9223372036854775808, 1, 5)",
    "UPDATE t_int SET c_ubig = 12345, c_year = 2024 WHERE id = 4",
    "DELETE FROM t_int WHERE id = 3",
    # decimals (negative, zero, max), floats, bits
    "INSERT INTO t_num VALUES (1, 123.45, 12345678901234567890123456789012345.123456789012345678901234567890,"
    " 99999, 123456789.123456789, 0.9999, 3.14, 1.7976931348623157e308, 1, 1023, 18446744073709551615),"
    " (2, -1.00, -12345678901234567890123456789012345.123456789012345678901234567890,"
    " -99999, 0.000000001, -0.0001, -1.5e-30, -2.2250738585072014e-308, 0, 0, 0),"
    " (3, 0, 0, 0, 0, 0, 0, 0, b'0', b'1010101010', 9223372036854775808),"
    " (4, -0.50, -0.000000000000000000000000000001, -1, 999999999.999999999, -0.9999, -3.4e38, 1e-300,"
    " NULL, NULL, 1),"
    " (5, 99999999.99, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),"
    " (6, -99999999.99, -1, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)",
    "UPDATE t_num SET c_dec = -c_dec, c_bit64 = 256 WHERE id IN (1, 2)",
    "DELETE FROM t_num WHERE id = 6",
    # strings: utf8mb4 multi-byte, empty, latin1 (cp1252 bytes), binary padding, long lengths
    "INSERT INTO t_str VALUES (1, 'abc', 'Grüße 😀', REPEAT('ü', 300), REPEAT('😀', 255), 'text ✓',"
    " REPEAT('t', 255), 'medium', 'long', 'café € œ ‰', 'Ä ÿ', 'ñandú', 'plain', 'ab', x'00ff00',"
    " x'deadbeef', x'00', '{\"a\": 1, \"b\": [true, null, \"x\"]}'),"
    " (2, '', '', '', '', '', '', '', '', '', '', '', '', '', '', '', '', '[]'),"
    " (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,"
    " NULL),"
    " (4, 'pad  ', 'tab\\tnew\\nline', 'x', 'y', REPEAT('é', 600), 'z', REPEAT('m', 3000), 'l', 'x',"
    " 'x', 'x', 'x', x'01020304', x'', REPEAT(x'ab', 1000), REPEAT(x'cd', 255), '\"just a string\"')",
    "UPDATE t_str SET c_varchar = 'changed ✓', c_blob = x'0102' WHERE id = 1",
    "DELETE FROM t_str WHERE id = 2",
    # ENUM / SET, 1- and 2-byte enums, 1- and 8-byte sets
    "INSERT INTO t_enum VALUES (1, 'small', 'red,blue', 'v1', 'm1,m64', 'x'),"
    " (2, 'large', '', 'v300', '', 'y'), (3, NULL, NULL, NULL, NULL, 'x'),"
    " (4, 'medium', 'red,green,blue', 'v256', 'm8,m9,m33', 'y')",
    "UPDATE t_enum SET c_enum = 'large', c_set = 'green' WHERE id = 1",
    "DELETE FROM t_enum WHERE id = 3",
    # temporal: ranges, fsp 0-6, negative TIME, zero dates (nullable -> null, NOT NULL -> epoch)
    "INSERT INTO t_time VALUES (1, '1000-01-01', '-838:59:59', '-00:00:00.1', '-12:34:56.789',"
    " '838:59:59.000000', '1000-01-01 00:00:00', '1970-01-01 00:00:00.01', '2024-02-29 23:59:59.9999',"
    " '9999-12-31 23:59:59.999999', '1970-01-01 00:00:01', '2000-06-15 12:30:45.123',"
    " '2038-01-19 03:14:07.999999', '1970-01-01', '1970-01-01 00:00:00', '1970-01-01 00:00:01'),"
    " (2, '9999-12-31', '00:00:00', '00:00:00.0', '-00:00:00.001', '-00:00:01.000001',"
    " '1969-12-31 23:59:59', '1900-01-01 00:00:00.99', '2000-01-01 00:00:00.0001',"
    " '1970-01-01 00:00:00.000001', '2000-01-01 00:00:00', '2000-01-01 00:00:00.001',"
    " '2000-01-01 00:00:00.000001', '2024-02-29', '2024-02-29 12:00:00', '2024-02-29 12:00:00'),"
    " (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, '2000-01-01',"
    " '2000-01-01 00:00:00', '2000-01-01 00:00:00'),"
    " (4, '0000-00-00', '12:00:00', '23:59:59.9', '00:00:00.5', '-00:00:00.000001',"
    " '0000-00-00 00:00:00', '0000-00-00 00:00:00.00', '2020-00-00 00:00:00', NULL,"
    " '0000-00-00 00:00:00', NULL, NULL, '0000-00-00', '0000-00-00 00:00:00', '0000-00-00 00:00:00')",
    "UPDATE t_time SET c_time6 = '-838:59:59.999999', c_dt6 = '2001-02-03 04:05:06.654321' WHERE id = 1",
    "DELETE FROM t_time WHERE id = 3",
    # composite key in (b, a) order, an omitted GEOMETRY column; a table without key
    "INSERT INTO t_keys VALUES (2, 'k0', NULL, NULL, 'second'),"
    " (1, 'k1', ST_GeomFromText('POINT(1 2)'), 'q', 'first')",
    "UPDATE t_keys SET note = 'moved', a = 3 WHERE b = 'k1'",
    "DELETE FROM t_keys WHERE b = 'k0'",
    "INSERT INTO t_nokey VALUES (1, 'a'), (NULL, NULL)",
    "DELETE FROM t_nokey WHERE x = 1",
    "INSERT INTO t_oldtime VALUES (1, '-838:59:59', '1000-01-01 00:00:00', '1970-01-01 00:00:01'),"
    " (2, '838:59:59', '9999-12-31 23:59:59', '2038-01-19 03:14:07'), (3, NULL, '0000-00-00 00:00:00',"
    " '0000-00-00 00:00:00')",
]

DDL = "CREATE TABLE t_ddl (id INT NOT NULL PRIMARY KEY)"

# Expected schema per table: column -> (source_name, kind, optional, key, omitted)
SCHEMAS = {
    "t_int": [
        ("id", "int", "int32", False, True), ("c_tiny", "tinyint", "int16", True, False),
        ("c_utiny", "tinyint unsigned", "int16", True, False),
        ("c_small", "smallint", "int16", True, False),
        ("c_usmall", "smallint unsigned", "int32", True, False),
        ("c_med", "mediumint", "int32", True, False),
        ("c_umed", "mediumint unsigned", "int32", True, False),
        ("c_year", "year", "year", True, False), ("c_int", "int", "int32", True, False),
        ("c_uint", "int unsigned", "int64", True, False), ("c_big", "bigint", "int64", True, False),
        ("c_ubig", "bigint unsigned", "int64", True, False),
        ("c_bool", "tinyint", "int16", True, False), ("c_nn", "int", "int32", False, False),
    ],
    "t_num": [
        ("id", "int", "int32", False, True), ("c_dec", "decimal(10,2)", "decimal", True, False),
        ("c_dec_big", "decimal(65,30)", "decimal", True, False),
        ("c_dec0", "decimal(5,0)", "decimal", True, False),
        ("c_udec", "decimal(18,9) unsigned", "decimal", True, False),
        ("c_dec_frac", "decimal(4,4)", "decimal", True, False),
        ("c_float", "float", "float32", True, False), ("c_double", "double", "float64", True, False),
        ("c_bit1", "bit(1)", "bool", True, False), ("c_bit10", "bit(10)", "bits", True, False),
        ("c_bit64", "bit(64)", "bits", True, False),
    ],
    "t_str": [
        ("id", "int", "int32", False, True), ("c_char", "char(10)", "string", True, False),
        ("c_varchar", "varchar(20)", "string", True, False),
        ("c_varchar_long", "varchar(300)", "string", True, False),
        ("c_char_long", "char(255)", "string", True, False),
        ("c_text", "text", "string", True, False), ("c_tinytext", "tinytext", "string", True, False),
        ("c_mediumtext", "mediumtext", "string", True, False),
        ("c_longtext", "longtext", "string", True, False),
        ("c_latin1", "varchar(20)", "string", True, False),
        ("c_latin1_char", "char(5)", "string", True, False),
        ("c_utf8mb3", "varchar(10)", "string", True, False),
        ("c_ascii", "varchar(10)", "string", True, False),
        ("c_binary", "binary(4)", "bytes", True, False),
        ("c_varbinary", "varbinary(10)", "bytes", True, False),
        ("c_blob", "blob", "bytes", True, False), ("c_tinyblob", "tinyblob", "bytes", True, False),
        ("c_json", "longtext", "string", True, False),
    ],
    "t_enum": [
        ("id", "int", "int32", False, True),
        ("c_enum", "enum('small','medium','large')", "enum", True, False),
        ("c_set", "set('red','green','blue')", "set", True, False),
        ("c_enum_big", "enum(" + ENUM_BIG + ")", "enum", True, False),
        ("c_set_big", "set(" + SET_BIG + ")", "set", True, False),
        ("c_enum_nn", "enum('x','y')", "enum", False, False),
    ],
    "t_time": [
        ("id", "int", "int32", False, True), ("c_date", "date", "date", True, False),
        ("c_time", "time", "time", True, False), ("c_time1", "time(1)", "time", True, False),
        ("c_time3", "time(3)", "time", True, False), ("c_time6", "time(6)", "time", True, False),
        ("c_dt", "datetime", "timestamp", True, False),
        ("c_dt2", "datetime(2)", "timestamp", True, False),
        ("c_dt4", "datetime(4)", "timestamp", True, False),
        ("c_dt6", "datetime(6)", "timestamp", True, False),
        ("c_ts", "timestamp", "timestamptz", True, False),
        ("c_ts3", "timestamp(3)", "timestamptz", True, False),
        ("c_ts6", "timestamp(6)", "timestamptz", True, False),
        ("c_date_nn", "date", "date", False, False),
        ("c_dt_nn", "datetime", "timestamp", False, False),
        ("c_ts_nn", "timestamp", "timestamptz", False, False),
    ],
    "t_keys": [
        ("a", "int", "int32", False, True), ("b", "varchar(10)", "string", False, True),
        ("c_geom", "geometry", "omitted", True, False),
        ("c_enum", "enum('p','q')", "enum", True, False), ("note", "text", "string", True, False),
    ],
    "t_nokey": [("x", "int", "int32", True, False), ("y", "varchar(5)", "string", True, False)],
    "t_oldtime": [
        ("id", "int", "int32", False, True), ("c_time", "time", "time", True, False),
        ("c_dt", "datetime", "timestamp", True, False),
        ("c_ts", "timestamp", "timestamptz", True, False),
    ],
}
KEY_ORDER = {"t_keys": ["b", "a"]}


def unscaled_base64(value, scale):
    unscaled = int(decimal.Decimal(value).scaleb(scale, decimal.Context(prec=100)))
    length = max(1, (unscaled.bit_length() + 8) // 8)
    raw = unscaled.to_bytes(length, "big", signed=True)
    while len(raw) > 1 and ((raw[0] == 0 and raw[1] < 0x80) or (raw[0] == 0xFF and raw[1] >= 0x80)):
        raw = raw[1:]
    return base64.b64encode(raw).decode()


def iso_utc(value):
    text = value.strftime("%Y-%m-%dT%H:%M:%S")
    if value.microsecond:
        text += (".%06d" % value.microsecond).rstrip("0")
    return text + "Z"


EPOCH = datetime.datetime(1970, 1, 1)


def envelope_value(value, source_name, kind, optional, raw_text):
    """The SELECTed value as the envelope writes it."""
    if value is None:
        return None
    if kind in ("int16", "int32", "int64", "year"):
        return int(value) if int(value) < 2 ** 63 else int(value) - 2 ** 64
    if kind == "decimal":
        scale = int(source_name.split(",")[1].split(")")[0])
        return unscaled_base64(raw_text, scale)
    if kind == "float32":
        return struct.unpack("<f", struct.pack("<f", float(value)))[0]
    if kind == "float64":
        return float(value)
    if kind == "bool":
        return value != b"\x00"
    if kind == "bits":
        return base64.b64encode(bytes(reversed(value))).decode()
    if kind == "bytes":
        return base64.b64encode(value).decode()
    if kind in ("string", "enum", "set"):
        return value
    precision = int(source_name.split("(")[1].rstrip(")")) if "(" in source_name else 0
    zero = raw_text is not None and (raw_text.startswith("0000-") or "-00-" in raw_text[:8]
                                     or raw_text[5:10].endswith("-00"))
    if kind == "date":
        if zero:
            return None if optional else 0
        return (value - datetime.date(1970, 1, 1)).days
    if kind == "time":
        return (value.days * 86400 + value.seconds) * 1_000_000 + value.microseconds
    if kind == "timestamp":
        if zero:
            return None if optional else 0
        delta = value - EPOCH
        micros = (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds
        return micros // 1000 if precision <= 3 else micros
    if kind == "timestamptz":
        if zero:  # the epoch, nullable or not, as Debezium's binlog reader writes it
            return "1970-01-01T00:00:00Z"
        return iso_utc(value)
    raise ValueError(kind)


def snapshot(conn, table):
    """{key tuple: {column: envelope value}} of the table's rows."""
    columns = SCHEMAS[table]
    names = [c[0] for c in columns if c[2] != "omitted"]
    texts = ", ".join(f"CAST(`{n}` AS CHAR)" for n in names)
    with conn.cursor() as cur:
        cur.execute(f"SELECT {', '.join('`' + n + '`' for n in names)}, {texts} FROM `{table}`")
        rows = cur.fetchall()
    out = {}
    for row in rows:
        values = {}
        for i, (name, source_name, kind, optional, _key) in enumerate(
                c for c in columns if c[2] != "omitted"):
            values[name] = envelope_value(row[i], source_name, kind, optional, row[len(names) + i])
        key_names = KEY_ORDER.get(table) or [c[0] for c in columns if c[4]] or names
        out[tuple(repr(values[k]) for k in key_names) + ((repr(sorted(values.items())),)
                                                         if table == "t_nokey" else ())] = values
    return out


def main():
    with MariaDbServer() as server:
        server.execute("SET GLOBAL binlog_annotate_row_events = ON")
        conn = server.connect(database=server.database)
        with conn.cursor() as cur:
            cur.execute("SET SESSION sql_mode = ''")
            cur.execute("SET SESSION time_zone = '+00:00'")
            for table, (body, _) in TABLES.items():
                cur.execute(f"CREATE TABLE `{table}` ({body}) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4")
            cur.execute("SET GLOBAL mysql56_temporal_format = OFF")
            cur.execute(f"CREATE TABLE `{OLD_TEMPORAL[0]}` ({OLD_TEMPORAL[1]}) ENGINE=InnoDB")
            cur.execute("SET GLOBAL mysql56_temporal_format = ON")
        server.flush_binary_logs()
        binlog_file = server.master_status()[0]
        events = []
        for sql in STATEMENTS:
            table = sql.split()[2] if sql.startswith(("INSERT", "DELETE")) else sql.split()[1]
            if sql.startswith("DELETE"):
                table = sql.split()[2]
            before = snapshot(conn, table)
            with conn.cursor() as cur:
                cur.execute(sql)
            after = snapshot(conn, table)
            changes = []
            for key in sorted(set(before) | set(after)):
                if key in before and key not in after:
                    changes.append((key, "d", before[key], None))
                elif key in after and key not in before:
                    changes.append((key, "c", None, after[key]))
                elif before[key] != after[key]:
                    changes.append((key, "u", before[key], after[key]))
            # An update that changes the key shows as a delete and a create here: pair them.
            deletes = [c for c in changes if c[1] == "d"]
            creates = [c for c in changes if c[1] == "c"]
            if sql.startswith("UPDATE") and len(deletes) == len(creates) == 1:
                changes = [(deletes[0][0], "u", deletes[0][2], creates[0][3])]
            for _key, op, old, new in changes:
                events.append({"table": table, "op": op, "before": old, "after": new, "sql": sql[:60]})
        # A DDL statement: a standalone GTID event group with one QUERY.
        with conn.cursor() as cur:
            cur.execute(DDL)
        server.flush_binary_logs()
        shutil.copyfile(os.path.join(server.datadir, binlog_file), os.path.join(HERE, "types.binlog"))
        # The same server with binlog_checksum=NONE: a file whose events carry no CRC32 (its
        # FORMAT_DESCRIPTION says algorithm 0), one row.
        with conn.cursor() as cur:
            cur.execute("SET GLOBAL binlog_checksum = NONE")
        server.flush_binary_logs()
        plain_file = server.master_status()[0]
        with conn.cursor() as cur:
            cur.execute("INSERT INTO t_nokey VALUES (42, 'plain')")
        server.flush_binary_logs()
        shutil.copyfile(os.path.join(server.datadir, plain_file),
                        os.path.join(HERE, "no_checksum.binlog"))
        conn.close()

    schemas = {}
    for table, columns in SCHEMAS.items():
        schemas[table] = {
            "columns": [{"name": n, "source_name": s, "kind": k, "optional": o, "key": key}
                        for n, s, k, o, key in columns],
            "key": KEY_ORDER.get(table) or [c[0] for c in columns if c[4]],
        }
    with open(os.path.join(HERE, "types.json"), "w", encoding="utf-8") as out:
        json.dump({"database": "shop", "binlog": binlog_file, "schemas": schemas, "events": events},
                  out, indent=1, ensure_ascii=False)
        out.write("\n")
    print(f"captured {binlog_file}: {len(events)} row events "
          f"({os.path.getsize(os.path.join(HERE, 'types.binlog'))} bytes)")


def write_fuzz_seeds():
    with open(os.path.join(HERE, "types.binlog"), "rb") as f:
        data = f.read()
    assert data[:4] == b"\xfebin"
    events, at = [], 4
    while at < len(data):
        size = struct.unpack_from("<I", data, at + 9)[0]
        events.append(data[at:at + size])
        at += size
    seeds_dir = os.path.join(HERE, "..", "..", "fuzz", "corpus", "binlog")
    os.makedirs(seeds_dir, exist_ok=True)
    for name in os.listdir(seeds_dir):
        if name.startswith("captured-"):
            os.remove(os.path.join(seeds_dir, name))
    format_description = events[0]
    groups, current = [], []
    for event in events[1:]:
        if event[4] == 162 and current:  # a MariaDB GTID event starts the next group
            groups.append(current)
            current = []
        current.append(event)
    groups.append(current)
    for i, group in enumerate(groups):
        with open(os.path.join(seeds_dir, f"captured-{i:02d}"), "wb") as out:
            out.write(format_description + b"".join(group))
    print(f"wrote {len(groups)} fuzz seeds")


if __name__ == "__main__":
    if sys.argv[1:] != ["--seeds"]:
        main()
    write_fuzz_seeds()
