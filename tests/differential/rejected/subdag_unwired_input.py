"""A subdag input neither wired with inputs= nor declared in external_inputs is a missing input."""

from hamilton.function_modifiers import subdag

OUTPUTS = ["total"]
INPUTS = {"numbers": [1, 2]}
ERROR = "ValueError"
SAME_ERROR = False


def _summed(values: list) -> int:
    return sum(values)


@subdag(_summed)
def total(_summed: int) -> int:
    return _summed
