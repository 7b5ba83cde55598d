"""A throwaway PostgreSQL 15 server in a temp dir on a free port, for integration tests."""

import atexit
import os
import pwd
import shutil
import subprocess
import tempfile
import weakref

import psycopg2

from tributary_testing.util import free_port, install_private_file, stop_process, tail, wait_until

PG_BIN = os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin")

# PostgreSQL refuses to run as root: then initdb and postgres run as this user.
_SERVICE_USER = "postgres"

_live_servers = weakref.WeakSet()


@atexit.register
def _stop_all_servers():
    for server in list(_live_servers):
        server.stop()


class PgServer:
    """One PostgreSQL cluster: `with PgServer() as pg:` (or start()/stop()).

    The superuser `postgres` connects over the unix socket in the temp dir without a password; the
    daemon's role (`user`, default `cdc`, LOGIN REPLICATION) connects over TCP with `password`.
    `database` is created owned by that role, so tables it creates belong to it.
    """

    def __init__(self, wal_level="logical", user="cdc", password="secret", database="shop",
                 replication=True, settings=None, start_timeout=60.0, tls=None, hba=None):
        """`tls=(cert, key, ca)` turns ssl on with these files (copied into the data directory,
        owned by the server's user; `ca` may be None): see install_tls(). `hba` replaces the
        pg_hba.conf lines for TCP (the unix socket lines for the superuser stay), e.g.
        `["hostssl all all 127.0.0.1/32 scram-sha-256", "hostssl replication all 127.0.0.1/32
        scram-sha-256"]` refuses plaintext."""
        self.tls = tls
        self.hba = list(hba) if hba is not None else None
        self.wal_level = wal_level
        self.user = user
        self.password = password
        self.database = database
        self.replication = replication
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
        """initdb (once), start, wait until it accepts connections, create the role and database."""
        if self.tempdir is None:
            self._init_cluster()
        self._start_postmaster()
        self._bootstrap_roles()
        return self

    def stop(self, remove=True):
        """Fast shutdown; removes the temp dir unless `remove` is False or TRIBUTARY_TEST_KEEP=1."""
        self._stop_postmaster()
        if remove and self.tempdir and not os.environ.get("TRIBUTARY_TEST_KEEP"):
            shutil.rmtree(self.tempdir, ignore_errors=True)
            self.tempdir = None
        _live_servers.discard(self)

    def restart(self):
        """Fast shutdown and start again on the same port and data directory."""
        self._stop_postmaster()
        self._start_postmaster(keep_port=True)

    @property
    def running(self):
        return self._proc is not None and self._proc.poll() is None

    # ---- connections -----------------------------------------------------------------------------

    @property
    def socket_dir(self):
        return self.tempdir

    @property
    def dsn(self):
        """libpq DSN for the daemon's role over TCP with password."""
        return (f"host={self.host} port={self.port} dbname={self.database} user={self.user} "
                f"password={self.password}")

    def superuser_dsn(self, database=None):
        return f"host={self.socket_dir} port={self.port} dbname={database or self.database} user=postgres"

    def connect(self, database=None, superuser=True, autocommit=True, **kwargs):
        """A psycopg2 connection: superuser over the unix socket, or the daemon's role over TCP."""
        if superuser:
            conn = psycopg2.connect(self.superuser_dsn(database), **kwargs)
        else:
            conn = psycopg2.connect(host=self.host, port=self.port, dbname=database or self.database,
                                    user=self.user, password=self.password, **kwargs)
        conn.autocommit = autocommit
        return conn

    def execute(self, sql, params=None, database=None, superuser=True):
        """Runs one statement in autocommit; returns its rows (list of tuples) or None."""
        conn = self.connect(database=database, superuser=superuser)
        try:
            with conn.cursor() as cur:
                cur.execute(sql, params)
                return cur.fetchall() if cur.description is not None else None
        finally:
            conn.close()

    def create_database(self, name, owner=None):
        self.execute(f'CREATE DATABASE "{name}" OWNER "{owner or self.user}"', database="postgres")

    def drop_database(self, name):
        """Drops the database and the replication slots that pin it (best effort for teardown)."""
        def slots_dropped():
            self.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                         "WHERE datname = %s AND pid <> pg_backend_pid()", (name,), database="postgres")
            self.execute("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots "
                         "WHERE database = %s AND NOT active", (name,), database="postgres")
            return not self.execute("SELECT 1 FROM pg_replication_slots WHERE database = %s", (name,),
                                    database="postgres")

        # A terminated walsender releases its slot asynchronously: retry until none is left.
        wait_until(slots_dropped, 30, f"the replication slots of database {name} to be dropped")
        self.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', database="postgres")

    def log_tail(self, lines=100):
        return tail(self.logfile, lines) if self.logfile else ""

    # ---- internals -------------------------------------------------------------------------------

    def _popen_kwargs(self):
        if self._run_as is None:
            return {}
        entry = pwd.getpwnam(self._run_as)
        return {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": [],
                "env": {**os.environ, "HOME": self.tempdir, "USER": self._run_as}}

    def _init_cluster(self):
        self.tempdir = tempfile.mkdtemp(prefix="tributary-pg-")
        _live_servers.add(self)
        if os.geteuid() == 0:
            self._run_as = _SERVICE_USER
            entry = pwd.getpwnam(_SERVICE_USER)
            os.chown(self.tempdir, entry.pw_uid, entry.pw_gid)
        os.chmod(self.tempdir, 0o755)  # the daemon (maybe another user) may use the socket
        self.datadir = os.path.join(self.tempdir, "data")
        self.logfile = os.path.join(self.tempdir, "postgres.log")
        result = subprocess.run(
            [os.path.join(PG_BIN, "initdb"), "-D", self.datadir, "-U", "postgres", "-A", "trust",
             "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=self.tempdir, timeout=120,
            **self._popen_kwargs())
        if result.returncode != 0:
            raise RuntimeError(f"initdb failed ({result.returncode}):\n{result.stdout.decode(errors='replace')}")
        settings = {
            "listen_addresses": "'127.0.0.1'",
            "unix_socket_directories": f"'{self.tempdir}'",
            "wal_level": self.wal_level,
            "max_replication_slots": 20,
            "max_wal_senders": 20,
            "max_connections": 100,
            "fsync": "off",
            "synchronous_commit": "off",
            "full_page_writes": "off",
            "shared_buffers": "'128MB'",
            "wal_sender_timeout": "'60s'",
            "log_min_messages": "warning",
            "log_line_prefix": "'%m [%p] %q%u@%d '",
            "timezone": "'UTC'",
        }
        settings.update(self.settings)
        with open(os.path.join(self.datadir, "postgresql.conf"), "a") as f:
            f.write("\n# tributary_testing\n")
            for key, value in settings.items():
                f.write(f"{key} = {value}\n")
        tcp = self.hba if self.hba is not None else [
            "host all postgres 127.0.0.1/32 trust",
            "host all all 127.0.0.1/32 scram-sha-256",
            "host replication all 127.0.0.1/32 scram-sha-256"]
        with open(os.path.join(self.datadir, "pg_hba.conf"), "w") as f:
            f.write("local all all trust\n"
                    "local replication all trust\n" + "".join(line + "\n" for line in tcp))
        if self.tls:
            self.install_tls(*self.tls)

    def install_tls(self, cert, key, ca=None, reload=False):
        """Copies a server certificate, its key (mode 0600, as PostgreSQL demands) and the CA that
        client certificates are checked against into the data directory, owned by the server's
        user, and points ssl_cert_file / ssl_key_file / ssl_ca_file at them with ssl = on.
        `reload=True` on a running server: pg_reload_conf() (PostgreSQL reloads TLS files on
        SIGHUP; connections made after it get the new certificate)."""
        settings = {"ssl": "on"}
        for name, source in (("server.crt", cert), ("server.key", key), ("root.crt", ca)):
            if source is None:
                continue
            target = os.path.join(self.datadir, name)
            install_private_file(source, target, self._run_as)
            key_name = {"server.crt": "ssl_cert_file", "server.key": "ssl_key_file",
                        "root.crt": "ssl_ca_file"}[name]
            settings[key_name] = f"'{target}'"
        with open(os.path.join(self.datadir, "postgresql.conf"), "a") as f:
            f.write("\n# tributary_testing tls\n")
            for name, value in settings.items():
                f.write(f"{name} = {value}\n")
        if reload:
            self.execute("SELECT pg_reload_conf()", database="postgres")

    def _start_postmaster(self, keep_port=False):
        attempts = 1 if keep_port else 5
        last_error = None
        for _ in range(attempts):
            if not keep_port or self.port is None:
                self.port = free_port()
            self._log_handle = open(self.logfile, "ab")
            self._proc = subprocess.Popen(
                [os.path.join(PG_BIN, "postgres"), "-D", self.datadir, "-p", str(self.port)],
                stdout=self._log_handle, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                cwd=self.tempdir, start_new_session=True, **self._popen_kwargs())
            try:
                wait_until(self._accepting_connections, self.start_timeout,
                           lambda: f"PostgreSQL on port {self.port} to accept connections\n{self.log_tail(30)}")
                return
            except (RuntimeError, TimeoutError) as e:
                last_error = e
                self._stop_postmaster()
        raise RuntimeError(f"PostgreSQL did not start: {last_error}")

    def _accepting_connections(self):
        if self._proc.poll() is not None:
            raise RuntimeError(f"postgres exited with {self._proc.returncode}:\n{self.log_tail(30)}")
        try:
            conn = psycopg2.connect(self.superuser_dsn("postgres"), connect_timeout=2)
        except psycopg2.OperationalError:
            return False
        conn.close()
        return True

    def _stop_postmaster(self):
        if self._proc is not None:
            # SIGINT = fast shutdown: disconnects clients (walsenders included), then exits.
            stop_process(self._proc, sig=2, timeout=60)
            self._proc = None
        if self._log_handle is not None:
            self._log_handle.close()
            self._log_handle = None

    def _bootstrap_roles(self):
        conn = self.connect(database="postgres")
        try:
            with conn.cursor() as cur:
                cur.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (self.user,))
                if cur.fetchone() is None:
                    attrs = "LOGIN REPLICATION" if self.replication else "LOGIN NOREPLICATION"
                    cur.execute(f'CREATE ROLE "{self.user}" {attrs} PASSWORD %s', (self.password,))
                cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (self.database,))
                if cur.fetchone() is None:
                    cur.execute(f'CREATE DATABASE "{self.database}" OWNER "{self.user}"')
        finally:
            conn.close()

    def create_role(self, name, password, replication=True, superuser=False):
        attrs = ["LOGIN", "REPLICATION" if replication else "NOREPLICATION"]
        if superuser:
            attrs.append("SUPERUSER")
        self.execute(f'CREATE ROLE "{name}" {" ".join(attrs)} PASSWORD %s', (password,), database="postgres")

    def slot_info(self, slot):
        rows = self.execute("SELECT active, restart_lsn::text, confirmed_flush_lsn::text "
                            "FROM pg_replication_slots WHERE slot_name = %s", (slot,), database="postgres")
        return rows[0] if rows else None

    def __repr__(self):
        return f"PgServer(port={self.port}, dir={self.tempdir})"
