"""Hostile or mistaken input at the command line (issue 7, items 5, 9 and 10): each ends in a clear
error with exit 2, never bad_alloc, never a secret in the output.

- unbounded reads: `--config /dev/zero`, `password_file: /dev/zero`, a 50 MB file of unknown keys
  and one just under the 4 MiB cap (output bounded, the rest counted), an oversized checkpoint
  file at `offsets show` and at `run`;
- secrets: a `${VAR}` expanded into the wrong key is shown as written; librdkafka's echo of a
  property value (at `check --offline`, `check` and `run`) never shows a secret;
- kafka.properties checked offline, every bad key at once, by `check --offline`, `check` and `run`;
- control bytes in YAML errors escaped; invalid regexes reported with their own problem;
- `offsets show` prints the recorded `updated_at` and needs no database password, while `run` and
  `check` still do.

Every daemon run is capped at 2 GiB of address space (RLIMIT_AS), so a regression that reads
without bound fails fast with bad_alloc instead of taking the machine's memory. No server is
needed except where `run` or `check` must get past the configuration (the shared Kafka, one
PostgreSQL database).
"""

import json
import os
import resource
import subprocess

from tributary_testing.daemon import tributary_bin, write_config

SECRET = "hunter2-Xq7-s3cret"
MEMORY_CAP = 2 << 30


def run_capped(args, timeout=120, env=None):
    """`tributary ARGS...` with its address space capped; CompletedProcess with text output."""
    def cap_memory():
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))

    return subprocess.run([tributary_bin(), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          stdin=subprocess.DEVNULL, timeout=timeout, text=True, errors="replace",
                          env=env, preexec_fn=cap_memory)


def environment(**variables):
    env = dict(os.environ)
    env.update(variables)
    return env


def offline_config(tmp_path, source_extra="", kafka_extra="", offsets_directory=None):
    """A config file text for `check --offline` (nothing is contacted), one pipeline `shop`."""
    directory = offsets_directory or os.path.join(str(tmp_path), "offsets")
    return (
        "pipelines:\n"
        "  - name: shop\n"
        "    source:\n"
        "      type: postgres\n"
        "      database: shop\n"
        "      user: cdc\n" + source_extra +
        "kafka:\n"
        "  bootstrap_servers: 127.0.0.1:9\n" + kafka_extra +
        f"offsets: {{directory: \"{directory}\"}}\n"
        "http: {listen: \"127.0.0.1:0\"}\n")


def assert_clear_exit_2(result, *expected):
    output = result.stdout + result.stderr
    assert "bad_alloc" not in output and result.returncode >= 0, \
        f"died (exit {result.returncode}):\n{output[-3000:]}"
    assert result.returncode == 2, f"exit {result.returncode}, expected 2:\n{output[-3000:]}"
    for text in expected:
        assert text in output, f"the error does not say {text!r}:\n{output[-3000:]}"
    return output


# ---- item 5: bounded reads ----------------------------------------------------------------------

def test_config_dev_zero_is_a_clear_error(binaries):
    result = run_capped(["check", "--offline", "--config", "/dev/zero"])
    assert_clear_exit_2(result, "/dev/zero", "larger than 4 MiB")


def test_password_file_dev_zero_is_a_clear_error(tmp_path, binaries):
    path = write_config(str(tmp_path / "c.yaml"),
                        offline_config(tmp_path, "      password_file: /dev/zero\n"))
    result = run_capped(["check", "--offline", "--config", path])
    assert_clear_exit_2(result, "pipelines[0].source.password_file", "/dev/zero", "64 KiB")


def unknown_keys_file(path, size):
    """A config of `size` bytes: a valid pipeline, then unknown top-level keys."""
    head = offline_config(os.path.dirname(path)).encode()
    with open(path, "wb") as f:
        f.write(head)
        written, i, chunk = len(head), 0, []
        while written < size - 64:
            line = f"unknown_key_{i}: value\n".encode()
            chunk.append(line)
            written += len(line)
            i += 1
            if len(chunk) == 10000:
                f.write(b"".join(chunk))
                chunk = []
        f.write(b"".join(chunk))
    return i


def test_50_mb_of_unknown_keys_is_refused_with_bounded_output(tmp_path, binaries):
    path = str(tmp_path / "huge.yaml")
    unknown_keys_file(path, 50 << 20)
    result = run_capped(["check", "--offline", "--config", path], timeout=600)
    output = assert_clear_exit_2(result, path, "larger than 4 MiB")
    assert len(output.splitlines()) < 10, f"{len(output.splitlines())} lines of output"


def test_many_unknown_keys_under_the_cap_print_the_first_50_and_count_the_rest(tmp_path, binaries):
    path = str(tmp_path / "many.yaml")
    keys = unknown_keys_file(path, (4 << 20) - 4096)
    result = run_capped(["check", "--offline", "--config", path], timeout=600)
    output = assert_clear_exit_2(result, f"has {keys} problem(s)", "unknown key 'unknown_key_0'",
                                 f"... and {keys - 50} more problem(s)")
    assert len(output.splitlines()) <= 52, f"{len(output.splitlines())} lines of output"
    assert "unknown_key_50'" not in output


def oversized_checkpoint(directory, pipeline):
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, f"{pipeline}.offsets")
    with open(path, "wb") as f:
        f.write(b" " * (2 << 20))
    return path


