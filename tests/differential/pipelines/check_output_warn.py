"""check_output with importance="warn": a failed check logs a warning and the value passes through."""

from hamilton.function_modifiers import check_output

OUTPUTS = ["ratio"]
INPUTS = {"part": 15, "whole": 10}
AIRFLOW = True


@check_output(range=(0.0, 1.0), importance="warn")
def ratio(part: int, whole: int) -> float:
    return part / whole
