"""A node inside a block that reads the block's own collector: each item centred on the block's mean."""

from hamilflow.htypes import Collect, Parallelizable


def item(n: int) -> Parallelizable[int]:
    yield from range(n)


def square(item: int) -> float:
    return float(item * item)


def mean(square: Collect[float]) -> float:
    values = list(square)
    return sum(values) / len(values) if values else 0.0


def centred(square: float, mean: float) -> float:
    return square - mean


def spread(centred: Collect[float]) -> float:
    values = list(centred)
    return max(values) - min(values) if values else 0.0
