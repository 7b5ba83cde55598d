#!/usr/bin/python3
"""Regenerates the captured pgoutput / CopyData bytes under data/ from a throwaway PostgreSQL.

Usage: /usr/bin/python3 tests/unit/pgoutput/capture.py [--pg-bin /usr/lib/postgresql/15/bin]

Starts a private server (initdb in a temp dir, free port, unix socket in the temp dir, run as
user `postgres` via runuser when invoked as root), runs the SQL steps below one at a time while a
logical replication connection (libpq through ctypes, so the raw CopyData frames are visible)
streams slot output, writes the hex files and stops the server. Needs python3-psycopg2.

Output files (one message per line in hex; `# key: SQL` comment lines start each step):
  data/pgoutput_v1.hex         pgoutput proto_version 1, text tuples, messages 'true'
  data/pgoutput_v1_binary.hex  pgoutput proto_version 1, binary 'true'
  data/copydata.hex            raw CopyData frames: 'w' XLogData, 'k' keepalives, and one 'r'
                               standby status update as this script encodes it
"""

import argparse
import ctypes
import os
import pwd
import select
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time

import psycopg2

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "data")
PG_EPOCH_OFFSET_US = 946684800 * 1000000
WAL_SENDER_TIMEOUT_S = 6

SETUP_SQL = r"""
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE TABLE all_types (
  id int4 PRIMARY KEY,
  c_int2 int2, c_int8 int8, c_bool bool, c_real real, c_double double precision,
  c_numeric_fixed numeric(10,2), c_numeric numeric, c_text text, c_varchar varchar(20),
  c_char char(3), c_bytea bytea, c_date date, c_time time, c_timestamp timestamp,
  c_timestamptz timestamptz, c_uuid uuid, c_json json, c_jsonb jsonb, c_mood mood,
  c_int_array int[], c_text_array text[]);
CREATE TABLE docs (id int PRIMARY KEY, title text, body text);
ALTER TABLE docs ALTER COLUMN body SET STORAGE EXTERNAL;
CREATE TABLE accounts_full (id int PRIMARY KEY, owner text, balance numeric(12,2));
ALTER TABLE accounts_full REPLICA IDENTITY FULL;
CREATE TABLE by_index (id int NOT NULL, code text NOT NULL, val text);
CREATE UNIQUE INDEX by_index_code ON by_index (code);
ALTER TABLE by_index REPLICA IDENTITY USING INDEX by_index_code;
CREATE TABLE composite_key (tenant int, id int, note text, PRIMARY KEY (tenant, id));
CREATE TABLE trunc_parent (id serial PRIMARY KEY);
CREATE TABLE trunc_child (id serial PRIMARY KEY, parent_id int REFERENCES trunc_parent (id));
CREATE PUBLICATION tributary_pub FOR ALL TABLES;
SELECT pg_replication_origin_create('upstream_a');
"""

ALL_TYPES_ROW_1 = (
    "INSERT INTO all_types VALUES (1, -32768, 9223372036854775807, true, 1.5, "
    "-2.25, 12345678.91, 3.14159265358979323846, 'hello ''world''', 'varchar value', 'ab', "
    "'\\x00ff10'::bytea, '2024-02-29', '13:45:30.123456', '2024-02-29 13:45:30.5', "
    "'2024-02-29 13:45:30.5+02', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', "
    "'{\"a\": [1, 2]}', '{\"b\": {\"c\": null}}', 'happy', '{1,NULL,3}', "
    "'{\"x y\",NULL,z}')")

