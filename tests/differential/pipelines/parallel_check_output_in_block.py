"""check_output on a node inside a Parallelizable block validates every item's value."""

from hamilton.function_modifiers import check_output
from hamilton.htypes import Collect, Parallelizable

OUTPUTS = ["fractions"]
INPUTS = {"pairs": [[1, 4], [3, 4], [2, 2]]}


def pair(pairs: list) -> Parallelizable[list]:
    yield from pairs


@check_output(range=(0.0, 1.0), importance="fail")
def fraction(pair: list) -> float:
    return pair[0] / pair[1]


def fractions(fraction: Collect[float]) -> list:
    return list(fraction)
