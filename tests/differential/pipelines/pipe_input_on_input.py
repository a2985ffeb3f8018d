"""pipe_input(on_input=...) runs the chain on a parameter other than the first."""

from hamilton.function_modifiers import pipe_input, source, step

OUTPUTS = ["combined"]
INPUTS = {"left": 1, "right": 2, "offset": 100}


def _shift(x: int, by: int) -> int:
    return x + by


@pipe_input(step(_shift, by=source("offset")), on_input="right")
def combined(left: int, right: int) -> list:
    return [left, right]
