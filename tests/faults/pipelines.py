"""Pipelines that misbehave on purpose, importable by worker processes (tests/faults)."""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import threading
import time
from pathlib import Path

from hamilflow.function_modifiers import tag
from hamilflow.htypes import Collect, Parallelizable


def _mark(marks: str) -> None:
    """Leave this process's id in ``marks``: the test checks it is gone afterwards."""
    if marks:
        Path(marks, str(os.getpid())).touch()


def item(n: int) -> Parallelizable[int]:
    yield from range(n)


@tag(timeout="1s")
def stuck(item: int, stuck_at: int, marks: str) -> int:
    """Never returns for item ``stuck_at`` (an hour is forever for a test)."""
    if item == stuck_at:
        _mark(marks)
        time.sleep(3600)
    return item


def stuck_total(stuck: Collect[int]) -> int:
    return sum(stuck)


def untagged(item: int, stuck_at: int, marks: str) -> int:
    """As ``stuck``, without a tag: the executor's node_timeout applies."""
    if item == stuck_at:
        _mark(marks)
        time.sleep(3600)
    return item


def untagged_total(untagged: Collect[int]) -> int:
    return sum(untagged)


@tag(timeout="1m")
def patient(item: int) -> int:
    """A tag longer than the executor's node_timeout: the tag wins for this node."""
    time.sleep(0.05)
    return item


def patient_total(patient: Collect[int]) -> int:
    return sum(patient)


def fate(item: int, doom_at: int, how: str, marks: str) -> object:
    """Item ``doom_at`` ends its worker in the way ``how`` names; the others return themselves."""
    _mark(marks)
    if item != doom_at:
        return item
    if how == "os_exit":
        os._exit(7)
    if how == "sigkill":
        os.kill(os.getpid(), signal.SIGKILL)
    if how == "segfault":
        ctypes.string_at(0)  # reads address 0: SIGSEGV
    if how == "sys_exit":
        sys.exit(4)
    if how == "unpicklable":
        return threading.Lock()
    raise ValueError(how)


def fates(fate: Collect[object]) -> int:
    return len(fate)


def lock_items(n: int, doom_at: int) -> Parallelizable[object]:
    """Item ``doom_at`` is a lock, which cannot be sent to a worker process."""
    for i in range(n):
        yield threading.Lock() if i == doom_at else i


def carried(lock_items: object) -> str:
    return type(lock_items).__name__


def carried_all(carried: Collect[str]) -> int:
    return len(carried)


def where_am_i(item: int, marks: str) -> int:
    """Records the process and how many children its parent has now (the pool's workers)."""
    time.sleep(0.2)  # long enough for every worker the pool would start to be alive at once
    parent = os.getppid()
    children = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == parent and fields[0] != "Z":
            children += 1
    Path(marks, f"{os.getpid()}-{children}").touch()
    return item


def where_total(where_am_i: Collect[int]) -> int:
    return sum(where_am_i)
