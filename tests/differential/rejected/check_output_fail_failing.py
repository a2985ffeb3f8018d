"""check_output with importance="fail" stops the run when the value is out of range."""

from hamilton.function_modifiers import check_output

OUTPUTS = ["ratio"]
INPUTS = {"part": 15, "whole": 10}
ERROR = "DataValidationError"
SAME_ERROR = True


@check_output(range=(0.0, 1.0), importance="fail")
def ratio(part: int, whole: int) -> float:
    return part / whole