def test_oversized_checkpoint_file_at_offsets_show(tmp_path, binaries):
    checkpoint = oversized_checkpoint(str(tmp_path / "offsets"), "shop")
    path = write_config(str(tmp_path / "c.yaml"), offline_config(tmp_path))
    result = run_capped(["offsets", "show", "--config", path])
    output = assert_clear_exit_2(result, checkpoint, "more than 1 MiB", "fix:",
                                 "offsets reset --config FILE --pipeline shop")
    assert result.stdout == "", result.stdout


def test_oversized_checkpoint_file_at_run(env):
    db = env.database()
    env.sql(db, "CREATE TABLE items (id int PRIMARY KEY, v text)")
    kafka = env.shared_kafka()
    daemon = env.daemon(env.config(db, kafka, name="oversized", offsets_topic="oversized.offsets"))
    checkpoint = oversized_checkpoint(os.path.join(env.workdir, "offsets"), "oversized")
    result = run_capped(["run", "--config", daemon.config_path], timeout=300)
    assert_clear_exit_2(result, checkpoint, "more than 1 MiB", "fix:")


# ---- item 9: secrets in error text --------------------------------------------------------------

def test_a_variable_in_the_wrong_key_is_shown_as_written(tmp_path, binaries):
    path = write_config(str(tmp_path / "c.yaml"),
                        offline_config(tmp_path, "      port: ${DB_PASSWORD}\n"
                                                 "      sslmode: ${DB_PASSWORD}\n"))
    result = run_capped(["check", "--offline", "--config", path], env=environment(DB_PASSWORD=SECRET))
    output = assert_clear_exit_2(result, "pipelines[0].source.port", "got '${DB_PASSWORD}'",
                                 "pipelines[0].source.sslmode")
    assert SECRET not in output, output


def test_librdkafka_never_echoes_a_secret(env):
    """An invalid value for a property, from the same variable as sasl.password: librdkafka quotes
    it; the daemon masks it at check --offline, check and run."""
    db = env.database()
    env.sql(db, "CREATE TABLE items (id int PRIMARY KEY, v text)")
    kafka = env.shared_kafka()
    config = env.config(db, kafka, name="secretecho", offsets_topic="secretecho.offsets")
    config["kafka"]["properties"] = {"sasl.password": "${KAFKA_SECRET}", "sasl.mechanisms": "PLAIN",
                                     "security.protocol": "${KAFKA_SECRET}"}
    daemon = env.daemon(config)
    for command in (["check", "--offline"], ["check"], ["run"]):
        result = run_capped([*command, "--config", daemon.config_path], timeout=300,
                            env=environment(KAFKA_SECRET=SECRET))
        output = assert_clear_exit_2(result, "kafka.properties.security.protocol")
        assert SECRET not in output, f"{command} shows the secret:\n{output}"


# ---- item 10: kafka.properties offline, control bytes, regexes, offsets show ---------------------

def test_bad_kafka_properties_are_all_reported_offline(env):
    db = env.database()
    env.sql(db, "CREATE TABLE items (id int PRIMARY KEY, v text)")
    kafka = env.shared_kafka()
    config = env.config(db, kafka, name="badprops", offsets_topic="badprops.offsets")
    config["kafka"]["properties"] = {"sasl.pasword": "x", "linger.ms": "soon", "acks": "all"}
    daemon = env.daemon(config)
    for command in (["check", "--offline"], ["check"], ["run"]):
        result = run_capped([*command, "--config", daemon.config_path], timeout=300)
        assert_clear_exit_2(result,
                            'kafka.properties.sasl.pasword: librdkafka refuses it: No such '
                            'configuration property: "sasl.pasword"',
                            'kafka.properties.linger.ms: librdkafka refuses it: Invalid value '
                            'for configuration property "queue.buffering.max.ms"',
                            "has 2 problem(s)")


