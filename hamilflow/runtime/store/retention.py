"""Retention: remove the artifacts of old runs and the temp files of killed writers (``hamilflow gc``).

A run is the folder ``[ns=<namespace>/]<dag>/<run>/`` of the store. Its *age* is the time since
its newest file was last modified: every task of a run writes its outputs there, so a run whose
newest file is older than the limit has had no task finish for that long. A run is collected only
when all of these hold:

* every one of its files (artifacts and temp files) is older than the limit;
* no temp file in it belongs to a writer that is still running on this machine;
* it is not in ``running`` (the runs the Airflow metadata database lists as queued or running,
  when the caller asks it: see :func:`airflow_active_runs`).

Without the Airflow check, a run whose tasks have all been silent for longer than the limit (a
task running for days without writing, a sensor waiting) looks old: choose a limit longer than
any run lasts, or let ``hamilflow gc`` ask Airflow. Just before a run is removed its folder is
listed again, and it is kept if anything in it changed meanwhile.

Temp files are judged as the store's own sweeps judge them (:mod:`.sweep`): in a collected run
they go with it; in a kept run, one whose writer is gone (a dead process of this machine, or
untouched for the store's ``temp_max_age`` when written elsewhere) is removed on its own.

Only this store's namespace is looked at: a store without a namespace skips the ``ns=...``
folders of other deployments. Names that are not encoded DAG and run ids are left alone, among
them every name with ``=`` in it (encoded ids never have one): the place for store-wide data
that is not a run's. Files directly in a DAG folder, and run folders without files, are left too.

Example:
    >>> from hamilflow.runtime.store import ArtifactStore
    >>> store = ArtifactStore("memory://doc-gc")
    >>> _ = store.put(store.ref("etl", "r1", "n"), 1)
    >>> report = collect_garbage(store, older_than=0, dry_run=True, now=float("inf"))
    >>> [(run.dag_id, run.run_id, run.files) for run in report.collected], report.dry_run
    ([('etl', 'r1', 1)], True)
    >>> store.exists(store.ref("etl", "r1", "n"))
    True
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import os
import re
import shutil
import time
import urllib.parse
from collections.abc import Collection, Iterator
from typing import Any

from hamilflow.errors import EnvironmentProblem, SettingError
from hamilflow.runtime.store.artifact import ArtifactStore
from hamilflow.runtime.store.errors import StoreError
from hamilflow.runtime.store.layout import _fit, _quote
from hamilflow.runtime.store.sweep import _live_writer_here, _mtime, _seconds, _writer_gone

__all__ = ["GcReport", "RunUsage", "airflow_active_runs", "collect_garbage"]

# an encoded DAG or run folder: percent-encoded text, or (too long) a readable prefix, "~" and a SHA-256
_ENCODED = re.compile(r"[A-Za-z0-9._%-]+(~[0-9a-f]{64})?")


@dataclasses.dataclass
class RunUsage:
    """One run's folder: its ids, what it holds, its newest file and what gc decided."""

    dag_id: str  # decoded; a name shortened in the store stays as stored (with its "~" and hash)
    run_id: str
    files: int
    bytes: int
    newest: float | None  # seconds since the epoch of its newest file; None if the store does not say
    decision: str  # "collected", or why it is kept: "young", "writing", "running", "changed"

    def as_dict(self) -> dict[str, Any]:
        newest = None if self.newest is None else _iso(self.newest)
        return {**dataclasses.asdict(self), "newest": newest}


@dataclasses.dataclass
class GcReport:
    """What one gc pass found and removed (or, in a dry run, would remove)."""

    store: str
    namespace: str
    older_than: float  # seconds
    cutoff: float  # seconds since the epoch: files modified before it are old
    dry_run: bool
    airflow_checked: bool
    collected: list[RunUsage] = dataclasses.field(default_factory=list)
    kept: list[RunUsage] = dataclasses.field(default_factory=list)
    temp_files: list[str] = dataclasses.field(default_factory=list)  # orphaned temps removed from kept runs
    temp_bytes: int = 0

    @property
    def freed_files(self) -> int:
        return sum(run.files for run in self.collected) + len(self.temp_files)

    @property
    def freed_bytes(self) -> int:
        return sum(run.bytes for run in self.collected) + self.temp_bytes

    def as_dict(self) -> dict[str, Any]:
        """Plain data for ``--json``: the figures, then every run collected and kept."""
        return {
            "store": self.store,
            "namespace": self.namespace,
            "older_than_seconds": self.older_than,
            "cutoff": _iso(self.cutoff),
            "dry_run": self.dry_run,
            "airflow_checked": self.airflow_checked,
            "freed": {"runs": len(self.collected), "files": self.freed_files, "bytes": self.freed_bytes},
            "collected": [run.as_dict() for run in self.collected],
            "kept": [run.as_dict() for run in self.kept],
            "temp_files": list(self.temp_files),
        }


