"""A block whose item ``fail_at`` raises: the run must stop promptly with the user's error.

``work`` records ``started`` and ``finished`` lines (see :mod:`.calls`), so a test can
count how much work ran before the failure stopped the run.
"""

import time

from hamilflow.htypes import Collect, Parallelizable
from tests.resources.dynamic.calls import record


class ItemFailed(Exception):
    """The user's own exception type; it must reach the caller unchanged."""


def item(n_items: int) -> Parallelizable[int]:
    return range(n_items)


def work(item: int, fail_at: int, delay: float, log_path: str) -> int:
    record(log_path, "started")
    if item == fail_at:
        raise ItemFailed(f"item {item} is broken")
    time.sleep(delay)
    record(log_path, "finished")
    return item


def total(work: Collect[int]) -> int:
    return sum(work)


class ItemRefused(Exception):
    """An exception whose ``__init__`` takes two arguments: pickle cannot re-create it from its message."""

    def __init__(self, item: int, reason: str) -> None:
        super().__init__(f"item {item} refused: {reason}")
        self.item = item


def picky_work(item: int, fail_at: int) -> int:
    if item == fail_at:
        raise ItemRefused(item, "too picky")
    return item


def picky_total(picky_work: Collect[int]) -> int:
    return sum(picky_work)
