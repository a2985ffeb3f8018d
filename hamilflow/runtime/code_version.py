"""One code version per DAG run: every task of a run executes the same pipeline code.

A deploy can land while a run is in progress. The DAG file's fingerprint does not catch it
when the change is one the file does not show (a module constant, a helper), and even a
recompiled file would let the run's later tasks compute from values that the earlier
tasks' code produced. So each run records its code version, and every task checks it:

* the *code version* is a hash of the source of the pipeline's modules, as the worker
  imports them (their files' bytes), see :func:`code_version`;
* the run's first task records it in the artifact store, under a reserved node name
  (:data:`RUN_RECORD`) of that run, with the run's clear number;
* each task records the version it ran with (:data:`TASK_RECORD` + its name), and refuses
  to run when the run's version differs from its own, with :class:`CodeVersionError`
  saying what to do.

A run cleared as a whole (Airflow's clear number goes up and every task runs again) starts a
new version: a task of the cleared run whose upstream tasks all ran with its code moves
the run's record to it. A task cleared alone still meets its upstream tasks' old version and
fails, since its inputs were computed by the other code.

Two first tasks that start together both find no record; each writes its own and reads the
record back, so the one whose write lost fails. (The window that remains: one task reads no
record, then another task records and finishes, before the first one writes.)

    >>> check_run_code(pipeline, store, run_id, "spend")  # doctest: +SKIP
"""

from __future__ import annotations

import contextvars
import hashlib
import importlib
import os
import sys
from typing import TYPE_CHECKING, Any, Iterable

from hamilflow.errors import HamilflowError
from hamilflow.runtime.store import ArtifactNotFoundError

if TYPE_CHECKING:
    from hamilflow.runtime.store import ArtifactStore
    from hamilflow.runtime.task import LoadedPipeline

__all__ = ["CodeVersionError", "RUN_RECORD", "TASK_RECORD", "code_version", "check_run_code", "clear_number"]

# Reserved node names: a ':' cannot be in a node's name, so no pipeline value is ever stored here.
RUN_RECORD = "hamilflow:code_version"
TASK_RECORD = "hamilflow:code_version:"

# How many times the running DAG run was cleared (Airflow's ``dag_run.clear_number``), set by the
# Airflow bridge around each task; 0 where no Airflow runs the task.
clear_number: contextvars.ContextVar[int] = contextvars.ContextVar("hamilflow_clear_number", default=0)

_DIGESTS: dict[tuple[str, int, int], bytes] = {}  # (file, mtime, size) -> sha256, once per process


class CodeVersionError(HamilflowError):
    """A task of a DAG run imports other pipeline code than the run's earlier tasks ran with."""


def code_version(modules: Iterable[str]) -> str:
    """A hash of the source of ``modules`` (import paths) as this process imports them: their files' bytes.

    >>> len(code_version(["json"]))
    16
    """
    digest = hashlib.sha256()
    for name in modules:
        module = sys.modules.get(name) or importlib.import_module(name)
        digest.update(name.encode() + b"\0" + _file_digest(getattr(module, "__file__", None)))
    return digest.hexdigest()[:16]


def _file_digest(path: str | None) -> bytes:
    if not path or not os.path.isfile(path):
        return b"no file"  # a module without a file (built in, frozen) has no source to change
    info = os.stat(path)
    key = (path, info.st_mtime_ns, info.st_size)
    if key not in _DIGESTS:
        with open(path, "rb") as fh:
            _DIGESTS[key] = hashlib.sha256(fh.read()).digest()
    return _DIGESTS[key]


def check_run_code(pipeline: LoadedPipeline, store: ArtifactStore, run_id: str, task_name: str) -> str:
    """Record or check the code version of the run ``run_id`` before ``task_name`` runs; return the version.

    Raises :class:`CodeVersionError` when the run's earlier tasks ran other code.
    """
    spec = pipeline.spec
    mine = code_version(spec.modules)
    clears = clear_number.get()
    run_ref = store.ref(spec.dag_id, run_id, RUN_RECORD)
    record = _read(store, run_ref)
    if record is None:
        store.put(run_ref, {"version": mine, "task": task_name, "clear_number": clears})
        record = _read(store, run_ref)  # two first tasks at once: the record is the write that won
    if record["version"] != mine:
        task = pipeline.task(task_name)
        upstream = task.upstream if task is not None else ()
        versions = {u: _read(store, store.ref(spec.dag_id, run_id, TASK_RECORD + u)) for u in upstream}
        if clears > record.get("clear_number", 0) and all(
            v is not None and v["version"] == mine for v in versions.values()
        ):
            # the run was cleared and this task's inputs were computed by its own code: a new version starts
            store.put(run_ref, {"version": mine, "task": task_name, "clear_number": clears})
        else:
            raise CodeVersionError(_message(spec, run_id, task_name, mine, record, versions))
    # durable before the task runs, apart from the task's own writes and their one flush
    store.put(store.ref(spec.dag_id, run_id, TASK_RECORD + task_name), {"version": mine, "clear_number": clears})
    return mine


def _read(store: ArtifactStore, ref: str) -> Any:
    try:
        return store.get(ref)
    except ArtifactNotFoundError:
        return None


def _message(spec: Any, run_id: str, task_name: str, mine: str, record: dict, upstream: dict) -> str:
    older = sorted(u for u, v in upstream.items() if v is not None and v["version"] != mine)
    which = f" (its upstream task{'s' * (len(older) != 1)} {', '.join(older)} too)" if older else ""
    return (
        f"task '{task_name}' of DAG '{spec.dag_id}', run '{run_id}': the pipeline code changed during this run. "
        f"Its first task ('{record.get('task')}') ran code version {record['version']} of "
        f"{', '.join(spec.modules)}{which}; this worker imports version {mine}. Finishing the run would mix "
        "results of two versions of the code. Clear the whole DAG run (every task, so that all of them run the "
        "new code), or trigger a new run; to finish this run with the old code, deploy it back and clear this task."
    )
