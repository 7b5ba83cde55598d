"""A deterministic, seeded insert/update/delete workload on the `items` table, with a log of every change.

Every insert and update sets `version` to a new, globally increasing sequence number `seq`; a delete
gets its own `seq` and is identified by the deleted row's `version`. One thread commits the
transactions in order, so `seq` order is commit order. The log holds one `Change` per row change,
appended only after its transaction committed.

The same workload runs on PostgreSQL (psycopg2) and on MySQL/MariaDB (PyMySQL): a small backend
object (`POSTGRES`, `MYSQL`, picked from the connection's type by `backend_for`) holds what differs:
the DDL, the preload statement, autocommit, how a batch of statements is sent, and the Python form
of the values (MySQL: BOOLEAN is TINYINT(1), so `flag` is 0/1; TIMESTAMP is written and read in
UTC without a zone, so `updated_at` is made aware again when read).
"""

import dataclasses
import datetime
import decimal
import random
import threading
import time

ITEMS_COLUMNS = ("id", "version", "payload", "amount", "flag", "qty", "updated_at")

ITEMS_DDL = """
CREATE TABLE {table} (
    id         integer PRIMARY KEY,
    version    bigint NOT NULL,
    payload    text,
    amount     numeric(12,2),
    flag       boolean NOT NULL DEFAULT false,
    qty        smallint,
    updated_at timestamptz
);
ALTER TABLE {table} REPLICA IDENTITY FULL;
"""

MYSQL_ITEMS_DDL = """
CREATE TABLE {table} (
    id         INT PRIMARY KEY,
    version    BIGINT NOT NULL,
    payload    TEXT,
    amount     DECIMAL(12,2),
    flag       BOOLEAN NOT NULL DEFAULT 0,
    qty        SMALLINT,
    updated_at TIMESTAMP(6) NULL
) CHARACTER SET utf8mb4
"""

_EPOCH = datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)
_CENT = decimal.Decimal("0.01")
# Strings that exercise JSON escaping and UTF-8 in the envelope.
_AWKWARD = ['quote " and backslash \\', "tab\tnewline\nreturn\r", "unicode é ß € 中文 😀",
            "</script>&<>'", "\u0001\u001f control", ""]
_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 "


@dataclasses.dataclass(frozen=True)
class Change:
    seq: int
    key: int
    op: str       # 'c' | 'u' | 'd'
    version: int  # c/u: the row's new version (== seq); d: the deleted row's version
    txn: int      # workload transaction number, from 0
    row: dict     # c/u: the row written; d: the row deleted (its last image)


class _Postgres:
    """psycopg2 against PostgreSQL: the reference the workload was written for."""

    name = "postgres"

    def create_table(self, cur, table):
        cur.execute(ITEMS_DDL.format(table=table))

    def preload(self, cur, table, count):
        cur.execute(f"""
            INSERT INTO {table} (id, version, payload, amount, flag, qty, updated_at)
            SELECT g, 0, md5(g::text),
                   ((g * 7919) %% 2000000 - 1000000) / 100.0,
                   g %% 2 = 0,
                   CASE WHEN g %% 11 = 0 THEN NULL ELSE (g %% 60000 - 30000)::smallint END,
                   timestamptz '2023-01-01 00:00:00+00' + g * interval '1.000001 second'
            FROM generate_series(1, %s) AS g""", (count,))

    def autocommit(self, conn):
        return conn.autocommit

    def set_autocommit(self, conn, on):
        conn.autocommit = on

    def execute_batch(self, cur, statements):
        """Sends the statements in one round trip per 500."""
        for start in range(0, len(statements), 500):
            cur.execute(b";".join(cur.mogrify(sql, params) for sql, params in statements[start:start + 500]))

    def row_values(self, row):
        return row

    def param(self, column, value):
        return value

    def read_value(self, column, value):
        return value


class _Mysql:
    """PyMySQL against MySQL/MariaDB. The session runs in UTC (TIMESTAMP is converted to and from
    the session time zone); the workload keeps `updated_at` aware (UTC) and `flag` as 0/1."""

    name = "mysql"

    def create_table(self, cur, table):
        cur.execute(MYSQL_ITEMS_DDL.format(table=table))

    def preload(self, cur, table, count, chunk=200_000):
        """rows 1..count from MariaDB's SEQUENCE engine (seq_1_to_N), in chunks of `chunk` rows
        (no parameters: PyMySQL leaves `%` alone)."""
        self._utc(cur)
        for low in range(1, count + 1, chunk):
            high = min(count, low + chunk - 1)
            cur.execute(f"""
                INSERT INTO {table} (id, version, payload, amount, flag, qty, updated_at)
                SELECT seq, 0, MD5(seq),
                       (CAST(seq * 7919 % 2000000 AS SIGNED) - 1000000) / 100,
                       seq % 2 = 0,
                       CASE WHEN seq % 11 = 0 THEN NULL ELSE CAST(seq % 60000 AS SIGNED) - 30000 END,
                       TIMESTAMP '2023-01-01 00:00:00' + INTERVAL (seq * 1000001) MICROSECOND
                FROM seq_{low}_to_{high}""")

    def autocommit(self, conn):
        return conn.get_autocommit()

    def set_autocommit(self, conn, on):
        conn.autocommit(on)
        with conn.cursor() as cur:
            self._utc(cur)

    @staticmethod
    def _utc(cur):
        cur.execute("SET time_zone = '+00:00'")

    def execute_batch(self, cur, statements):
        for sql, params in statements:
            cur.execute(sql, params)

    def row_values(self, row):
        return dict(row, flag=int(row["flag"]))

    def param(self, column, value):
        if isinstance(value, datetime.datetime) and value.tzinfo is not None:
            return value.astimezone(datetime.timezone.utc).replace(tzinfo=None)
        return value

    def read_value(self, column, value):
        if isinstance(value, datetime.datetime) and value.tzinfo is None:
            return value.replace(tzinfo=datetime.timezone.utc)  # TIMESTAMP, read in UTC
        return value