# (key, sql, tag of the last pgoutput message the step produces)
STEPS = [
    ("insert_all_types", ALL_TYPES_ROW_1, "C"),
    ("insert_all_types_nulls", "INSERT INTO all_types (id) VALUES (2)", "C"),
    ("insert_docs_toast",
     "INSERT INTO docs SELECT 1, 'first', string_agg(md5(i::text), '') "
     "FROM generate_series(1, 300) AS i", "C"),
    ("update_docs_unchanged_toast", "UPDATE docs SET title = 'second' WHERE id = 1", "C"),
    ("update_default", "UPDATE all_types SET c_text = 'changed' WHERE id = 1", "C"),
    ("update_default_key_change", "UPDATE all_types SET id = 10 WHERE id = 2", "C"),
    ("insert_full_two_rows",
     "INSERT INTO accounts_full VALUES (1, 'alice', 100.00), (2, 'bob', NULL)", "C"),
    ("update_full", "UPDATE accounts_full SET balance = balance + 1 WHERE id = 1", "C"),
    ("update_full_key_change", "UPDATE accounts_full SET id = 3 WHERE id = 2", "C"),
    ("insert_by_index", "INSERT INTO by_index VALUES (1, 'k1', 'v1')", "C"),
    ("update_by_index_key_change", "UPDATE by_index SET code = 'k2' WHERE id = 1", "C"),
    ("transaction_insert_update_delete",
     "BEGIN; INSERT INTO composite_key VALUES (7, 1, 'n1'), (7, 2, 'n2'); "
     "UPDATE composite_key SET note = 'n1b' WHERE tenant = 7 AND id = 1; "
     "DELETE FROM composite_key WHERE tenant = 7 AND id = 2; COMMIT", "C"),
    ("delete_default", "DELETE FROM all_types WHERE id = 10", "C"),
    ("delete_full", "DELETE FROM accounts_full WHERE id = 1", "C"),
    ("insert_trunc",
     "BEGIN; INSERT INTO trunc_parent DEFAULT VALUES; "
     "INSERT INTO trunc_child (parent_id) VALUES (1); COMMIT", "C"),
    ("truncate_cascade_restart", "TRUNCATE trunc_parent RESTART IDENTITY CASCADE", "C"),
    ("truncate_plain", "TRUNCATE composite_key", "C"),
    ("message_transactional",
     "SELECT pg_logical_emit_message(true, 'tributary', 'hello in tx')", "C"),
    ("message_nontransactional",
     "SELECT pg_logical_emit_message(false, 'tributary.bin', '\\x00ff01'::bytea)", "M"),
    ("origin",
     "SELECT pg_replication_origin_session_setup('upstream_a'); BEGIN; "
     "SELECT pg_replication_origin_xact_setup('0/ABCDEF', '2024-01-02 03:04:05+00'); "
     "INSERT INTO composite_key VALUES (8, 1, 'from upstream'); COMMIT; "
     "SELECT pg_replication_origin_session_reset()", "C"),
    ("relation_after_alter",
     "ALTER TABLE composite_key ADD COLUMN extra int; "
     "INSERT INTO composite_key VALUES (9, 1, 'after alter', 42)", "C"),
    ("delete_docs_toast", "DELETE FROM docs WHERE id = 1", "C"),
]

BINARY_STEPS = [
    ("binary_insert_all_types", ALL_TYPES_ROW_1.replace("VALUES (1,", "VALUES (3,"), "C"),
    ("binary_insert_docs_toast",
     "INSERT INTO docs SELECT 2, 'bin', string_agg(md5(i::text), '') "
     "FROM generate_series(1, 300) AS i", "C"),
    ("binary_update_docs_unchanged_toast", "UPDATE docs SET title = 'bin2' WHERE id = 2", "C"),
]


def as_postgres(cmd):
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--"] + cmd
    return cmd


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Libpq:
    """The few libpq calls a replication stream needs; psycopg2 hides the raw CopyData frames."""

    PGRES_COPY_BOTH = 8
    CONNECTION_OK = 0

    def __init__(self):
        lib = ctypes.CDLL("libpq.so.5")
        lib.PQconnectdb.restype = ctypes.c_void_p
        lib.PQconnectdb.argtypes = [ctypes.c_char_p]
        lib.PQstatus.argtypes = [ctypes.c_void_p]
        lib.PQerrorMessage.restype = ctypes.c_char_p
        lib.PQerrorMessage.argtypes = [ctypes.c_void_p]
        lib.PQexec.restype = ctypes.c_void_p
        lib.PQexec.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
        lib.PQresultStatus.argtypes = [ctypes.c_void_p]
        lib.PQclear.argtypes = [ctypes.c_void_p]
        lib.PQgetCopyData.argtypes = [
            ctypes.c_void_p, ctypes.POINTER(ctypes.POINTER(ctypes.c_char)), ctypes.c_int]
        lib.PQfreemem.argtypes = [ctypes.c_void_p]
        lib.PQconsumeInput.argtypes = [ctypes.c_void_p]
        lib.PQsocket.argtypes = [ctypes.c_void_p]
        lib.PQputCopyData.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int]
        lib.PQflush.argtypes = [ctypes.c_void_p]
        lib.PQfinish.argtypes = [ctypes.c_void_p]
        self.lib = lib


