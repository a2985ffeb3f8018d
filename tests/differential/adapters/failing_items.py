"""A block whose items 0, 3 and 6 (of 7) raise BadItem: an importable module, for Dask and Ray workers.

Dask pickles what it ships with plain pickle first, so a class must be importable by the
workers (a module made at run time is not).
"""

from hamilton.htypes import Collect, Parallelizable


class BadItem(Exception):
    pass


def item(n: int) -> Parallelizable[int]:
    yield from range(n)


def inverse(item: int) -> float:
    if item % 3 == 0:
        raise BadItem(f"item {item}")
    return 1 / item


def scaled(inverse: float) -> float:
    return inverse * 6


def gathered(scaled: Collect[float]) -> list:
    return sorted(scaled, key=lambda v: (v is None, v))
