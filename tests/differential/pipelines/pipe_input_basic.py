"""pipe_input runs a chain of step() transforms on a function's first input before the function."""

from hamilton.function_modifiers import pipe_input, step, value

OUTPUTS = ["result"]
INPUTS = {"start": 2}
AIRFLOW = True


def _add(x: int, amount: int) -> int:
    return x + amount


def _times(x: int, factor: int) -> int:
    return x * factor


@pipe_input(step(_add, amount=value(3)), step(_times, factor=value(10)))
def result(start: int) -> int:
    return start - 1
