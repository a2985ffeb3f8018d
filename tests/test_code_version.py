"""One code version per DAG run: a deploy in the middle of a run fails the run's later tasks, saying what to do."""

from __future__ import annotations

import sys
import uuid
from pathlib import Path

import pytest

from hamilflow.compiler import CompileOptions, compile_pipeline
from hamilflow.runtime import code_version
from hamilflow.runtime.code_version import CodeVersionError
from hamilflow.runtime.task import read_outputs, run_task

SOURCE = """\
RATE = {rate}  # a module constant: the DAG file does not show it, the fingerprint does not hash it


def base() -> int:
    return RATE


def scaled(base: int) -> int:
    return base * 10
"""


@pytest.fixture
def deployed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A pipeline module and its compiled spec; ``deploy(rate)`` replaces the module as a new deploy would."""
    name = f"code_version_case_{uuid.uuid4().hex[:8]}"
    source = tmp_path / f"{name}.py"
    source.write_text(SOURCE.format(rate=2))
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("HAMILFLOW_PLAN_CACHE", "off")
    options = CompileOptions(
        modules=[name], dag_id="rates", store_url=str(tmp_path / "store"), output=str(tmp_path / "rates.py")
    )
    spec = compile_pipeline(options).spec

    def deploy(rate: int) -> None:
        source.write_text(SOURCE.format(rate=rate))
        sys.modules.pop(name, None)  # the next task's process imports the module as it is now

    deploy.spec = spec
    yield deploy
    sys.modules.pop(name, None)


def test_a_deploy_between_two_tasks_of_a_run_fails_the_later_task(deployed) -> None:
    spec = deployed.spec
    run_task(spec, "base", "run_1", {})
    deployed(3)
    with pytest.raises(CodeVersionError) as caught:
        run_task(spec, "scaled", "run_1", {})
    message = str(caught.value)
    assert "task 'scaled' of DAG 'rates', run 'run_1': the pipeline code changed during this run" in message
    assert "first task ('base')" in message and "(its upstream task base too)" in message
    assert "Clear the whole DAG run" in message and "or trigger a new run" in message

    # a new run runs the new code from its first task on
    run_task(spec, "base", "run_2", {})
    run_task(spec, "scaled", "run_2", {})
    assert read_outputs(spec, "run_2") == {"scaled": 30}


def test_a_run_without_a_deploy_and_retries_of_the_same_code_pass(deployed) -> None:
    spec = deployed.spec
    run_task(spec, "base", "run_1", {})
    run_task(spec, "base", "run_1", {})  # a retry
    deployed(2)  # the same code deployed again: same version
    run_task(spec, "scaled", "run_1", {})
    assert read_outputs(spec, "run_1") == {"scaled": 20}


def test_clearing_the_whole_run_starts_a_new_version_but_clearing_one_task_does_not(deployed) -> None:
    spec = deployed.spec
    run_task(spec, "base", "run_1", {})
    deployed(3)
    cleared = code_version.clear_number.set(1)  # Airflow's dag_run.clear_number after a clear
    try:
        with pytest.raises(CodeVersionError):  # only 'scaled' cleared: its input is the old code's
            run_task(spec, "scaled", "run_1", {})
        run_task(spec, "base", "run_1", {})  # the whole run cleared: every task runs again, in order
        run_task(spec, "scaled", "run_1", {})
    finally:
        code_version.clear_number.reset(cleared)
    assert read_outputs(spec, "run_1") == {"scaled": 30}


def test_the_code_version_follows_the_modules_source() -> None:
    assert code_version.code_version(["json"]) == code_version.code_version(["json"])
    assert code_version.code_version(["json"]) != code_version.code_version(["csv"])