@dataclasses.dataclass
class _Entry:
    path: str
    name: str
    size: int
    mtime: float | None


def collect_garbage(
    store: ArtifactStore,
    older_than: float | datetime.timedelta,
    *,
    dag_id: str | None = None,
    dry_run: bool = True,
    running: Collection[tuple[str, str]] = (),
    airflow_checked: bool = False,
    now: float | None = None,
) -> GcReport:
    """Remove (or with ``dry_run``, only find) old runs and orphaned temp files of ``store``'s namespace.

    ``older_than`` is in seconds (or a timedelta); ``dag_id`` restricts gc to one DAG; ``running``
    holds ``(dag_id, run_id)`` pairs that are kept whatever their age (from
    :func:`airflow_active_runs`; ``airflow_checked`` only says so in the report); ``now`` is the
    time ages are measured from (default: the clock). Nothing is removed when ``dry_run`` is true.

    Example:
        >>> from hamilflow.runtime.store import ArtifactStore
        >>> report = collect_garbage(ArtifactStore("memory://doc-gc-empty"), older_than=86400)
        >>> report.collected, report.freed_bytes
        ([], 0)
    """
    limit = _seconds(older_than)
    if limit < 0:
        raise SettingError(f"older_than must not be negative, got {limit} seconds")
    now = time.time() if now is None else now
    report = GcReport(store.url, store.namespace, limit, now - limit, dry_run, airflow_checked)
    emptied: set[str] = set()  # DAG folders that lost a run
    active = {(_fit(_quote(dag, "dag_id")), _fit(_quote(run, "run_id"))) for dag, run in running}
    for dag_name, run_name, run_path in _runs(store, dag_id):
        entries = list(_entries(store, run_path))
        if not entries:
            continue
        usage = _usage(dag_name, run_name, entries)
        usage.decision = _decide(entries, (dag_name, run_name) in active, report.cutoff)
        if usage.decision == "collected" and not dry_run:
            # listed again just before: a task that wrote since the first listing keeps its run
            again = list(_entries(store, run_path))
            if [(e.name, e.size, e.mtime) for e in again] != [(e.name, e.size, e.mtime) for e in entries]:
                usage = _usage(dag_name, run_name, again)
                usage.decision = "changed"
            else:
                _remove_tree(store, run_path)
                emptied.add(dag_name)
        if usage.decision == "collected":
            report.collected.append(usage)
            continue
        report.kept.append(usage)
        for entry in entries:  # a kept run loses only the temp files whose writers are gone
            if _is_temp(entry.name) and _orphaned(store, entry, now):
                if dry_run or _remove_file(store, entry.path):
                    report.temp_files.append(entry.path)
                    report.temp_bytes += entry.size
    _remove_empty_dag_folders(store, emptied)
    return report


def airflow_active_runs(dag_id: str | None = None) -> set[tuple[str, str]]:
    """``(dag_id, run_id)`` of every DAG run the Airflow metadata database lists as queued or running.

    Uses this environment's Airflow configuration (``AIRFLOW_HOME``, ``AIRFLOW__DATABASE__...``),
    as the ``airflow`` command does; raises :class:`~hamilflow.errors.EnvironmentProblem` when
    Airflow is not installed or its database cannot be read.
    """
    try:
        from airflow.models.dagrun import DagRun
        from airflow.utils.session import create_session
        from airflow.utils.state import DagRunState
    except ImportError as error:
        raise EnvironmentProblem(
            f"cannot ask Airflow which runs are running: {error}. Install hamilflow[airflow] where gc runs, "
            "or pass --no-airflow to rely on the age of the runs' files alone."
        ) from error
    try:
        with create_session() as session:
            query = session.query(DagRun.dag_id, DagRun.run_id).filter(
                DagRun.state.in_((DagRunState.QUEUED, DagRunState.RUNNING))
            )
            if dag_id is not None:
                query = query.filter(DagRun.dag_id == dag_id)
            return {(str(dag), str(run)) for dag, run in query}
    except Exception as error:  # SQLAlchemy's errors: no database, no table, no connection
        raise EnvironmentProblem(
            f"cannot read the Airflow metadata database to see which runs are running "
            f"({type(error).__name__}: {str(error).splitlines()[0][:300]}). Check AIRFLOW_HOME and "
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN where gc runs, or pass --no-airflow to rely on the age of "
            "the runs' files alone."
        ) from error


