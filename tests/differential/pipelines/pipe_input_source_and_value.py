"""pipe_input steps with arguments from source() (another node) and value() (a literal)."""

from hamilton.function_modifiers import pipe_input, source, step, value

OUTPUTS = ["adjusted"]
INPUTS = {"reading": 20.0, "calibration": 1.5}


def _scale(x: float, factor: float) -> float:
    return x * factor


def _offset(x: float, delta: float) -> float:
    return x + delta


@pipe_input(step(_scale, factor=source("calibration")), step(_offset, delta=value(-3.0)))
def adjusted(reading: float) -> float:
    return reading
