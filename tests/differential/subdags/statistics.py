"""A small reusable flow: the mean and spread of ``samples``, scaled by ``unit``."""

from hamilton.function_modifiers import config


def count(samples: list) -> int:
    return len(samples)


def mean(samples: list, count: int) -> float:
    return sum(samples) / count


@config.when(spread_kind="range")
def spread__range(samples: list) -> float:
    return float(max(samples) - min(samples))


@config.when(spread_kind="deviation")
def spread__deviation(samples: list, mean: float, count: int) -> float:
    return (sum((s - mean) ** 2 for s in samples) / count) ** 0.5


def scaled_mean(mean: float, unit: float) -> float:
    return mean * unit
