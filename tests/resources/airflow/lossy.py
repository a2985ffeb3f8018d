"""A block that may lose items (``@tag(min_success_ratio=...)``), with an inner block that has no policy.

Region 1 loses store (1, 1), which drops the whole region (its inner block has no policy);
region 2's store listing raises, which drops region 2 before its block opens. Every third
row of ``rows`` fails and is left out of ``row_total``.
"""

from hamilton.function_modifiers import tag

from hamilflow.htypes import Collect, Parallelizable


@tag(min_success_ratio="0")
def region(regions: int = 4) -> Parallelizable[int]:
    yield from range(regions)


def store(region: int) -> Parallelizable[tuple]:
    if region == 2:
        raise RuntimeError("no stores listed for region 2")
    for s in range(3):
        yield (region, s)


def sales(store: tuple) -> int:
    region, s = store
    if (region, s) == (1, 1):
        raise KeyError("store 1/1 closed")
    return 10 * region + s


def region_sales(sales: Collect[int]) -> int:
    return sum(sales)


def all_sales(region_sales: Collect[int]) -> list:
    return region_sales


@tag(min_success_ratio="0.5")
def row(n_rows: int = 10) -> Parallelizable[int]:
    yield from range(n_rows)


def inverse(row: int) -> float:
    if row % 3 == 0:
        raise ValueError(f"row {row} is a multiple of three")
    return 1 / row


def row_total(inverse: Collect[float]) -> float:
    return sum(inverse)
