"""One function with two Collect[] parameters from the same block (Hamilton allows one Collect per function)."""

from hamilton.function_modifiers import tag
from hamilton.htypes import Collect, Parallelizable

OUTPUTS = ["pairs"]
INPUTS = {"numbers": [2, 3]}
EXPECTED = {"pairs": [(4, 8), (9, 27)]}


def number(numbers: list) -> Parallelizable[int]:
    yield from numbers


@tag(power="2")
def square(number: int) -> int:
    return number**2


def cube(number: int) -> int:
    return number**3


def pairs(square: Collect[int], cube: Collect[int]) -> list:
    return list(zip(square, cube))
