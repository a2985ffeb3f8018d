"""subdag loads a module with its own config, so config.when inside it picks a variant (decorators from hamilflow)."""

from hamilflow.function_modifiers import source, subdag, value
from tests.differential.subdags import statistics

OUTPUTS = ["range_stats", "deviation_stats"]
INPUTS = {"measurements": [2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]}
AIRFLOW = True


@subdag(statistics, inputs={"samples": source("measurements"), "unit": value(1.0)}, config={"spread_kind": "range"})
def range_stats(spread: float, scaled_mean: float) -> dict:
    return {"spread": spread, "mean": scaled_mean}


@subdag(statistics, inputs={"samples": source("measurements"), "unit": value(1.0)}, config={"spread_kind": "deviation"})
def deviation_stats(spread: float, scaled_mean: float) -> dict:
    return {"spread": spread, "mean": scaled_mean}
