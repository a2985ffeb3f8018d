"""A block whose item ``fail_at`` raises: the run must fail, not drop the item."""

from hamilflow.htypes import Collect, Parallelizable


class ItemFailed(Exception):
    """The user's own exception."""


def item(n_items: int = 4) -> Parallelizable[int]:
    yield from range(n_items)


def work(item: int, fail_at: int = 2) -> int:
    if item == fail_at:
        raise ItemFailed(f"item {item} is broken")
    return item * 10


def total(work: Collect[int]) -> int:
    return sum(work)


def report(total: int) -> str:
    return f"total={total}"
