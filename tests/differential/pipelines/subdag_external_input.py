"""A subdag input that is not wired stays an external input of the outer pipeline, outside the namespace."""

from hamilton.function_modifiers import source, subdag

from tests.differential.subdags import statistics

OUTPUTS = ["summary"]
INPUTS = {"batch": [1.0, 2.0, 6.0], "unit": 10.0}


@subdag(statistics, inputs={"samples": source("batch")}, config={"spread_kind": "range"}, external_inputs=["unit"])
def summary(scaled_mean: float, spread: float) -> str:
    return f"{scaled_mean:.1f}+/-{spread:.1f}"
