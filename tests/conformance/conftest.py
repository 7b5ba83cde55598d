"""The integration tests' fixtures (pg, env, shared_kafka, binaries) and failure report, reused as is."""

import importlib.util
import os

_PATH = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "integration", "conftest.py")
_spec = importlib.util.spec_from_file_location("tributary_integration_conftest", _PATH)
_module = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_module)

binaries = _module.binaries
shared_kafka = _module.shared_kafka
pg = _module.pg
env = _module.env
pytest_runtest_makereport = _module.pytest_runtest_makereport
