"""mutate with apply_to: one transform applied to two functions with different arguments."""

from hamilton.function_modifiers import apply_to, mutate, source, value

OUTPUTS = ["prices", "costs"]
INPUTS = {"markup": 5}
AIRFLOW = True


def prices() -> list:
    return [10, 20]


def costs() -> list:
    return [1, 2]


@mutate(apply_to(prices, amount=value(100)), apply_to(costs, amount=source("markup")))
def _add(values: list, amount: int) -> list:
    return [v + amount for v in values]
