"""Run compiled DAG files on a real, embedded Airflow 3: SQLite metadata DB in a local folder.

This is what ``hamilflow airflow-test`` and the test suite use: a full Airflow (scheduler
logic, task runner, XCom, trigger rules, mapping) driven by ``dag.test()``, no servers.
Environment variables must be set before Airflow is first imported, so call
:func:`prepare` early; later calls only switch the DAGs folder.

    >>> result = run_dag_file("airflow_dags/word_count.py")  # doctest: +SKIP
    >>> result.state, result.outputs  # doctest: +SKIP
    ('success', {'total_words': 109})
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from hamilflow.errors import EnvironmentProblem

_PREPARED: Path | None = None


def prepare(home: str | os.PathLike[str]) -> Path:
    """Point Airflow at ``home`` (SQLite, no examples, quiet logs) and create its DB once. Idempotent."""
    global _PREPARED
    home = Path(home).absolute()
    if _PREPARED is not None:
        if _PREPARED != home:
            raise EnvironmentProblem(
                f"Airflow is already set up in {_PREPARED} in this process; cannot switch to {home}."
            )
        return home
    if "airflow" in sys.modules:
        raise EnvironmentProblem(
            "Airflow was imported before hamilflow.embedded_airflow.prepare(): it has already read its "
            "configuration (and maybe a real metadata database). Call prepare() before anything imports airflow."
        )
    home.mkdir(parents=True, exist_ok=True)
    os.environ["AIRFLOW_HOME"] = str(home)
    # always its own SQLite file: never migrate or write to a database configured for a real deployment
    os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = f"sqlite:///{home / 'airflow.db'}"
    os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
    os.environ.setdefault("AIRFLOW__CORE__DAGS_FOLDER", str(home / "dags"))
    os.environ.setdefault("AIRFLOW__LOGGING__LOGGING_LEVEL", "ERROR")
    os.environ.setdefault("AIRFLOW__CORE__UNIT_TEST_MODE", "False")
    os.environ.setdefault("HAMILFLOW_STORE_URL", str(home / "hamilflow-artifacts"))
    with quiet(home / "setup.log"):
        from airflow.utils.db import initdb

        initdb()
    _PREPARED = home
    return home


@contextlib.contextmanager
def quiet(log_path: Path) -> Iterator[None]:
    """Send this process's stdout/stderr (file descriptors too) to ``log_path`` for the duration."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    with open(log_path, "a") as log:
        os.dup2(log.fileno(), 1)
        os.dup2(log.fileno(), 2)
        try:
            yield
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])


@dataclass
class TaskResult:
    """One task instance of a test run; ``error`` is the exception of its last try, if that try failed."""

    task_id: str
    map_index: int
    state: str
    label: str | None
    try_number: int
    error: str | None = None


@dataclass
class DagRunResult:
    """What a test run produced: its state, every task instance, and the pipeline's outputs."""

    dag_id: str
    run_id: str
    state: str
    tasks: list[TaskResult] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)
    log: Path | None = None

    def instances(self, task_id: str) -> list[TaskResult]:
        return [t for t in self.tasks if t.task_id == task_id]


