"""config.when picks the implementation of a node inside a Parallelizable block."""

from hamilton.function_modifiers import config
from hamilton.htypes import Collect, Parallelizable

OUTPUTS = ["rounded_all"]
INPUTS = {"values": [1.25, 2.5, 3.75]}
CONFIG = {"rounding": "down"}
AIRFLOW = True


def value_item(values: list) -> Parallelizable[float]:
    yield from values


@config.when(rounding="down")
def rounded__down(value_item: float) -> int:
    return int(value_item // 1)


@config.when(rounding="up")
def rounded__up(value_item: float) -> int:
    return -int(-value_item // 1)


def rounded_all(rounded: Collect[int]) -> list:
    return list(rounded)
