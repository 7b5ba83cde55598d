"""A throwaway MariaDB 10.11 server in a temp dir on a free port, for integration tests.

Modelled on pgserver.py: `mariadb-install-db` into a temp datadir, `mariadbd --no-defaults` with the
binlog set up the way tributary needs it (ROW, FULL image and metadata, GTIDs strict), a unix socket
in the temp dir, 127.0.0.1 only. Run as root, the server runs as the `mysql` user.

The Python client is PyMySQL (Debian's python3-pymysql, like python3-psycopg2 for PostgreSQL: the
tests run on /usr/bin/python3 with Debian's packages, there is no venv).

Any prerequisite can be started wrong for the `check` tests: `settings={"binlog_format": "STATEMENT"}`
overrides a server option, `settings={"log_bin": None}` leaves one out (no binary log at all), and
`privileges=[...]` grants the daemon's user less.
"""

import atexit
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import weakref

import pymysql

from tributary_testing.util import free_port, install_private_file, stop_process, tail, wait_until

MARIADBD = os.environ.get("MARIADBD_BIN", "/usr/sbin/mariadbd")
INSTALL_DB = os.environ.get("MARIADB_INSTALL_DB_BIN", "/usr/bin/mariadb-install-db")

# mariadbd refuses to run as root: then it runs as this user (the Debian package's).
_SERVICE_USER = "mysql"

# What the daemon's user needs (README: MySQL prerequisites).
DEFAULT_PRIVILEGES = ("REPLICATION SLAVE", "REPLICATION CLIENT", "BINLOG MONITOR", "SELECT", "RELOAD")

_live_servers = weakref.WeakSet()


@atexit.register
def _stop_all_servers():
    for server in list(_live_servers):
        server.stop()


