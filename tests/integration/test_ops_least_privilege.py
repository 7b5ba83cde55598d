"""The documented least-privilege SQL, run as written, is enough, and `check` names what is missing.

The SQL is read from the documentation, so a drift there fails here:
- PostgreSQL: the ```sql block of the README's "## PostgreSQL prerequisites";
- MySQL / MariaDB: the ```sql block of the README's "## MySQL / MariaDB prerequisites", on MariaDB
  without the lines marked `-- MySQL`.
Only the names are substituted (role/user, password, database). A pipeline running as exactly that
role (no superuser, no table ownership, no other grant) takes the snapshot, streams (verified
exactly once, read_committed, real Kafka) and `check` finds no problem; the same SQL with one grant
left out makes `check` name the missing grant and its fix.
"""

import os
import re

from tributary_testing import daemon as daemon_mod
from tributary_testing.feed import EventFeed, change_matcher
from tributary_testing.verifier import ITEMS_FIELD_SCHEMAS, verify_exactly_once
from tributary_testing.workload import Workload, create_items_table, preload_items, read_rows

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
WAIT = 90
PASSWORD = "lp-secret-1"


def sql_block(path, *headings):
    """The first ```sql block after the `headings` (in order) of a Markdown file."""
    with open(os.path.join(REPO, path)) as f:
        text = f.read()
    at = 0
    for heading in headings:
        match = re.compile(rf"^{re.escape(heading)}\s*$", re.M).search(text, at)
        assert match, f"{path}: no heading {heading!r}"
        at = match.end()
    block = re.compile(r"^[ \t]*```sql\n(.*?)^[ \t]*```", re.M | re.S).search(text, at)
    assert block, f"{path}: no ```sql block after {headings}"
    return block.group(1)


def statements(block, skip_marker=None):
    """The statements of a SQL block, comments dropped; lines with `skip_marker` left out."""
    lines = [line for line in block.splitlines() if not (skip_marker and skip_marker in line)]
    text = "\n".join(re.sub(r"--.*$", "", line) for line in lines)
    return [s.strip() for s in text.split(";") if s.strip()]


def _check(daemon):
    result = daemon.check(timeout=120)
    output = result.stdout + result.stderr
    return result.returncode, [line for line in output.splitlines() if line.startswith("PROBLEM ")], output


# ---- PostgreSQL ----------------------------------------------------------------------------------

PG_TABLES = ("orders", "customers")


def _pg_sql(role, database, leave_out=None):
    block = sql_block("README.md", "## PostgreSQL prerequisites")
    out = []
    for statement in statements(block):
        if leave_out and re.search(leave_out, statement):
            continue
        statement = re.sub(r"\bcdc\b", role, statement)
        statement = statement.replace("'...'", f"'{PASSWORD}'")
        statement = re.sub(r"\bDATABASE shop\b", f'DATABASE "{database}"', statement)
        out.append(statement)
    return out


def _pg_setup(env, name, role, leave_out=None):
    """A database whose tables the superuser owns, and `role` made by the documented SQL only."""
    db = env.database(f"_{name}")
    for table in PG_TABLES:  # created (and owned) by the superuser, not by any role tributary uses
        conn = env.pg.connect(database=db)
        create_items_table(conn, table)
        preload_items(conn, 50, table)
        conn.close()
    env.pg.execute(f'DROP ROLE IF EXISTS "{role}"', database="postgres")
    sql = _pg_sql(role, db, leave_out)
    for statement in sql:
        env.pg.execute(statement, database=db)
    pipeline = {"source": {"user": role, "password": PASSWORD, "publication": "tributary_shop"}}
    config = env.config(db, env.shared_kafka(), name=name, pipeline=pipeline,
                        offsets_topic=f"tributary.offsets.{name}")
    return db, sql, config


def _pg_drop_role(env, db, role):
    env.pg.execute(f'DROP OWNED BY "{role}"', database=db)
    env.pg.execute(f'DROP OWNED BY "{role}"', database="postgres")
    env.pg.execute(f'DROP ROLE "{role}"', database="postgres")


def test_pg_documented_role_snapshots_streams_and_checks_clean(env):
    name, role = "pglp", "cdc_lp"
    db, sql, config = _pg_setup(env, name, role)
    assert any(s.startswith(f"CREATE ROLE {role}") for s in sql) and len(sql) >= 4, sql
    rows = env.pg.execute("SELECT rolsuper, rolreplication, rolcreatedb, rolcreaterole FROM pg_roles "
                          "WHERE rolname = %s", (role,), database=db)
    assert rows == [(False, True, False, False)], rows
    topic = f"{name}.public.orders"
    collector = env.collector(env.shared_kafka(), topics=[topic, f"{name}.public.customers"])
    daemon = env.daemon(config)
    code, problems, output = _check(daemon)
    assert code == 0 and problems == [], output
    daemon.start()
    feed = EventFeed(collector, topic, ITEMS_FIELD_SCHEMAS)
    owner = lambda: env.pg.connect(database=db)  # noqa: E731  the superuser writes
    initial = read_rows(owner(), "orders")
    feed.wait_for_count(lambda e: e.op == "r", len(initial), WAIT, "the orders snapshot rows")
    customers = EventFeed(collector, f"{name}.public.customers", ITEMS_FIELD_SCHEMAS)
    customers.wait_for_count(lambda e: e.op == "r", 50, WAIT, "the customers snapshot rows")
    workload = Workload(owner, initial, seed=31, table="orders")
    workload.run(300, max_txn_size=15)
    feed.wait_for(change_matcher(workload.changes()[-1]), WAIT, "the last streamed change")
    verify_exactly_once(feed.events, workload.changes(), initial, read_rows(owner(), "orders"),
                        topic_prefix=name, table="orders", database=db,
                        # `last` marks the snapshot's last row, which may be a customers row.
                        check_snapshot_markers=False).raise_if_failed()
    assert daemon.sigterm() == 0
    code, problems, output = _check(daemon)  # and again with a slot and a checkpoint
    assert code == 0 and problems == [], output
    _pg_drop_role(env, db, role)


