"""Fixtures for every test that runs a real Airflow 3: one embedded Airflow (SQLite) per test session.

Airflow reads its configuration when first imported, so ``airflow_home`` prepares the Airflow
home before any test imports airflow (tests import it inside their bodies). The first
``dag.test()`` of a process costs several seconds; later ones a fraction of a second per task,
which is why every DAG of the suite runs in this one process. A folder of Airflow tests turns
the session's Airflow on with an autouse fixture that asks for ``airflow_home`` (see
``tests/airflow/conftest.py``); the other tests never start it.
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

from hamilflow import driver
from hamilflow.compiler import CompileOptions, compile_pipeline
from hamilflow.embedded_airflow import DagRunResult, prepare, run_dag_file

REPO = Path(__file__).resolve().parents[1]


# The embedded Airflow of the session: its home (SQLite DB, DAG folders, logs) and artifact store.
# Settings from the developer's shell that could point Airflow elsewhere are removed for the session.
@pytest.fixture(scope="session")
def airflow_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    home = tmp_path_factory.mktemp("airflow_home")
    patch = pytest.MonkeyPatch()
    for name in list(os.environ):
        if name.startswith("AIRFLOW__") and name != "AIRFLOW__CORE__MAX_MAP_LENGTH":
            patch.delenv(name)
    patch.delenv("AIRFLOW__CORE__MAX_MAP_LENGTH", raising=False)
    patch.setenv("HAMILFLOW_STORE_URL", str(home / "hamilflow-artifacts"))
    patch.delenv("HAMILFLOW_STORE_SECRET", raising=False)
    patch.chdir(REPO)  # the compiled DAG files import pipelines by module path, from the repository root
    yield prepare(home)
    patch.undo()


# Compiles pipeline modules into a DAG file under the test's tmp_path; returns its path.
@pytest.fixture
def compile_dag(tmp_path: Path) -> Callable[..., Path]:
    def make(modules: str | list[str], dag_id: str, **options: Any) -> Path:
        modules = [modules] if isinstance(modules, str) else list(modules)
        output = tmp_path / f"{dag_id}.py"
        compile_pipeline(CompileOptions(modules=modules, dag_id=dag_id, output=str(output), **options)).write()
        return output

    return make


# Runs a DAG file with dag.test(); fails the test with the Airflow log when `expect` differs from the run's state.
@pytest.fixture
def run_dag() -> Callable[..., DagRunResult]:
    def run(path: str | Path, expect: str | None = "success", **kwargs: Any) -> DagRunResult:
        result = run_dag_file(path, **kwargs)
        if expect is not None and result.state != expect:
            log = result.log.read_text()[-6000:] if result.log and result.log.exists() else ""
            states = [(t.task_id, t.map_index, t.state) for t in result.tasks]
            pytest.fail(f"run of {path} is {result.state}, expected {expect}; tasks {states}\n{log}")
        return result

    return run


# What the local Driver computes for the same modules, outputs and inputs: the reference for every run.
@pytest.fixture
def local() -> Callable[..., dict[str, Any]]:
    def compute(modules: str | list[str], outputs: list[str], inputs: dict | None = None, config: dict | None = None):
        modules = [modules] if isinstance(modules, str) else list(modules)
        loaded = [importlib.import_module(m) for m in modules]
        dr = driver.Builder().with_modules(*loaded).with_config(config or {}).build()
        return dr.raw_execute(outputs, inputs=inputs or {})

    return compute
