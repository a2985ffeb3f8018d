"""A compiled pipeline's plan, cached on the worker per code version: a task's load that stays small.

Each Airflow task is a fresh process. Rebuilding the whole graph and plan there, and hashing
every function's source to check the fingerprint, costs time in proportion to the pipeline
(0.5 s at 5,000 nodes) for a task that runs one node. The first task of a code version on
a worker builds everything, checks the fingerprint, and writes this cache; later tasks read
only their own task from it.

The cache is keyed by the spec (modules, config, outputs, grouping, fingerprint) and the
Python version, and it holds, besides the plan, the SHA-256 of every file whose code the plan
runs or was built by: the pipeline's modules, the files of the functions its nodes come from,
and hamilflow's own planning modules. A reader hashes those files again (each file's bytes
once: a few hundred kilobytes, well under a millisecond) and uses the cache only if every one
is unchanged. A changed function changes its file, so the task rebuilds the plan, and the
fingerprint check says "recompile" as before; a pipeline whose functions have no file (defined
in ``exec`` or a notebook) is never cached.

Each task's entry (its :class:`~hamilflow.execution.plan.TaskSpec` and its nodes, which refer
to the user's functions by module and name) is pickled on its own, so a reader unpickles one
task, not 5,000. The folder is private: ``$HAMILFLOW_PLAN_CACHE``, else
``<temp dir>/hamilflow-plans-<uid>``, created with mode 0700; a folder that another user owns
or can write to is not used (its pickles could run anyone's code). It keeps the :data:`KEEP`
plans written last. ``HAMILFLOW_PLAN_CACHE=off`` turns the cache off.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import pickle
import stat
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

import cloudpickle

if TYPE_CHECKING:
    from hamilflow.execution.plan import Plan
    from hamilflow.graph import FunctionGraph
    from hamilflow.runtime.spec import PipelineSpec

CACHE_FORMAT = 2
_ENV = "HAMILFLOW_PLAN_CACHE"
KEEP = 64  # cached plans kept per folder, the most recently written; older code versions go
_TEMP_AGE = 3600.0  # seconds after which a writer's temp file is taken for abandoned
# hamilflow's modules that turn functions into a plan: a change to them may change the plan
_PLANNING_MODULES = (
    "hamilflow.frontend",
    "hamilflow.node",
    "hamilflow.blocks",
    "hamilflow.graph",
    "hamilflow.execution.grouping",
    "hamilflow.execution.plan",
)


def cache_dir() -> Path | None:
    """The private folder of cached plans, or None when off or not safely usable."""
    setting = os.environ.get(_ENV, "").strip()
    if setting.lower() in ("0", "off", "false", "no"):
        return None
    uid = os.getuid() if hasattr(os, "getuid") else None
    folder = Path(setting) if setting else Path(tempfile.gettempdir()) / f"hamilflow-plans-{uid}"
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = os.lstat(folder)
    except OSError:
        return None
    if not stat.S_ISDIR(info.st_mode) or info.st_mode & 0o022 or (uid is not None and info.st_uid != uid):
        return None
    return folder


def _key(spec: PipelineSpec) -> str:
    text = json.dumps([CACHE_FORMAT, sys.version, spec.to_dict()], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:40]


def _digest(path: str) -> str:
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest() if hasattr(hashlib, "file_digest") else _sha(fh)


def _sha(fh: Any) -> str:  # Python 3.10
    return hashlib.sha256(fh.read()).hexdigest()


def code_files(graph: FunctionGraph, modules: list[Any]) -> list[str] | None:
    """Every file whose code the plan runs or was built by; None if some function has no file."""
    files = {getattr(m, "__file__", None) for m in modules}
    files |= {getattr(sys.modules.get(name), "__file__", None) for name in _PLANNING_MODULES}
    seen: set[int] = set()
    for node in graph.nodes.values():
        if node.is_external_input:
            continue
        for fn in node.originating_functions or (node.callable,):
            if id(fn) in seen:
                continue
            seen.add(id(fn))
            code = getattr(fn, "__code__", None)
            if code is None or not os.path.isfile(code.co_filename):
                return None
            files.add(code.co_filename)
    if None in files:
        return None
    return sorted(files)


def write(spec: PipelineSpec, graph: FunctionGraph, plan: Plan, modules: list[Any]) -> Path | None:
    """Cache ``plan`` (already checked against ``spec``) for the tasks to come; best effort, None if not written."""
    folder = cache_dir()
    files = code_files(graph, modules) if folder is not None else None
    if folder is None or files is None:
        return None
    try:
        tasks = {t.name: _dumps((t, [graph.nodes[n] for n in t.nodes])) for t in plan.tasks}
        data = {
            "format": CACHE_FORMAT,
            "fingerprint": spec.fingerprint,
            "files": [(path, _digest(path)) for path in files],
            "value_paths": pickle.dumps(plan.value_paths),
            "producer": pickle.dumps(plan.producer),
            "item_policies": dict(plan.item_policies),
            "tasks": tasks,
        }
        blob = pickle.dumps(data, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:  # noqa: BLE001 - a node that does not pickle: this pipeline is simply not cached
        return None
    path = folder / f"{_key(spec)}.pkl"
    tmp = folder / f".{path.name}.{os.getpid()}.{uuid.uuid4().hex}.tmp"
    try:
        with open(tmp, "xb") as fh:
            fh.write(blob)
        os.replace(tmp, path)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        return None
    _prune(folder)
    return path


def _prune(folder: Path) -> None:
    """Keep the :data:`KEEP` most recent plans (a worker outlives many code versions) and no stale temp file."""
    with contextlib.suppress(OSError):
        now = time.time()
        plans = []
        for entry in os.scandir(folder):
            if entry.name.endswith(".pkl") and not entry.name.startswith("."):
                plans.append((entry.stat().st_mtime, entry.path))
            elif entry.name.endswith(".tmp") and now - entry.stat().st_mtime > _TEMP_AGE:
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)
        for _, path in sorted(plans)[:-KEEP]:
            with contextlib.suppress(OSError):
                os.unlink(path)


def _dumps(entry: tuple) -> bytes:
    """Pickle a task's entry: functions by module and name (the C pickler, fast); cloudpickle when some
    function cannot be found that way (a lambda, a closure that Hamilton's decorators made)."""
    try:
        return pickle.dumps(entry, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:  # noqa: BLE001 - pickle raises several types for what it cannot find by name
        return cloudpickle.dumps(entry, protocol=pickle.HIGHEST_PROTOCOL)


class CachedPlan:
    """One cached plan as read back: each task's spec and nodes unpickled only when asked for."""

    def __init__(self, data: dict[str, Any]) -> None:
        self._tasks: dict[str, bytes] = data["tasks"]
        self._value_paths_blob: bytes = data["value_paths"]
        self._producer_blob: bytes = data["producer"]
        self.item_policies: dict[str, float] = data["item_policies"]
        self._loaded: dict[str, tuple] = {}

    def task(self, name: str) -> tuple | None:
        """``(TaskSpec, [Node])`` of the task ``name``, or None if the plan has no such task."""
        if name not in self._loaded:
            blob = self._tasks.get(name)
            if blob is None:
                return None
            self._loaded[name] = pickle.loads(blob)
        return self._loaded[name]

    @functools.cached_property
    def value_paths(self) -> dict[str, tuple[str, ...]]:
        """The block path of every value, unpickled when first asked for."""
        return pickle.loads(self._value_paths_blob)

    @functools.cached_property
    def producer(self) -> dict[str, str]:
        """The task that computes each value, unpickled when first asked for."""
        return pickle.loads(self._producer_blob)


def read(spec: PipelineSpec) -> CachedPlan | None:
    """The cached plan of ``spec`` if there is one and every file it was built from is unchanged."""
    folder = cache_dir()
    if folder is None:
        return None
    try:
        with open(folder / f"{_key(spec)}.pkl", "rb") as fh:
            info = os.fstat(fh.fileno())
            if hasattr(os, "getuid") and info.st_uid != os.getuid():
                return None
            data = pickle.loads(fh.read())
        if data.get("format") != CACHE_FORMAT or data.get("fingerprint") != spec.fingerprint:
            return None
        for path, digest in data["files"]:
            if _digest(path) != digest:
                return None
    except Exception:  # noqa: BLE001 - missing, damaged or from another version: build the plan instead
        return None
    return CachedPlan(data)
