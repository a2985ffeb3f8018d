"""A Parallelizable/Collect block without decorators: the baseline for dynamic execution."""

from hamilton.htypes import Collect, Parallelizable

OUTPUTS = ["total"]
INPUTS = {"numbers": [1, 2, 3, 4]}
AIRFLOW = True


def number(numbers: list) -> Parallelizable[int]:
    yield from numbers


def squared(number: int) -> int:
    return number * number


def total(squared: Collect[int]) -> int:
    return sum(squared)
