"""parameterize with group(): a list parameter assembled from several upstream nodes."""

from hamilton.function_modifiers import group, parameterize, source, value

OUTPUTS = ["sum_ab", "sum_constants"]
INPUTS = {"a": 1, "b": 2}


@parameterize(
    sum_ab={"parts": group(source("a"), source("b"))},
    sum_constants={"parts": group(value(10), value(20), value(30))},
)
def summed(parts: list[int]) -> int:
    return sum(parts)