POSTGRES = _Postgres()
MYSQL = _Mysql()


def backend_for(conn):
    """The backend of a connection: MYSQL for PyMySQL's, POSTGRES otherwise (psycopg2)."""
    return MYSQL if type(conn).__module__.startswith("pymysql") else POSTGRES


def _finish(conn, backend):
    if not backend.autocommit(conn):
        conn.commit()


def create_items_table(conn, table="items"):
    backend = backend_for(conn)
    with conn.cursor() as cur:
        backend.create_table(cur, table)
    _finish(conn, backend)


def preload_items(conn, count, table="items"):
    """Inserts rows 1..count (version 0); returns {id: row} as read back."""
    backend = backend_for(conn)
    with conn.cursor() as cur:
        backend.preload(cur, table, count)
    _finish(conn, backend)
    return read_rows(conn, table)


def read_rows(conn, table="items", key="id"):
    """{key: {column: value}} of every row, as the workload writes them (see the backends)."""
    backend = backend_for(conn)
    with conn.cursor() as cur:
        if backend is MYSQL:
            backend._utc(cur)
        cur.execute(f"SELECT * FROM {table}")
        names = [d[0] for d in cur.description]
        rows = {}
        for values in cur.fetchall():
            row = {name: backend.read_value(name, value) for name, value in zip(names, values)}
            rows[row[key]] = row
    _finish(conn, backend)
    return rows