# ----------------------------------------------------------------------------- walking the store
def _runs(store: ArtifactStore, dag_id: str | None) -> Iterator[tuple[str, str, str]]:
    """``(dag folder, run folder, run path)`` of every run folder in the store's namespace."""
    base = store._path()
    wanted = None if dag_id is None else _fit(_quote(dag_id, "dag_id"))
    for dag_name, dag_path in _folders(store, base):
        if (wanted is not None and dag_name != wanted) or not _ENCODED.fullmatch(dag_name):
            continue  # another DAG, another deployment's "ns=..." folder, or not hamilflow's
        for run_name, run_path in _folders(store, dag_path):
            if _ENCODED.fullmatch(run_name):
                yield dag_name, run_name, run_path


def _folders(store: ArtifactStore, path: str) -> list[tuple[str, str]]:
    """``(name, path)`` of the folders directly in ``path``, sorted; none if it does not exist."""
    if store._fs is None:
        try:
            with os.scandir(path) as entries:
                found = [(e.name, e.path) for e in entries if e.is_dir(follow_symlinks=False)]
        except (FileNotFoundError, NotADirectoryError):
            return []
        return sorted(found)
    try:
        infos = store._fs.ls(path, detail=True, refresh=True)
    except FileNotFoundError:
        return []
    folders = []
    for info in infos:
        if info.get("type") == "directory":
            full = info["name"].rstrip("/")
            folders.append((full.rsplit("/", 1)[-1], full))
    return sorted(folders)


def _entries(store: ArtifactStore, run_path: str) -> Iterator[_Entry]:
    """Every file under one run's folder, with its size and modification time, sorted by path."""
    if store._fs is None:
        found = []
        for directory, _, names in os.walk(run_path):
            for name in names:
                path = os.path.join(directory, name)
                with contextlib.suppress(FileNotFoundError):  # renamed into place or removed meanwhile
                    stat = os.lstat(path)
                    found.append(_Entry(path, name, stat.st_size, stat.st_mtime))
        yield from sorted(found, key=lambda e: e.path)
        return
    fs = store._fs
    with contextlib.suppress(AttributeError):
        fs.invalidate_cache(run_path)  # s3fs and friends cache listings: the second look must be fresh
    if not fs.exists(run_path):
        return
    for path, info in sorted(fs.find(run_path, detail=True).items()):
        path = path.rstrip("/")
        yield _Entry(path, path.rsplit("/", 1)[-1], int(info.get("size") or 0), _mtime(info))


def _usage(dag_name: str, run_name: str, entries: list[_Entry]) -> RunUsage:
    times = [e.mtime for e in entries if e.mtime is not None]
    return RunUsage(
        _decoded(dag_name),
        _decoded(run_name),
        len(entries),
        sum(e.size for e in entries),
        max(times) if times else None,
        "",
    )


def _decide(entries: list[_Entry], running: bool, cutoff: float) -> str:
    if running:
        return "running"
    if any(_is_temp(e.name) and _live_writer_here(e.name) for e in entries):
        return "writing"
    if any(e.mtime is None or e.mtime >= cutoff for e in entries):  # a store that does not say: young
        return "young"
    return "collected"


def _is_temp(name: str) -> bool:
    return name.startswith(".") and name.endswith(".tmp")


def _orphaned(store: ArtifactStore, entry: _Entry, now: float) -> bool:
    return _writer_gone(entry.name, lambda: entry.mtime, now, store.temp_max_age)


def _decoded(name: str) -> str:
    return name if "~" in name else urllib.parse.unquote(name)


# ----------------------------------------------------------------------------- removing
def _remove_tree(store: ArtifactStore, path: str) -> None:
    if store._fs is None:
        # errors are judged by what is left: a file another process removed meanwhile (a sweep) is none
        shutil.rmtree(path, ignore_errors=True)
        if os.path.lexists(path):
            raise StoreError(
                f"gc could not remove all of {path} (permissions?): check who owns it, then remove it or run gc "
                "again as a user that may write to the store"
            )
    else:
        with contextlib.suppress(FileNotFoundError):
            store._fs.rm(path, recursive=True)


def _remove_file(store: ArtifactStore, path: str) -> bool:
    try:
        if store._fs is None:
            os.unlink(path)
        else:
            store._fs.rm_file(path)
    except FileNotFoundError:
        return False
    return True


def _remove_empty_dag_folders(store: ArtifactStore, dags: set[str]) -> None:
    """A local DAG folder that gc left empty goes too; object stores have no folders to leave behind."""
    if store._fs is not None:
        return
    for dag_name in dags:
        with contextlib.suppress(OSError):  # not empty: a run kept, or one written meanwhile
            os.rmdir(store._path(dag_name))


def _iso(seconds: float) -> str:
    if seconds in (float("inf"), float("-inf")):
        return str(seconds)
    return datetime.datetime.fromtimestamp(seconds, datetime.timezone.utc).isoformat(timespec="seconds")
