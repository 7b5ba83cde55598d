"""The Docker image's runtime stage, replayed without a Docker engine (scripts/check-image.sh).

The script builds a clean Debian 12 root (debootstrap minbase, cached under ~/.cache/tributary/),
runs the Dockerfile's last stage in it (its own apt-get install list, COPY, USER, HEALTHCHECK),
and runs the binary under test as the image's user: --version, check --offline on the shipped
config, health against a closed port, the HEALTHCHECK command. With one package of the list left
out (TRIBUTARY_IMAGE_DROP_PACKAGE, read by the script) it must fail naming the missing library.

Needs root (debootstrap, chroot), as CI runs. The first run on a machine builds the cache (about
6 minutes here); later runs take the stage's apt-get update and install: about 25 s and 15 s.
"""

import os
import re
import subprocess

import pytest

from tributary_testing.daemon import tributary_bin

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPT = os.path.join(REPO, "scripts", "check-image.sh")


def _check_image(extra_env=None, timeout=840):
    if os.geteuid() != 0:
        pytest.fail("scripts/check-image.sh needs root (debootstrap, chroot): run this test as root "
                    "(CI does), e.g. sudo ctest -R integration.test_ops_image")
    env = dict(os.environ, **(extra_env or {}))
    return subprocess.run([SCRIPT, tributary_bin()], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          stdin=subprocess.DEVNULL, text=True, timeout=timeout, env=env)


def test_the_runtime_stage_runs_the_binary(binaries):
    result = _check_image()
    assert result.returncode == 0, result.stdout
    # The image's USER, as the script reports it (user:group).
    user = re.search(r"^USER\s+(\S+)", open(os.path.join(REPO, "Dockerfile")).read(), re.M).group(1)
    user = user if ":" in user else f"{user}:{user}"
    for step in (f"ok: --version as {user}", f"ok: check --offline as {user}",
                 "ok: health against a closed port (exit 1)",
                 "ok: the HEALTHCHECK command with no daemon running (exit 1)"):
        assert step in result.stdout, f"missing {step!r}:\n{result.stdout}"
    assert "Connection refused" in result.stdout, result.stdout


def test_a_package_left_out_of_the_stage_is_named(binaries):
    result = _check_image({"TRIBUTARY_IMAGE_DROP_PACKAGE": "libpq5"})
    assert result.returncode == 1, result.stdout
    assert "FAIL: /usr/local/bin/tributary needs shared libraries the runtime stage does not install: " \
        "libpq.so.5" in result.stdout, result.stdout