class Workload:
    """Generates and commits transactions; `log` is the list of committed changes in `seq` order.

    `connect` returns a new psycopg2 or PyMySQL connection. `initial_rows` is the table's content
    before the workload ({id: row}); `state` tracks the expected content as transactions commit.
    """

    def __init__(self, connect, initial_rows, seed=1, table="items", first_seq=1):
        self._connect = connect
        self._conn = None
        self.backend = POSTGRES  # set from the first connection
        self.table = table
        self.rng = random.Random(seed)
        self.state = {key: dict(row) for key, row in initial_rows.items()}
        self.log = []
        self.txn_count = 0
        self.next_seq = first_seq
        self._live = list(self.state)
        self._live_index = {key: i for i, key in enumerate(self._live)}
        self._deleted = []
        self._next_key = max(self.state, default=0) + 1
        self._lock = threading.Lock()
        self._thread = None
        self._error = None
        self.done = threading.Event()

    # ---- running ---------------------------------------------------------------------------------

    @property
    def last_seq(self):
        with self._lock:
            return self.log[-1].seq if self.log else 0

    def changes(self):
        """A copy of the log (safe while a background run appends to it)."""
        with self._lock:
            return list(self.log)

    def transaction(self, size, ops=None):
        """Plans, executes and commits one transaction of `size` changes; returns its Changes.

        `ops` restricts the kinds of change (e.g. "u" for an update-only transaction).
        """
        if self._conn is None:  # first: the backend decides the rows' value forms
            self._conn = self._connect()
            self.backend = backend_for(self._conn)
            self.backend.set_autocommit(self._conn, False)
        planned = [self._plan_change(ops) for _ in range(size)]
        planned = [change for change in planned if change is not None]
        statements = [self._statement(change) for change in planned]
        with self._conn.cursor() as cur:
            self.backend.execute_batch(cur, statements)
        self._conn.commit()
        with self._lock:
            self.log.extend(planned)
            self.txn_count += 1
        return planned

    def run(self, changes, rate=None, big_size=None, big_count=0, stop=None, max_txn_size=300):
        """Commits transactions until `changes` row changes are done (or `stop` is set).

        Sizes are mostly 1-5, sometimes up to `max_txn_size`; `big_count` transactions of `big_size`
        changes are spread evenly through the run. `rate` caps changes per second.
        """
        sizes = self.plan_sizes(changes, big_size, big_count, max_txn_size)
        started = time.monotonic()
        done = 0
        for size in sizes:
            if stop is not None and stop.is_set():
                break
            done += len(self.transaction(size))
            if rate:
                ahead = done / rate - (time.monotonic() - started)
                if ahead > 0:
                    time.sleep(ahead)  # pacing, not synchronization
        return done

    def start(self, *args, **kwargs):
        """`run(...)` in a background thread; `join()` re-raises its exception."""
        if self._thread is not None and self._thread.is_alive():
            raise RuntimeError("workload already running")
        self._error = None
        self.done.clear()

        def target():
            try:
                self.run(*args, **kwargs)
            except BaseException as e:  # re-raised by join()
                self._error = e
            finally:
                self.done.set()

        self._thread = threading.Thread(target=target, name="workload", daemon=True)
        self._thread.start()
        return self

    def join(self, timeout=600.0):
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                raise TimeoutError(f"workload still running after {timeout}s")
            self._thread = None
        if self._error is not None:
            error, self._error = self._error, None
            raise error

    def close(self):
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    # ---- planning --------------------------------------------------------------------------------

    def plan_sizes(self, changes, big_size=None, big_count=0, max_txn_size=300):
        sizes = []
        total = 0
        if big_size and big_count:
            changes_small = max(0, changes - big_size * big_count)
        else:
            changes_small, big_count = changes, 0
        while total < changes_small:
            pick = self.rng.random()
            if pick < 0.70:
                size = self.rng.randint(1, 5)
            elif pick < 0.92:
                size = self.rng.randint(6, 50)
            else:
                size = self.rng.randint(51, max(51, max_txn_size))
            size = min(size, changes_small - total)
            sizes.append(size)
            total += size
        for i in range(big_count):
            sizes.insert((i + 1) * len(sizes) // (big_count + 1), big_size)
        return sizes

    def _plan_change(self, ops=None):
        allowed = ops or "cud"
        pick = self.rng.random()
        if len(self._live) < 10 and "c" in allowed:
            op = "c"
        elif pick < 0.35:
            op = "c"
        elif pick < 0.85:
            op = "u"
        else:
            op = "d"
        if op not in allowed:
            op = allowed[self.rng.randrange(len(allowed))]
        if op in "ud" and not self._live:
            return None
        seq = self.next_seq
        self.next_seq += 1
        txn = self.txn_count
        if op == "c":
            if self._deleted and self.rng.random() < 0.15:
                key = self._deleted.pop(self.rng.randrange(len(self._deleted)))
            else:
                key = self._next_key
                self._next_key += 1
            row = self._new_row(key, seq, None)
            self._add_live(key)
            self.state[key] = row
            return Change(seq, key, "c", seq, txn, row)
        key = self._live[self.rng.randrange(len(self._live))]
        old = self.state[key]
        if op == "u":
            row = self._new_row(key, seq, old)
            self.state[key] = row
            return Change(seq, key, "u", seq, txn, row)
        self._remove_live(key)
        self._deleted.append(key)
        del self.state[key]
        return Change(seq, key, "d", old["version"], txn, old)

    def _new_row(self, key, seq, old):
        rng = self.rng

        def keep(column):
            return old is not None and rng.random() < 0.3 and column in old

        row = {"id": key, "version": seq}
        row["payload"] = old["payload"] if keep("payload") else self._payload()
        row["amount"] = old["amount"] if keep("amount") else (
            None if rng.random() < 0.05 else
            (decimal.Decimal(rng.randint(-9_999_999_999, 9_999_999_999)) * _CENT).quantize(_CENT))
        row["flag"] = old["flag"] if keep("flag") else rng.random() < 0.5
        row["qty"] = old["qty"] if keep("qty") else (
            None if rng.random() < 0.05 else rng.randint(-32768, 32767))
        row["updated_at"] = _EPOCH + datetime.timedelta(microseconds=seq * 1_000_003)
        return self.backend.row_values(row)

    def _payload(self):
        pick = self.rng.random()
        if pick < 0.05:
            return None
        if pick < 0.12:
            return self.rng.choice(_AWKWARD)
        length = self.rng.randint(1, 80)
        return "".join(self.rng.choice(_LETTERS) for _ in range(length))

    def _statement(self, change):
        row = {column: self.backend.param(column, value) for column, value in change.row.items()}
        if change.op == "c":
            return (f"INSERT INTO {self.table} (id, version, payload, amount, flag, qty, updated_at) "
                    "VALUES (%s, %s, %s, %s, %s, %s, %s)",
                    tuple(row[c] for c in ITEMS_COLUMNS))
        if change.op == "u":
            return (f"UPDATE {self.table} SET version = %s, payload = %s, amount = %s, flag = %s, "
                    "qty = %s, updated_at = %s WHERE id = %s",
                    (row["version"], row["payload"], row["amount"], row["flag"], row["qty"],
                     row["updated_at"], row["id"]))
        return (f"DELETE FROM {self.table} WHERE id = %s", (change.key,))

    def _add_live(self, key):
        self._live_index[key] = len(self._live)
        self._live.append(key)

    def _remove_live(self, key):
        i = self._live_index.pop(key)
        last = self._live.pop()
        if last != key:
            self._live[i] = last
            self._live_index[last] = i