class MariaDbServer:
    """One MariaDB server: `with MariaDbServer() as db:` (or start()/stop()).

    The superuser `root` connects over the unix socket in the temp dir without a password; the
    daemon's user (`user`, default `cdc`, `'cdc'@'%'` with `privileges` on *.*) connects over TCP
    with `password`. `database` is created at start.
    """

    def __init__(self, user="cdc", password="secret", database="shop", server_id=1,
                 privileges=DEFAULT_PRIVILEGES, settings=None, start_timeout=60.0, tls=None):
        """`tls=(cert, key, ca)`: TLS on (ssl_cert, ssl_key, ssl_ca; the files copied into the temp
        dir, owned by the server's user) and the daemon's user created `REQUIRE SSL`, so it cannot
        connect in plaintext; see install_tls()."""
        self.tls = tls
        self.user = user
        self.password = password
        self.database = database
        self.server_id = server_id
        self.privileges = tuple(privileges)
        self.settings = dict(settings or {})
        self.start_timeout = start_timeout
        self.host = "127.0.0.1"
        self.port = None
        self.tempdir = None
        self.datadir = None
        self.logfile = None
        self._proc = None
        self._log_handle = None
        self._run_as = None

    # ---- lifecycle -------------------------------------------------------------------------------

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    def start(self):
        """install-db (once), start, wait until it accepts connections, create the user and database."""
        if self.tempdir is None:
            self._install()
            if self.tls:
                self.install_tls(*self.tls)
        self._start_server()
        self._bootstrap()
        return self

    def stop(self, remove=True):
        """Clean shutdown; removes the temp dir unless `remove` is False or TRIBUTARY_TEST_KEEP=1."""
        self._stop_server()
        if remove and self.tempdir and not os.environ.get("TRIBUTARY_TEST_KEEP"):
            shutil.rmtree(self.tempdir, ignore_errors=True)
            self.tempdir = None
        _live_servers.discard(self)

    def restart(self, settings=None):
        """Clean shutdown and start again on the same port and datadir; `settings` (if given) are
        merged into the server options first (None as a value leaves that option out)."""
        self._stop_server()
        if settings:
            self.settings.update(settings)
        self._start_server(keep_port=True)

    def kill(self):
        """SIGKILL (a crash: InnoDB recovers at the next start); `start()` or `restart()` brings it back."""
        if self._proc is not None:
            stop_process(self._proc, sig=signal.SIGKILL, timeout=30)
            self._proc = None
        self._close_log()

    @property
    def running(self):
        return self._proc is not None and self._proc.poll() is None

    # ---- connections -----------------------------------------------------------------------------

    @property
    def socket(self):
        return os.path.join(self.tempdir, "mysqld.sock") if self.tempdir else None

    def connect(self, database=None, superuser=True, autocommit=True, **kwargs):
        """A PyMySQL connection: root over the unix socket, or the daemon's user over TCP."""
        if superuser:
            conn = pymysql.connect(unix_socket=self.socket, user="root", password="",
                                   database=database, autocommit=autocommit, charset="utf8mb4", **kwargs)
        else:
            conn = pymysql.connect(host=self.host, port=self.port, user=self.user, password=self.password,
                                   database=database, autocommit=autocommit, charset="utf8mb4", **kwargs)
        return conn

    def execute(self, sql, params=None, database=None, superuser=True):
        """Runs one statement in autocommit; returns its rows (list of tuples) or None."""
        conn = self.connect(database=database, superuser=superuser)
        try:
            with conn.cursor() as cur:
                cur.execute(sql, params)
                return list(cur.fetchall()) if cur.description is not None else None
        finally:
            conn.close()

    def variable(self, name):
        """A global server variable's value as text (None when the server has no such variable)."""
        rows = self.execute("SHOW GLOBAL VARIABLES LIKE %s", (name,))
        return rows[0][1] if rows else None

    def create_database(self, name):
        self.execute(f"CREATE DATABASE IF NOT EXISTS `{name}` CHARACTER SET utf8mb4")

    def drop_database(self, name):
        self.execute(f"DROP DATABASE IF EXISTS `{name}`")

    def binlog_files(self):
        """[(file name, size in bytes)] from SHOW BINARY LOGS, oldest first ([] without a binlog)."""
        try:
            rows = self.execute("SHOW BINARY LOGS")
        except pymysql.err.OperationalError:  # 1381: binary logging not enabled
            return []
        return [(row[0], int(row[1])) for row in rows]

    def master_status(self):
        """(file, position) the next event is written at, or None without a binlog."""
        rows = self.execute("SHOW MASTER STATUS")
        return (rows[0][0], int(rows[0][1])) if rows else None

    def gtid_binlog_pos(self):
        """@@gtid_binlog_pos: the GTID of the last event written per domain ('' before the first)."""
        return self.execute("SELECT @@GLOBAL.gtid_binlog_pos")[0][0]

    def flush_binary_logs(self):
        """Closes the current binlog file and opens the next one (a ROTATE for readers)."""
        self.execute("FLUSH BINARY LOGS")

    def log_tail(self, lines=100):
        return tail(self.logfile, lines) if self.logfile else ""

    # ---- internals -------------------------------------------------------------------------------

    def _popen_kwargs(self):
        if self._run_as is None:
            return {}
        entry = pwd.getpwnam(self._run_as)
        return {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": [],
                "env": {**os.environ, "HOME": self.tempdir, "USER": self._run_as}}

    def _install(self):
        self.tempdir = tempfile.mkdtemp(prefix="tributary-mariadb-")
        _live_servers.add(self)
        if os.geteuid() == 0:
            self._run_as = _SERVICE_USER
            entry = pwd.getpwnam(_SERVICE_USER)
            os.chown(self.tempdir, entry.pw_uid, entry.pw_gid)
        os.chmod(self.tempdir, 0o755)  # the daemon (maybe another user) may use the socket
        self.datadir = os.path.join(self.tempdir, "data")
        self.logfile = os.path.join(self.tempdir, "mariadb.log")
        # A temporary directory of its own: servers installed at the same time in a shared /tmp
        # collide on their bootstrap's temporary table names (#sql-temptable-<pid>-...).
        self.tmpdir = os.path.join(self.tempdir, "tmp")
        os.mkdir(self.tmpdir)
        if self._run_as:
            entry = pwd.getpwnam(self._run_as)
            os.chown(self.tmpdir, entry.pw_uid, entry.pw_gid)
        result = subprocess.run(
            [INSTALL_DB, "--no-defaults", f"--datadir={self.datadir}", "--auth-root-authentication-method=normal",
             "--skip-test-db", "--skip-name-resolve", f"--tmpdir={self.tmpdir}"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=self.tempdir, timeout=120,
            **self._popen_kwargs())
        if result.returncode != 0:
            raise RuntimeError(f"mariadb-install-db failed ({result.returncode}):\n"
                               f"{result.stdout.decode(errors='replace')}")

    def options(self):
        """The server's options as {name: value} (True: a flag without value), settings applied."""
        options = {
            "datadir": self.datadir,
            "tmpdir": self.tmpdir,
            "socket": self.socket,
            "pid-file": os.path.join(self.tempdir, "mariadbd.pid"),
            "bind-address": self.host,
            "skip-name-resolve": True,
            "log_bin": os.path.join(self.datadir, "binlog"),
            "binlog_format": "ROW",
            "binlog_row_image": "FULL",
            "binlog_row_metadata": "FULL",
            "server_id": self.server_id,
            "gtid_strict_mode": "ON",
            "log_error": self.logfile,
            # Fast and small: a test server, no durability needed beyond a clean shutdown.
            "innodb_buffer_pool_size": "64M",
            "innodb_log_file_size": "48M",
            "innodb_flush_log_at_trx_commit": "2",
            "sync_binlog": "0",
            "max_connections": "200",
            "character_set_server": "utf8mb4",
            "collation_server": "utf8mb4_general_ci",
            "default_time_zone": "+00:00",
        }
        if self.tls:
            options.update({"ssl_cert": os.path.join(self.tempdir, "server.crt"),
                            "ssl_key": os.path.join(self.tempdir, "server.key")})
            if self.tls[2]:
                options["ssl_ca"] = os.path.join(self.tempdir, "ca.crt")
        options.update(self.settings)
        return {key: value for key, value in options.items() if value is not None}

    def _command(self):
        command = [MARIADBD, "--no-defaults", f"--port={self.port}"]
        for key, value in self.options().items():
            command.append(f"--{key}" if value is True else f"--{key}={value}")
        return command

    def install_tls(self, cert, key, ca=None, flush=False):
        """Copies the server's certificate, key and CA into the temp dir (where options() points
        ssl_cert / ssl_key / ssl_ca), owned by the server's user. `flush=True` on a running server:
        FLUSH SSL, so connections made after it get the new certificate."""
        for name, source in (("server.crt", cert), ("server.key", key), ("ca.crt", ca)):
            if source is None:
                continue
            target = os.path.join(self.tempdir, name)
            install_private_file(source, target, self._run_as)
        if flush:
            self.execute("FLUSH SSL")

    def _start_server(self, keep_port=False):
        attempts = 1 if keep_port else 5
        last_error = None
        for _ in range(attempts):
            if not keep_port or self.port is None:
                self.port = free_port()
            self._log_handle = open(os.path.join(self.tempdir, "mariadbd.stdout"), "ab")
            self._proc = subprocess.Popen(
                self._command(), stdout=self._log_handle, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                cwd=self.tempdir, start_new_session=True, **self._popen_kwargs())
            try:
                wait_until(self._accepting_connections, self.start_timeout,
                           lambda: f"MariaDB on port {self.port} to accept connections\n{self.log_tail(30)}")
                return
            except (RuntimeError, TimeoutError) as e:
                last_error = e
                self._stop_server()
        raise RuntimeError(f"MariaDB did not start: {last_error}")

    def _accepting_connections(self):
        if self._proc.poll() is not None:
            raise RuntimeError(f"mariadbd exited with {self._proc.returncode}:\n{self.log_tail(30)}")
        try:
            conn = self.connect(connect_timeout=2)
        except pymysql.err.OperationalError:
            return False
        conn.close()
        return True

    def _stop_server(self):
        if self._proc is not None:
            # SIGTERM = clean shutdown: disconnects clients (binlog dumps included), then exits.
            stop_process(self._proc, sig=signal.SIGTERM, timeout=60)
            self._proc = None
        self._close_log()

    def _close_log(self):
        if self._log_handle is not None:
            self._log_handle.close()
            self._log_handle = None

    def _bootstrap(self):
        conn = self.connect()
        try:
            with conn.cursor() as cur:
                cur.execute("CREATE USER IF NOT EXISTS %s@'%%' IDENTIFIED BY %s", (self.user, self.password))
                if self.tls:
                    cur.execute("ALTER USER %s@'%%' REQUIRE SSL", (self.user,))
                if self.privileges:
                    cur.execute(f"GRANT {', '.join(self.privileges)} ON *.* TO %s@'%%'", (self.user,))
                cur.execute(f"CREATE DATABASE IF NOT EXISTS `{self.database}` CHARACTER SET utf8mb4")
        finally:
            conn.close()

    def create_user(self, name, password, privileges=DEFAULT_PRIVILEGES):
        self.execute("CREATE USER IF NOT EXISTS %s@'%%' IDENTIFIED BY %s", (name, password))
        if privileges:
            self.execute(f"GRANT {', '.join(privileges)} ON *.* TO %s@'%%'", (name,))

    def __repr__(self):
        return f"MariaDbServer(port={self.port}, dir={self.tempdir})"
