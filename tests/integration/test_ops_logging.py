"""Logs: log.format json, log.file with SIGHUP reopening it, an unusable log.file, and secrets.

- a real pipeline (PostgreSQL, Kafka) with `log.format: json` and `log.file`: every line of the file
  is one JSON object with ts, level and message, pipeline and table where the text format has
  them; nothing goes to stderr; after the file is renamed (what logrotate does) SIGHUP reopens it:
  the old file's last line says so and it stops growing, new lines land in the new file; a SIGHUP
  that switches log.format to text applies it at once; the changes arrive exactly once;
- an unopenable log.file stops `run` with exit 2 naming the key and the errno text;
- secrets never printed: two pipelines at log.level trace, one with source.password from ${ENV}
  and one with a password_file, kafka.properties with sasl.password and ssl.key.password; a run
  with the wrong password first, `check` with the wrong and the right one, SIGUSR1, a SIGHUP that
  changes a password, `offsets show`, SIGTERM: no line of any output holds any secret value.
"""

import json
import os
import signal
import uuid

from test_lifecycle import Capture, config_of, wait_log
from tributary_testing import daemon as daemon_mod
from tributary_testing.util import free_port, wait_until


def _lines(path):
    """The complete lines of `path` (a line still being written is left for the next read)."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        return []
    return data[:data.rfind(b"\n") + 1].decode("utf-8").splitlines()


def _wait_file_line(path, predicate, timeout, what, daemon):
    found = []

    def check():
        daemon.check_running(what)
        found[:] = [line for line in _lines(path) if predicate(line)]
        return found

    wait_until(check, timeout, lambda: f"{what} in {path}; last lines {_lines(path)[-5:]}")
    return found[0]


def test_json_log_file_reopened_on_sighup(env):
    kafka = env.shared_kafka(topics={"ops_log.public.items": 2, "ops_log.offsets": 1})
    c = Capture(env, kafka, "ops_log", "", seed=141)
    log_file = os.path.join(env.workdir, "tributary.log")
    config = config_of(env, kafka, [c], "ops_log.offsets", max_events=100,
                       log={"level": "info", "format": "json", "file": log_file},
                       http={"listen": f"127.0.0.1:{free_port()}"})  # the port is not in stderr
    daemon = env.daemon(config)
    daemon.start()
    c.wait_snapshot_done()
    c.workload.start(1500, rate=250, max_txn_size=20)
    c.wait_progress(150, 60, "before the rotation")

    records = [json.loads(line) for line in _lines(log_file)]  # each line parses on its own
    assert records, "nothing in log.file"
    for record in records:
        assert {"ts", "level", "message"} <= record.keys(), record
        assert record["level"] in ("trace", "debug", "info", "warn", "error"), record
        assert set(record) <= {"ts", "level", "pipeline", "table", "message"}, record
    listening = [r for r in records if r["message"].startswith("http listening on")]
    assert listening and "pipeline" not in listening[0], records[:5]
    tables = [r for r in records if r.get("table") == "public.items"]
    assert tables and all(r["pipeline"] == "ops_log" for r in tables), records
    print("a line with a table:", tables[0])
    assert daemon.current_run_stderr() == "", "log.file set, yet stderr got: " + daemon.current_run_stderr()

    # logrotate: move the file away, then SIGHUP.
    rotated = log_file + ".1"
    os.rename(log_file, rotated)
    os.kill(daemon.pid, signal.SIGHUP)
    line = _wait_file_line(log_file, lambda text: "SIGHUP: re-read" in text, 30, "the SIGHUP line", daemon)
    print("SIGHUP:", line)
    assert json.loads(line)["message"].endswith(f"(reopened log file {log_file})"), line
    old_last = json.loads(_lines(rotated)[-1])["message"]
    assert old_last == f"SIGHUP: reopening the log: {log_file} (log.file) takes the lines from here on", old_last
    assert oct(os.stat(log_file).st_mode & 0o777) in ("0o640", "0o600"), oct(os.stat(log_file).st_mode)
    old_size = os.path.getsize(rotated)

    # log.format changes at the next SIGHUP too.
    daemon_mod.write_config(daemon.config_path, daemon_mod.deep_merge(config, {"log": {"format": "text"}}))
    os.kill(daemon.pid, signal.SIGHUP)
    text_line = _wait_file_line(log_file, lambda text: text.startswith("20") and "SIGHUP: re-read" in text,
                                30, "the SIGHUP line in text format", daemon)
    print("SIGHUP (text):", text_line)
    assert "applied log.format json -> text" in text_line, text_line
    c.wait_progress(100, 60, "after the rotation")
    os.kill(daemon.pid, signal.SIGUSR1)
    _wait_file_line(log_file, lambda text: " INFO pipeline=ops_log status: state=streaming" in text, 30,
                    "the SIGUSR1 line, in text", daemon)
    c.workload.join(timeout=120)
    c.wait_emitted(c.workload.log[-1], 120, "after the workload")
    assert daemon.sigterm(timeout=60) == 0
    assert os.path.getsize(rotated) == old_size, "the rotated file kept growing after SIGHUP"
    assert any("exiting with code 0" in text for text in _lines(log_file)), _lines(log_file)[-5:]
    c.verify()


def test_unopenable_log_file_exits_2_naming_the_key(env):
    db = env.database()
    for path, reason in [(os.path.join(env.workdir, "missing", "x.log"), "No such file or directory"),
                         (env.workdir, "Is a directory")]:
        config = env.config(db, None, name="ops_logbad", log={"file": path})
        daemon = env.daemon(config, name=f"bad-{len(env.daemons)}")
        daemon.start(wait_ready=False)
        assert daemon.wait(30) == 2
        stderr = daemon.current_run_stderr()
        print(stderr)
        assert f"log.file: cannot open {path} for appending: {reason}" in stderr, stderr
        assert "fix:" in stderr, stderr


def test_secrets_are_never_printed(env, monkeypatch, tmp_path):
    kafka = env.shared_kafka(topics={"ops_sec_a.public.items": 2, "ops_sec_b.public.items": 2,
                                     "ops_sec.offsets": 1})
    tag = uuid.uuid4().hex[:10]
    secrets = {
        "env password": f"EnvPw-{tag}-x7Q",
        "file password": f"FilePw-{tag}-k2Z",
        "wrong password": f"WrongPw-{tag}-m9R",
        "changed password": f"NextPw-{tag}-p4T",
        "sasl.password": f"SaslPw-{tag}-c3V",
        "ssl.key.password": f"KeyPw-{tag}-w8B",
    }
    user_a, user_b = f"ops_sec_a_{tag}", f"ops_sec_b_{tag}"
    env.pg.create_role(user_a, secrets["env password"], replication=True)
    env.pg.create_role(user_b, secrets["file password"], replication=True)
    a = Capture(env, kafka, "ops_sec_a", "_a", seed=151, role=(user_a, secrets["env password"]))
    b = Capture(env, kafka, "ops_sec_b", "_b", seed=152, role=(user_b, secrets["file password"]))
    a.pipeline["source"]["password"] = "${OPS_SEC_PASSWORD}"
    password_file = tmp_path / "pg-password"
    password_file.write_text(secrets["file password"] + "\n")
    password_file.chmod(0o600)
    del b.pipeline["source"]["password"]
    b.pipeline["source"]["password_file"] = str(password_file)
    config = daemon_mod.deep_merge(
        config_of(env, kafka, [a, b], "ops_sec.offsets", max_events=100, log_level="trace"),
        # debug=conf,security: librdkafka logs its configuration and security setup (through
        # tributary's log) - the secret values among them must not be printed.
        {"kafka": {"properties": {"debug": "conf,security", "sasl.username": "tributary",
                                  "sasl.password": secrets["sasl.password"],
                                  "ssl.key.password": secrets["ssl.key.password"]}}})
    outputs = []  # (what, text)

    # The wrong password first: `check` and a run both fail on it.
    monkeypatch.setenv("OPS_SEC_PASSWORD", secrets["wrong password"])
    daemon = env.daemon(config)
    checked = daemon.check()
    outputs += [("check, wrong password", checked.stdout + checked.stderr)]
    assert checked.returncode != 0 and "password authentication failed" in checked.stdout + checked.stderr
    daemon.start(wait_ready=False)
    wait_until(lambda: "password authentication failed" in daemon.current_run_stderr() or not daemon.running,
               60, lambda: f"the wrong password's failure\n{daemon.stderr_tail(20)}")
    daemon.stop()  # it may retry: this start's output is checked below with the rest

    monkeypatch.setenv("OPS_SEC_PASSWORD", secrets["env password"])
    monkeypatch.setenv("OPS_SEC_NEXT", secrets["changed password"])  # for the SIGHUP below
    checked = daemon.check()
    outputs += [("check", checked.stdout + checked.stderr)]
    daemon.start()
    a.wait_snapshot_done()
    b.wait_snapshot_done()
    for capture in (a, b):
        capture.workload.start(200, rate=200, max_txn_size=10)
    os.kill(daemon.pid, signal.SIGUSR1)
    wait_log(daemon, r"pipeline=ops_sec_b status: state=", 30, "the SIGUSR1 lines")
    # A SIGHUP whose file changes a password (named as needing a restart, its value never shown).
    changed = daemon_mod.deep_merge(config, {})
    changed["pipelines"][0]["source"]["password"] = "${OPS_SEC_NEXT}"
    daemon_mod.write_config(daemon.config_path, changed)
    os.kill(daemon.pid, signal.SIGHUP)
    line = wait_log(daemon, r"SIGHUP: re-read", 30, "the SIGHUP line")
    assert "pipelines[ops_sec_a].source.password" in line, line
    for capture in (a, b):
        capture.workload.join(timeout=120)
        capture.wait_emitted(capture.workload.log[-1], 120, "after the workload")
    assert daemon.sigterm(timeout=60) == 0
    shown = daemon.offsets_show()
    outputs += [("offsets show", shown.stdout + shown.stderr)]
    with open(daemon.stderr_path, encoding="utf-8", errors="replace") as f:
        outputs += [("daemon stderr (both runs, trace)", f.read())]

    # The configuration dump ran: the secrets' keys were printed, their values redacted.
    assert "sasl.password = [redacted]" in outputs[-1][1], "librdkafka's conf dump did not run"
    total = 0
    for what, text in outputs:
        total += len(text.splitlines())
        for name, value in secrets.items():
            leaked = [line for line in text.splitlines() if value in line]
            assert not leaked, f"{name} printed in {what}: {leaked[:3]}"
    print(f"{total} lines checked for {len(secrets)} secrets")
    assert total > 50, "too little output to prove anything"
    a.verify()
    b.verify()
