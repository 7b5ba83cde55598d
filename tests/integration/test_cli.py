"""The command line: --version, check on bad configs, and clear errors for unusable databases.

The tests that need a Kafka share one broker (env.shared_kafka: nothing here disturbs it), each with
its own pipeline name, topics and offsets topic."""

import os
import re

from tributary_testing.daemon import run_cli, write_config
from tributary_testing.util import wait_until

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _project_version():
    with open(os.path.join(REPO, "CMakeLists.txt")) as f:
        return re.search(r"project\(\s*tributary\s+VERSION\s+([0-9.]+)", f.read()).group(1)


def test_version(binaries):
    result = run_cli(["--version"])
    assert result.returncode == 0, result.stderr
    assert _project_version() in result.stdout + result.stderr, (result.stdout, result.stderr)


BAD_CONFIG = """\
pipelines:
  - name: shop
    source: { type: postgres, host: 127.0.0.1, port: 99999, database: shop, user: cdc, password: secret }
    tables: { include: ["public\\\\..*"] }
    snapshot: { mode: initial, parallelism: 0 }
    topic_prefix: shop
kafka:
  bootstrap_server: 127.0.0.1:9092
offsets: { directory: /tmp }
"""
# The problems each run must name, by key path.
BAD_PATHS = ["pipelines[0].source.port", "pipelines[0].snapshot.parallelism", "kafka.bootstrap_server"]


def test_check_on_a_bad_config_exits_2_naming_every_problem(tmp_path, binaries):
    path = write_config(str(tmp_path / "bad.yaml"), BAD_CONFIG)
    for command in (["check", "-c", path], ["check", "--config", path], ["run", "-c", path]):
        result = run_cli(command, timeout=30)
        output = result.stdout + result.stderr
        assert result.returncode == 2, f"{command}: exit {result.returncode}, expected 2\n{output}"
        missing = [p for p in BAD_PATHS if p not in output]
        assert not missing, f"{command}: output does not name {missing}:\n{output}"


def test_check_on_a_good_config_exits_0(env):
    db = env.database()
    env.sql(db, "CREATE TABLE items (id int PRIMARY KEY, v text)")
    # The offsets topic is left to run (check says so): created here it would lack
    # cleanup.policy=compact, which check reports as a problem.
    kafka = env.shared_kafka(topics={"goodcheck.public.items": 1})
    daemon = env.daemon(env.config(db, kafka, name="goodcheck", offsets_topic="goodcheck.offsets"))
    result = daemon.check()
    assert result.returncode == 0, f"check exited {result.returncode}:\n{result.stdout}{result.stderr}"


def test_run_against_wal_level_replica_names_wal_level_and_exits_nonzero(env):
    server = env.pg_server(wal_level="replica")
    server.execute("CREATE TABLE items (id int PRIMARY KEY, v text)", superuser=False)
    kafka = env.shared_kafka()
    daemon = env.daemon(env.config(server.database, kafka, pg=server, name="walreplica",
                                   offsets_topic="walreplica.offsets"))
    daemon.start(wait_ready=False)
    code = daemon.wait(timeout=90)
    output = daemon.current_run_stderr()
    assert code != 0, f"tributary exited 0 against wal_level=replica:\n{output}"
    assert "wal_level" in output, f"the error does not name wal_level:\n{output}"


def test_run_without_replication_privilege_gives_a_clear_error(env, pg):
    role = "norepl"
    if not pg.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,), database="postgres"):
        pg.create_role(role, "secret2", replication=False)
    db = env.database()
    pg.execute(f'ALTER DATABASE "{db}" OWNER TO {role}', database="postgres")
    conn = pg.connect(database=db)
    with conn.cursor() as cur:
        cur.execute(f"CREATE TABLE items (id int PRIMARY KEY, v text); ALTER TABLE items OWNER TO {role}")
    conn.close()
    kafka = env.shared_kafka()
    config = env.config(db, kafka, name="norepl", offsets_topic="norepl.offsets",
                        pipeline={"source": {"user": role, "password": "secret2"}})
    daemon = env.daemon(config)
    daemon.start(wait_ready=False)

    pattern = re.compile(r"replication.*(privilege|permission|role|must be)|"
                         r"(privilege|permission|role|must be).*replication", re.IGNORECASE)
    wait_until(lambda: pattern.search(daemon.current_run_stderr()) or daemon.returncode is not None,
               90, "an error about the REPLICATION privilege")
    code = daemon.returncode
    if code is None:  # a daemon that keeps retrying must at least not claim to be ready
        assert daemon.http_get("/readyz")[0] != 200
        daemon.stop()
    output = daemon.current_run_stderr()
    assert pattern.search(output), f"no clear error about the missing REPLICATION privilege:\n{output}"
    assert code != 0, f"tributary exited 0 without the REPLICATION privilege:\n{output}"


def test_unsupported_column_type_is_a_startup_error_naming_the_column(env):
    # With tables.unsupported_columns: fail (the default, skip, is in test_new_tables.py).
    db = env.database()
    env.sql(db, "CREATE TABLE places (id int PRIMARY KEY, spot point)")
    kafka = env.shared_kafka()
    daemon = env.daemon(env.config(db, kafka, name="unsupported", offsets_topic="unsupported.offsets",
                                   pipeline={"tables": {"unsupported_columns": "fail"}}))
    daemon.start(wait_ready=False)
    code = daemon.wait(timeout=90)
    output = daemon.current_run_stderr()
    assert code == 2, f"expected exit 2 for an unsupported column type, got {code}:\n{output}"
    assert "public.places.spot" in output and "point" in output, \
        f"the error does not name the column and its type:\n{output}"
    assert "tables.exclude" in output, f"the error does not say how to fix it:\n{output}"


def test_check_connects_and_lists_every_problem_with_its_fix(env):
    server = env.pg_server(wal_level="replica")
    server.execute("CREATE TABLE places (id int PRIMARY KEY, spot point, box box)", superuser=False)
    config = env.config(server.database, None, pg=server)  # Kafka at 127.0.0.1:9: nothing listens
    daemon = env.daemon(config)
    result = daemon.check(timeout=90)
    output = result.stdout + result.stderr
    assert result.returncode == 1, f"check exited {result.returncode}, expected 1:\n{output}"
    for expected in ("wal_level", "public.places.spot", "public.places.box", "cannot reach Kafka",
                     "fix:"):
        assert expected in output, f"check does not report {expected!r}:\n{output}"


def test_check_offline_validates_only_the_file(env):
    config = env.config("nowhere", None)
    daemon = env.daemon(config)
    result = run_cli(["check", "--offline", "-c", daemon.config_path], timeout=30)
    assert result.returncode == 0, result.stdout + result.stderr
