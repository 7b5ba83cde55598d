#!/usr/bin/env bash
# The README's demo command: install, build, then run scripts/demo.py.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh -DTRIBUTARY_TESTS=ON >/dev/null
exec /usr/bin/python3 scripts/demo.py
