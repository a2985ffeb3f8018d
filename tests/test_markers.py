"""``pytest -m "not airflow"`` is the quick suite: it leaves out every test that starts Airflow or a cluster.

Those tests live in three folders: ``tests/airflow/`` (an embedded Airflow and ``dag.test()``),
``tests/scheduler/`` (``airflow standalone``) and ``tests/distributed/`` (Celery workers, an S3
server). A test added there without the ``airflow`` marker would run in the quick suite and
start its servers; this test collects the way a user selects and names any that would.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SERVER_FOLDERS = ("tests/airflow/", "tests/scheduler/", "tests/distributed/")


def _collect(*arguments: str) -> list[str]:
    """The test ids ``pytest --collect-only`` lists for ``arguments``, run as a user runs it, from the repository."""
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", *arguments],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return [line.strip() for line in done.stdout.splitlines() if "::" in line]


def test_not_airflow_collects_no_test_of_the_airflow_scheduler_or_distributed_folders() -> None:
    everything = _collect(*SERVER_FOLDERS)
    for folder in SERVER_FOLDERS:  # each folder has tests, so leaving them all out is a real selection
        assert any(test.startswith(folder) for test in everything), folder

    quick = _collect("-m", "not airflow")
    assert any(test.startswith("tests/test_") for test in quick)  # the unit tests stay
    assert [test for test in quick if test.startswith(SERVER_FOLDERS)] == []
