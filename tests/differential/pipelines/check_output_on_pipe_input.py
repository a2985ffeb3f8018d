"""check_output on a function decorated with pipe_input validates the function's final result."""

from hamilton.function_modifiers import check_output, pipe_input, step, value

OUTPUTS = ["share"]
INPUTS = {"count": 30.0}
AIRFLOW = True


def _halve(x: float) -> float:
    return x / 2


def _normalise(x: float, total: float) -> float:
    return x / total


@check_output(range=(0.0, 1.0), importance="fail")
@pipe_input(step(_halve), step(_normalise, total=value(100.0)))
def share(count: float) -> float:
    return count