class ReplicationStream:
    def __init__(self, pq, conninfo, slot, options):
        self.pq = pq
        lib = pq.lib
        self.conn = lib.PQconnectdb(conninfo.encode())
        if lib.PQstatus(self.conn) != Libpq.CONNECTION_OK:
            raise RuntimeError(lib.PQerrorMessage(self.conn).decode())
        opts = ", ".join(f"{k} '{v}'" for k, v in options.items())
        sql = f"START_REPLICATION SLOT {slot} LOGICAL 0/0 ({opts})"
        res = lib.PQexec(self.conn, sql.encode())
        status = lib.PQresultStatus(res)
        lib.PQclear(res)
        if status != Libpq.PGRES_COPY_BOTH:
            raise RuntimeError(f"{sql}: {lib.PQerrorMessage(self.conn).decode()}")
        self.received_lsn = 0

    def read_frame(self, timeout_s):
        lib = self.pq.lib
        deadline = time.monotonic() + timeout_s
        buf = ctypes.POINTER(ctypes.c_char)()
        while True:
            n = lib.PQgetCopyData(self.conn, ctypes.byref(buf), 1)
            if n > 0:
                data = ctypes.string_at(buf, n)
                lib.PQfreemem(buf)
                if data[:1] == b"w":
                    self.received_lsn = max(self.received_lsn, struct.unpack(">Q", data[9:17])[0])
                return data
            if n < 0:
                raise RuntimeError(f"copy ended: {lib.PQerrorMessage(self.conn).decode()}")
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            select.select([lib.PQsocket(self.conn)], [], [], remaining)
            if not lib.PQconsumeInput(self.conn):
                raise RuntimeError(lib.PQerrorMessage(self.conn).decode())

    def send_status(self, reply_requested=False):
        """Standby status update: 'r', Int64 written, flushed, applied, Int64 clock, Byte1 reply."""
        lsn = self.received_lsn
        now = int(time.time() * 1000000) - PG_EPOCH_OFFSET_US
        frame = struct.pack(">cQQQqB", b"r", lsn, lsn, lsn, now, 1 if reply_requested else 0)
        lib = self.pq.lib
        if lib.PQputCopyData(self.conn, frame, len(frame)) != 1 or lib.PQflush(self.conn) != 0:
            raise RuntimeError(lib.PQerrorMessage(self.conn).decode())
        return frame

    def close(self):
        self.pq.lib.PQfinish(self.conn)


class Capture:
    def __init__(self, stream, cursor):
        self.stream = stream
        self.cursor = cursor
        self.sections = []  # (key, sql, [payload bytes])
        self.frames = []  # (comment, frame bytes)

    def keep_frame(self, comment, frame):
        if not any(c == comment for c, _ in self.frames):
            self.frames.append((comment, frame))

    def on_keepalive(self, frame):
        reply = frame[17] != 0
        self.keep_frame(f"k: primary keepalive, reply_requested={int(reply)}", frame)
        if reply:
            self.stream.send_status()

    def run(self, key, sql, last_tag):
        self.cursor.execute(sql)
        messages = []
        while True:
            frame = self.stream.read_frame(20)
            if frame is None:
                raise RuntimeError(f"{key}: no '{last_tag}' within 20 s; got {len(messages)}")
            if frame[:1] == b"k":
                self.on_keepalive(frame)
                continue
            if frame[:1] != b"w":
                raise RuntimeError(f"{key}: unexpected CopyData tag {frame[:1]!r}")
            payload = frame[25:]
            tag = chr(payload[0])
            if tag in "BRIC":
                self.keep_frame(f"w: XLogData carrying pgoutput '{tag}'", frame)
            messages.append(payload)
            if tag == last_tag:
                break
        self.sections.append((key, sql, messages))
        self.stream.send_status()

    def wait_for_ping(self):
        """Stays silent until the server asks for a reply (after wal_sender_timeout / 2)."""
        deadline = time.monotonic() + WAL_SENDER_TIMEOUT_S * 2
        while time.monotonic() < deadline:
            frame = self.stream.read_frame(1)
            if frame is None:
                continue
            if frame[:1] == b"k":
                if frame[17] != 0:
                    self.keep_frame("k: primary keepalive, reply_requested=1", frame)
                    status = self.stream.send_status()
                    self.frames.append(
                        ("r: standby status update as capture.py encodes it (written=flushed="
                         "applied=last received LSN)", status))
                    return
                self.keep_frame("k: primary keepalive, reply_requested=0", frame)
        raise RuntimeError("server never requested a reply")


