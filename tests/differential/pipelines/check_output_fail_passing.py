"""check_output with importance="fail" on a value that passes: the pipeline runs as without the check."""

from hamilton.function_modifiers import check_output

OUTPUTS = ["probability"]
INPUTS = {"hits": 3, "trials": 12}
AIRFLOW = True


@check_output(range=(0.0, 1.0), data_type=float, importance="fail")
def probability(hits: int, trials: int) -> float:
    return hits / trials
