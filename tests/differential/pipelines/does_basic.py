"""does replaces a function's body with a shared helper that takes its parameters as keyword arguments."""

from hamilton.function_modifiers import does

OUTPUTS = ["total_cost"]
INPUTS = {"rent": 1200, "food": 400, "transport": 90}
AIRFLOW = True


def _sum_all(**values: int) -> int:
    return sum(values.values())


@does(_sum_all)
def total_cost(rent: int, food: int, transport: int) -> int:
    pass
