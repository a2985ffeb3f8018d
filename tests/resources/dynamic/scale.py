"""A cheap block for counting the runner's bookkeeping at tens of thousands of items."""

from hamilflow.htypes import Collect, Parallelizable


def offset() -> int:
    return 7


def item(m: int) -> Parallelizable[int]:
    return range(m)


def shifted(item: int, offset: int) -> int:
    return item + offset


def doubled(shifted: int) -> int:
    return 2 * shifted


def total(doubled: Collect[int]) -> int:
    return sum(doubled)