def load_dag(path: str | os.PathLike[str]) -> tuple[Any, Any]:
    """Import a DAG file; return ``(module, dag)``."""
    from airflow.sdk import DAG

    path = Path(path)
    spec = importlib.util.spec_from_file_location(f"hamilflow_dag_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    dags = [v for v in vars(module).values() if isinstance(v, DAG)]
    if len(dags) != 1:
        raise EnvironmentProblem(f"{path} defines {len(dags)} DAG objects at module level; expected one.")
    return module, dags[0]


@contextlib.contextmanager
def _recording_errors() -> Iterator[dict[tuple[str, int], str]]:
    """Collect each failed task instance's exception while ``dag.test()`` runs tasks in this process.

    ``dag.test`` logs a task's traceback but keeps only its state; the in-process runner
    it calls returns the exception, so wrap it for the duration of the run.
    """
    from airflow.sdk.execution_time import supervisor

    errors: dict[tuple[str, int], str] = {}
    original = supervisor.run_task_in_process

    def run_task_in_process(ti: Any, task: Any) -> Any:
        result = original(ti=ti, task=task)
        error = getattr(result, "error", None)
        if error is None:
            errors.pop((ti.task_id, ti.map_index), None)  # a retry succeeded
        else:
            notes = "".join(f"\n{note}" for note in getattr(error, "__notes__", ()))
            errors[(ti.task_id, ti.map_index)] = f"{type(error).__name__}: {error}{notes}"
        return result

    supervisor.run_task_in_process = run_task_in_process
    try:
        yield errors
    finally:
        supervisor.run_task_in_process = original


def _tunnel_api_paths() -> None:
    """Let ``dag.test()``'s in-process Execution API take task ids outside ASCII (``größe``, ``数量``).

    ``dag.test()`` sends each task's calls to Airflow's Execution API (its XComs among them, at
    ``xcoms/<dag>/<run>/<task>/...``) through httpx's WSGI transport into a2wsgi. PEP 3333 wants
    ``PATH_INFO`` as the path's UTF-8 bytes spelled in latin-1, which is how a2wsgi reads it;
    httpx passes the decoded text instead (encode/httpx#1365), so a task named ``größe`` fails
    with ``UnicodeDecodeError`` and one named ``数量`` cannot be read at all. This wraps that
    transport's app, once per API server, to spell the path as the PEP says. A deployed Airflow,
    whose tasks call the api-server over HTTP, does not take this path.
    """
    from airflow.sdk.execution_time import supervisor

    transport = supervisor.in_process_api_server().transport
    app = transport.app
    if getattr(app, "hamilflow_tunnels_paths", False):
        return

    def tunnelled(environ: dict[str, Any], start_response: Any) -> Any:
        path = environ.get("PATH_INFO", "")
        if not path.isascii():
            environ["PATH_INFO"] = path.encode("utf-8").decode("latin-1")
        return app(environ, start_response)

    tunnelled.hamilflow_tunnels_paths = True  # type: ignore[attr-defined]
    transport.app = tunnelled


def run_dag_file(
    path: str | os.PathLike[str],
    run_conf: dict[str, Any] | None = None,
    logical_date: Any = None,
    home: str | os.PathLike[str] | None = None,
    show_logs: bool = False,
) -> DagRunResult:
    """Run one compiled DAG file with ``dag.test()`` and read back states and outputs.

    The file is copied into its own DAGs folder under the Airflow home, since ``dag.test``
    parses every file of the folder it runs from. Task ids outside ASCII work here, though not
    with a bare ``dag.test()`` of Airflow 3.3 (see :func:`_tunnel_api_paths`).
    """
    home = prepare(home or os.environ.get("AIRFLOW_HOME") or ".hamilflow/airflow")
    import airflow.settings

    path = Path(path)
    folder = home / "dags" / path.stem
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    copy = folder / path.name
    shutil.copy(path, copy)
    airflow.settings.DAGS_FOLDER = str(folder)
    module, dag = load_dag(copy)
    log = home / "logs" / f"{dag.dag_id}.log"
    kwargs: dict[str, Any] = {"run_conf": run_conf or None}
    if logical_date is not None:
        kwargs["logical_date"] = logical_date
    with contextlib.nullcontext() if show_logs else quiet(log), _recording_errors() as errors:
        _tunnel_api_paths()
        dag_run = dag.test(**kwargs)
    state = str(getattr(dag_run.state, "value", dag_run.state))
    order = {task_id: i for i, task_id in enumerate(dag.task_ids)}  # as the DAG file lists them
    tasks = [
        TaskResult(
            ti.task_id,
            ti.map_index,
            str(getattr(ti.state, "value", ti.state)),
            ti.rendered_map_index,
            ti.try_number,
            errors.get((ti.task_id, ti.map_index)),
        )
        for ti in sorted(dag_run.get_task_instances(), key=lambda t: (order.get(t.task_id, 0), t.map_index))
    ]
    result = DagRunResult(dag.dag_id, dag_run.run_id, state, tasks, log=log)
    pipeline = getattr(module, "pipeline", None)
    if state == "success" and pipeline is not None:
        from hamilflow.runtime.task import read_outputs

        result.outputs = read_outputs(pipeline.spec, dag_run.run_id)
    return result
