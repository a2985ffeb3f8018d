"""Temp files of killed writers: whose they are (machine and pid in the name) and when they may go.

A writer killed mid-write leaves its temp file behind, never a torn artifact. A temp file of
this machine goes as soon as its writer's process is gone; one of another machine (or of an
older hamilflow) once untouched for ``temp_max_age`` seconds. A live writer's file stays.
"""

from __future__ import annotations

import contextlib
import datetime
import functools
import hashlib
import os
import re
import socket
import time
from collections.abc import Callable
from typing import Any

from hamilflow.errors import SettingError
from hamilflow.runtime.store.layout import _quote

# ".<leaf>.<machine>.<pid>.<uuid>.tmp"; older hamilflow wrote ".<leaf>.<pid>.<uuid>.tmp"
_TEMP = re.compile(r"\.(?P<machine>[0-9a-f]{12})\.(?P<pid>[0-9]{1,10})\.[0-9a-f]{32}\.tmp\Z")
DEFAULT_TEMP_MAX_AGE = 3600.0
_SWEEP_EVERY = 60.0  # seconds between two sweeps of one folder by the writes of one store


@functools.lru_cache(maxsize=1)
def _machine() -> str:
    """This machine and pid namespace, as 12 hex digits: whose pids a sweep may check."""
    parts = [socket.gethostname()]
    with contextlib.suppress(OSError):
        with open("/proc/sys/kernel/random/boot_id") as fh:
            parts.append(fh.read().strip())
    with contextlib.suppress(OSError):
        parts.append(str(os.stat("/proc/self/ns/pid").st_ino))  # containers on one host differ here
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:12]


def _pid_alive(pid: int) -> bool:
    """Whether a process of this machine runs ``pid``; when unsure, yes (a live writer's file must stay)."""
    if os.name != "posix" or pid <= 0:
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (OverflowError, ValueError):
        return False  # no such pid can exist
    except OSError:  # EPERM: it exists, as another user
        return True
    try:  # a killed child not yet reaped by its parent is a zombie: dead, it writes nothing
        with open(f"/proc/{pid}/stat", "rb") as fh:
            return fh.read().rsplit(b")", 1)[1].split()[0] not in (b"Z", b"X")
    except (OSError, IndexError):
        return True


def _seconds(value: float | datetime.timedelta) -> float:
    return value.total_seconds() if isinstance(value, datetime.timedelta) else float(value)


def _mtime(info: dict[str, Any]) -> float | None:
    """Last modification of an fsspec entry, in seconds since the epoch, if the filesystem says."""
    for key in ("mtime", "LastModified", "last_modified", "updated", "modified", "created"):
        value = info.get(key)
        if isinstance(value, datetime.datetime):
            return value.timestamp()
        if isinstance(value, (int, float)):
            return float(value)
    return None


def _writer_gone(name: str, mtime: Callable[[], float | None], now: float, older_than: float) -> bool:
    """Whether the writer of the temp file ``name`` is gone: its process, if it ran on this machine,
    else (another machine, an older hamilflow) it left the file untouched for ``older_than`` seconds.
    ``mtime`` is asked only in the second case (it may raise FileNotFoundError: the file was renamed)."""
    match = _TEMP.search(name)
    if match and match["machine"] == _machine():
        return not _pid_alive(int(match["pid"]))
    when = mtime()
    return when is not None and now - when >= older_than


def _live_writer_here(name: str) -> bool:
    """Whether ``name`` is the temp file of a process of this machine that is still running."""
    match = _TEMP.search(name)
    return bool(match and match["machine"] == _machine() and _pid_alive(int(match["pid"])))


class _TempSweeping:
    """The sweeping half of :class:`~hamilflow.runtime.store.ArtifactStore` (it walks the store's own files)."""

    _fs: Any
    _swept: dict[str, float]
    temp_max_age: float

    def sweep_temp(
        self,
        older_than: float | datetime.timedelta | None = None,
        *,
        dag_id: str | None = None,
        run_id: str | None = None,
    ) -> list[str]:
        """Remove temp files left by killed writers, in this namespace (or one DAG, or one run).

        A temp file of this machine goes as soon as its writer's process is gone; one of
        another machine (or of an older hamilflow) once untouched for ``older_than``
        seconds (default ``temp_max_age``). A live writer's temp file is never removed.
        Returns the paths removed.

        Example:
            >>> from hamilflow.runtime.store import ArtifactStore
            >>> ArtifactStore("memory://doc-sweep").sweep_temp(older_than=600)
            []
        """
        if run_id is not None and dag_id is None:
            raise SettingError("sweep_temp(run_id=...) needs the run's dag_id too")
        if dag_id is None:
            base = self._path()
        elif run_id is None:
            base = self._path(_quote(dag_id, "dag_id"))
        else:
            base = self._run_path(dag_id, run_id)
        age = self.temp_max_age if older_than is None else _seconds(older_than)
        now = time.time()
        return [
            path
            for names, path, info in self._files(base)
            if names[-1].startswith(".") and names[-1].endswith(".tmp") and self._sweep_file(path, info, now, age)
        ]

    def _sweep_file(self, path: str, info: dict[str, Any] | None, now: float, older_than: float) -> bool:
        """Remove one temp file if its writer is gone; True if removed."""
        name = path.rsplit("/" if self._fs is not None else os.sep, 1)[-1]
        try:
            abandoned = _writer_gone(
                name,
                lambda: os.stat(path).st_mtime if self._fs is None else _mtime(info or self._fs.info(path)),
                now,
                older_than,
            )
        except FileNotFoundError:
            return False  # renamed into place meanwhile
        if not abandoned:
            return False
        try:
            if self._fs is None:
                os.unlink(path)
            else:
                self._fs.rm_file(path)
        except FileNotFoundError:
            return False
        return True

    def _sweep_now_and_then(self, directory: str) -> None:
        """After a write: sweep its folder, at most once per ``_SWEEP_EVERY`` seconds; never fails the write."""
        now = time.monotonic()
        last = self._swept.get(directory)
        if last is not None and now - last < _SWEEP_EVERY:
            return
        if len(self._swept) > 10_000:
            self._swept.clear()
        self._swept[directory] = now
        with contextlib.suppress(Exception):  # a sweep is housekeeping: the artifact is already written
            wall = time.time()
            if self._fs is None:
                with os.scandir(directory) as entries:
                    temps = [e.path for e in entries if e.name.startswith(".") and e.name.endswith(".tmp")]
                for path in temps:
                    self._sweep_file(path, None, wall, self.temp_max_age)
            else:
                for info in self._fs.ls(directory, detail=True):
                    name = info["name"].rstrip("/").rsplit("/", 1)[-1]
                    if name.startswith(".") and name.endswith(".tmp"):
                        self._sweep_file(info["name"].rstrip("/"), info, wall, self.temp_max_age)