def test_control_bytes_in_yaml_errors_are_escaped(tmp_path, binaries):
    cases = {
        "nul.yaml": b"pipelines:\n  - name: shop\x00\n",
        "escape.yaml": b"pipelines:\n  - name: \"a\\\x01\"\n",
        "values.yaml": offline_config(tmp_path).encode() + b"\"key\\0with\\x1bnul\": 1\n",
    }
    expected = {
        "nul.yaml": "holds a NUL byte at line 2, column 15",
        "escape.yaml": "unknown escape character: \\x01",
        "values.yaml": "unknown key 'key\\x00with\\x1bnul'",
    }
    for name, content in cases.items():
        path = str(tmp_path / name)
        with open(path, "wb") as f:
            f.write(content)
        result = subprocess.run([tributary_bin(), "check", "--offline", "--config", path],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
        raw = result.stdout + result.stderr
        assert result.returncode == 2, f"{name}: exit {result.returncode}\n{raw!r}"
        control = sorted({b for b in raw if b < 0x20 and b != 0x0a})
        assert not control, f"{name}: control bytes {control} in the output:\n{raw!r}"
        assert expected[name] in raw.decode(), f"{name}: no {expected[name]!r} in\n{raw.decode()}"


def test_invalid_regexes_are_reported_with_their_own_problem(tmp_path, binaries):
    path = write_config(str(tmp_path / "c.yaml"), offline_config(
        tmp_path, "    tables: {include: [\"*.orders\", \"public\\\\.[a-\"], exclude: [\"x)\"]}\n",
        "  topics: {overrides: [{match: \"shop\\\\.(a\"}]}\n"))
    result = run_capped(["check", "--offline", "--config", path])
    output = assert_clear_exit_2(
        result,
        "pipelines[0].tables.include[0]: must be a valid ECMAScript regular expression: it has a "
        "'*', '+', '?' or '{...}' with nothing before it to repeat",
        "pipelines[0].tables.include[1]: must be a valid ECMAScript regular expression: it has a "
        "'[' without its ']' at offset 8",
        "pipelines[0].tables.exclude[0]: must be a valid ECMAScript regular expression: it has a "
        "')' without its '(' at offset 1",
        "kafka.topics.overrides[0].match: must be a valid ECMAScript regular expression: it has a "
        "'(' without its ')' at offset 6")
    assert "Mismatched" not in output and "range" not in output, output


RECORDED_AT = "2001-02-03T04:05:06.789Z"


def test_offsets_show_prints_the_recorded_time_and_needs_no_password(tmp_path, binaries):
    directory = str(tmp_path / "offsets")
    os.makedirs(directory)
    with open(os.path.join(directory, "shop.offsets"), "w") as f:
        json.dump({"format": 2, "pipeline": "shop", "epoch": 0, "source": None,
                   "snapshot_completed": True, "lsn": "0/16B3748", "lsn_decimal": 23803720,
                   "partial_commit_lsn": "0/0", "partial_commit_lsn_decimal": 0,
                   "partial_events": 0, "updated_at": RECORDED_AT}, f)
    unset = environment()
    unset.pop("TRIBUTARY_TEST_UNSET_PASSWORD", None)
    for name, source_extra in (("password.yaml", "      password: ${TRIBUTARY_TEST_UNSET_PASSWORD}\n"),
                               ("file.yaml", "      password_file: /nonexistent/tributary/pg\n")):
        path = write_config(str(tmp_path / name), offline_config(tmp_path, source_extra))
        shown = run_capped(["offsets", "show", "--config", path], env=unset)
        assert shown.returncode == 0, f"{name}: offsets show exit {shown.returncode}:\n{shown.stderr}"
        record = json.loads(shown.stdout)
        assert record["updated_at"] == RECORDED_AT, shown.stdout
        assert record["position"]["lsn"] == "0/16B3748", shown.stdout
        # A connection needs the password: check and run still refuse (before connecting).
        for command in (["check", "--offline"], ["check"], ["run"]):
            result = run_capped([*command, "--config", path], env=unset)
            assert_clear_exit_2(result, "pipelines[0].source.password")