def test_pg_check_names_a_grant_left_out(env):
    name, role = "pglpsel", "cdc_lp_nosel"
    db, sql, config = _pg_setup(env, name, role, leave_out=r"^GRANT SELECT")
    assert not any(s.startswith("GRANT SELECT") for s in sql), sql
    code, problems, output = _check(env.daemon(config))
    assert code == 1, output
    for table in PG_TABLES:
        assert any(f"role {role} lacks SELECT on public.{table}: the snapshot cannot read it "
                   f'(fix: GRANT SELECT ON "public"."{table}" TO "{role}";)' in p for p in problems), output
    _pg_drop_role(env, db, role)


def test_pg_check_names_a_publication_the_role_cannot_create(env):
    name, role = "pglppub", "cdc_lp_nopub"
    db, _, config = _pg_setup(env, name, role, leave_out=r"^CREATE PUBLICATION")
    code, problems, output = _check(env.daemon(config))
    assert code == 1, output
    assert any(f"publication tributary_shop does not exist, and role {role} does not own every table"
               in p and 'CREATE PUBLICATION "tributary_shop" FOR TABLE "public"' in p
               for p in problems), output
    _pg_drop_role(env, db, role)


# ---- MySQL / MariaDB -----------------------------------------------------------------------------

def _mysql_sql(user, leave_out=None):
    block = sql_block("README.md", "## MySQL / MariaDB prerequisites")
    out = []
    for statement in statements(block, skip_marker="-- MySQL"):  # the session's server is MariaDB
        statement = statement.replace("'cdc'", f"'{user}'").replace("'...'", f"'{PASSWORD}'")
        if leave_out:
            statement = statement.replace(leave_out, "")
        out.append(statement)
    return out


def _mysql_setup(env, mariadb, db, name, user, leave_out=None, server_id=5701):
    mariadb.execute(f"DROP USER IF EXISTS '{user}'@'%'")
    sql = _mysql_sql(user, leave_out)
    for statement in sql:
        mariadb.execute(statement)
    kafka = env.shared_kafka()
    pipeline = {"name": name, "topic_prefix": name,
                "source": {"type": "mysql", "host": mariadb.host, "port": mariadb.port, "user": user,
                           "password": PASSWORD, "server_id": server_id},
                "tables": {"include": [re.escape(db) + "\\..*"]}}
    config = daemon_mod.daemon_config([pipeline], kafka.bootstrap_servers, os.path.join(env.workdir, "offsets"),
                                      offsets_topic=f"tributary.offsets.{name}")
    return sql, config


def test_mysql_readme_user_snapshots_streams_and_checks_clean(env, mariadb, mysql_database):
    name, user, db = "mylp", "cdc_lp", mysql_database
    conn = mariadb.connect(database=db)
    create_items_table(conn)
    initial = preload_items(conn, 100)
    conn.close()
    sql, config = _mysql_setup(env, mariadb, db, name, user)
    assert any(s.startswith("CREATE USER") for s in sql) and not any("RELOAD" in s for s in sql), sql
    grants = [row[0] for row in mariadb.execute(f"SHOW GRANTS FOR '{user}'@'%'")]
    assert not any("ALL PRIVILEGES" in g or "SUPER" in g or "RELOAD" in g for g in grants), grants
    topic = f"{name}.{db}.items"
    collector = env.collector(env.shared_kafka(), topics=[topic])
    daemon = env.daemon(config)
    code, problems, output = _check(daemon)
    assert code == 0 and problems == [], output
    daemon.start()
    feed = EventFeed(collector, topic, ITEMS_FIELD_SCHEMAS)
    feed.wait_for_count(lambda e: e.op == "r", len(initial), WAIT, "the snapshot rows")
    connect = lambda: mariadb.connect(database=db)  # noqa: E731  root writes; the user only reads
    workload = Workload(connect, initial, seed=32)
    workload.run(300, max_txn_size=15)
    feed.wait_for(change_matcher(workload.changes()[-1]), WAIT, "the last streamed change")
    verify_exactly_once(feed.events, workload.changes(), initial, read_rows(connect()), topic_prefix=name,
                        connector=("mysql", "mariadb"), schema=None, database=db).raise_if_failed()
    code, problems, output = _check(daemon)  # while it streams
    assert code == 0 and problems == [], output
    assert daemon.sigterm() == 0
    mariadb.execute(f"DROP USER '{user}'@'%'")


def test_mysql_check_names_a_grant_left_out(env, mariadb, mysql_database):
    name, user = "mylpslave", "cdc_lp_noslave"
    mariadb.execute(f"CREATE TABLE `{mysql_database}`.items (id INT PRIMARY KEY)")
    sql, config = _mysql_setup(env, mariadb, mysql_database, name, user, leave_out="REPLICATION SLAVE, ")
    assert not any("REPLICATION SLAVE" in s for s in sql), sql
    code, problems, output = _check(env.daemon(config))
    assert code == 1, output
    assert any(f"lacks REPLICATION SLAVE (fix: GRANT REPLICATION SLAVE ON *.* TO '{user}'@'%';)" in p
               for p in problems), output
    mariadb.execute(f"DROP USER '{user}'@'%'")

