"""On real Airflow: a deploy in the middle of a DAG run fails the run's later tasks instead of mixing code versions."""

from __future__ import annotations

import sys
import uuid

import pytest

pytestmark = pytest.mark.airflow

# The first task deploys a new version of its own module (another constant) once it has run, as a deploy
# landing between two tasks of a run would; the next task imports the module's file as it is then.
SOURCE = """\
from pathlib import Path

RATE = 2


def base() -> int:
    old, new = "RATE = " + "2", "RATE = " + "3"  # spelled so that this line does not change itself
    Path(__file__).write_text(Path(__file__).read_text().replace(old, new))
    return RATE


def scaled(base: int) -> int:
    return base * RATE
"""


def test_a_deploy_during_a_run_fails_the_next_task_with_what_to_do(compile_dag, run_dag, tmp_path, monkeypatch):
    name = f"deploy_mid_run_{uuid.uuid4().hex[:8]}"
    (tmp_path / "src").mkdir()
    source = tmp_path / "src" / f"{name}.py"
    source.write_text(SOURCE)
    monkeypatch.syspath_prepend(str(source.parent))
    path = compile_dag(name, "deploy_mid_run")

    result = run_dag(path, expect="failed")
    states = {t.task_id: t.state for t in result.tasks}
    assert states == {"base": "success", "scaled": "failed"}
    (failed,) = result.instances("scaled")
    assert "the pipeline code changed during this run" in failed.error
    assert "Clear the whole DAG run" in failed.error

    # a new run runs the deployed code in every task (RATE 3 throughout; the file no longer changes)
    sys.modules.pop(name)
    assert run_dag(path).outputs == {"scaled": 9}
    sys.modules.pop(name)