def write_sections(path, title, sections):
    with open(path, "w") as out:
        out.write(f"# {title}\n# Generated by tests/unit/pgoutput/capture.py; do not edit.\n")
        for key, sql, messages in sections:
            out.write(f"# {key}: {' '.join(sql.split())}\n")
            for m in messages:
                out.write(m.hex() + "\n")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--pg-bin", default="/usr/lib/postgresql/15/bin")
    args = parser.parse_args()

    tmp = tempfile.mkdtemp(prefix="tributary-pgcapture-")
    datadir = os.path.join(tmp, "data")
    port = free_port()
    if os.geteuid() == 0:
        pw = pwd.getpwnam("postgres")
        os.chown(tmp, pw.pw_uid, pw.pw_gid)
    pg_ctl = os.path.join(args.pg_bin, "pg_ctl")
    started = False
    try:
        subprocess.run(as_postgres([os.path.join(args.pg_bin, "initdb"), "-D", datadir,
                                    "--auth=trust", "--no-locale", "-E", "UTF8", "-U",
                                    "postgres"]), check=True, stdout=subprocess.DEVNULL)
        with open(os.path.join(datadir, "postgresql.conf"), "a") as conf:
            conf.write(f"""
port = {port}
listen_addresses = ''
unix_socket_directories = '{tmp}'
wal_level = logical
max_wal_senders = 4
max_replication_slots = 4
wal_sender_timeout = '{WAL_SENDER_TIMEOUT_S}s'
timezone = 'UTC'
datestyle = 'ISO, MDY'
fsync = off
""")
        subprocess.run(as_postgres([pg_ctl, "-D", datadir, "-l", os.path.join(tmp, "log"),
                                    "-w", "start"]), check=True, stdout=subprocess.DEVNULL)
        started = True

        dsn = f"host={tmp} port={port} user=postgres dbname=postgres"
        sql = psycopg2.connect(dsn)
        sql.autocommit = True
        cur = sql.cursor()
        cur.execute(SETUP_SQL)
        cur.execute("SELECT pg_create_logical_replication_slot('tributary_text', 'pgoutput')")

        pq = Libpq()
        stream = ReplicationStream(pq, dsn + " replication=database", "tributary_text",
                                   {"proto_version": "1", "publication_names": "tributary_pub",
                                    "messages": "true"})
        capture = Capture(stream, cur)
        for step in STEPS:
            capture.run(*step)
        capture.wait_for_ping()
        stream.close()

        cur.execute("SELECT pg_create_logical_replication_slot('tributary_binary', 'pgoutput')")
        binary_stream = ReplicationStream(
            pq, dsn + " replication=database", "tributary_binary",
            {"proto_version": "1", "publication_names": "tributary_pub", "binary": "true"})
        binary = Capture(binary_stream, cur)
        for step in BINARY_STEPS:
            binary.run(*step)
        binary_stream.close()
        sql.close()

        os.makedirs(DATA, exist_ok=True)
        write_sections(os.path.join(DATA, "pgoutput_v1.hex"),
                       "pgoutput proto_version 1, text tuples, messages 'true'", capture.sections)
        write_sections(os.path.join(DATA, "pgoutput_v1_binary.hex"),
                       "pgoutput proto_version 1, binary 'true'", binary.sections)
        with open(os.path.join(DATA, "copydata.hex"), "w") as out:
            out.write("# Raw CopyData frames from PQgetCopyData (streaming replication protocol)\n"
                      "# Generated by tests/unit/pgoutput/capture.py; do not edit.\n")
            for comment, frame in capture.frames:
                out.write(f"# {comment}\n{frame.hex()}\n")
    finally:
        if started:
            subprocess.run(as_postgres([pg_ctl, "-D", datadir, "-m", "fast", "-w", "stop"]),
                           stdout=subprocess.DEVNULL)
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
