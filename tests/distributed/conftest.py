"""The distributed suite's servers: an S3 server, and the Celery deployment that uses it.

Both are package-scoped: they start with the first test that needs them and stop after the last
test of tests/distributed/, so they never run beside the scheduler suite's ``airflow standalone``
(pytest finishes one folder's package fixtures before the next folder's start). Each skips, naming
the install command, where a part is missing.
"""

from __future__ import annotations

import importlib.util

import pytest

from tests.distributed.cluster import BIN, CeleryCluster, S3Server, redis_server


def _require(*modules: str) -> None:
    missing = [m for m in modules if importlib.util.find_spec(m) is None]
    if missing:
        pytest.skip(f"{', '.join(missing)} not installed (pip install -e '.[airflow,distributed,dev]')")


@pytest.fixture(scope="package")
def s3_server(tmp_path_factory: pytest.TempPathFactory):
    """``moto_server`` on loopback with the artifact bucket; this process reaches it through the AWS variables
    (set for the package, so ``ArtifactStore("s3://...")`` here opens the same bucket as the workers)."""
    _require("s3fs", "moto", "boto3")
    server = S3Server(tmp_path_factory.mktemp("s3"))
    patch = pytest.MonkeyPatch()
    try:
        server.start()
        for name, value in server.environment().items():
            patch.setenv(name, value)
        yield server
    finally:
        patch.undo()
        server.stop()


@pytest.fixture(scope="package")
def cluster(tmp_path_factory: pytest.TempPathFactory, s3_server: S3Server):
    """Redis, the Airflow scheduler side and two Celery workers on loopback, storing artifacts on ``s3_server``."""
    if not (BIN / "airflow").exists():
        pytest.skip(f"apache-airflow is not installed in {BIN} (pip install -e '.[airflow,distributed]')")
    _require("airflow.providers.celery", "redis")
    if redis_server() is None:
        pytest.skip("redis-server is not installed (apt-get install redis-server; scripts/system-packages.sh does)")
    server = CeleryCluster(tmp_path_factory.mktemp("celery"), s3_server)
    try:
        server.start()
        yield server
    finally:
        server.stop()


# This folder's tests import Airflow in this process (the Celery suite's helpers; a compiled DAG run with
# dag.test() on S3): the session's embedded Airflow is prepared first, whichever folder runs before.
@pytest.fixture(autouse=True)
def _embedded_airflow(airflow_home):
    return airflow_home
