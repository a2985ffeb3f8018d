"""Two functions each collect a different node of the same block (Hamilton 1.90 fails: a key missing from its cache)."""

from hamilton.function_modifiers import tag
from hamilton.htypes import Collect, Parallelizable

OUTPUTS = ["square_sum", "cube_list"]
INPUTS = {"numbers": [1, 2, 3]}
EXPECTED = {"square_sum": 14, "cube_list": [1, 8, 27]}


def number(numbers: list) -> Parallelizable[int]:
    yield from numbers


@tag(power="2")
def square(number: int) -> int:
    return number**2


@tag(power="3")
def cube(number: int) -> int:
    return number**3


def square_sum(square: Collect[int]) -> int:
    return sum(square)


def cube_list(cube: Collect[int]) -> list:
    return list(cube)
