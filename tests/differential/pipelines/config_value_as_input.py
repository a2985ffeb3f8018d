"""A config value also feeds functions that take a parameter of the same name."""

from hamilton.function_modifiers import config

OUTPUTS = ["scaled", "unit"]
INPUTS = {"value": 7}
CONFIG = {"factor": 3, "system": "metric"}
AIRFLOW = True


def scaled(value: int, factor: int) -> int:
    return value * factor


@config.when(system="metric")
def unit__metric(system: str) -> str:
    return f"{system}: kg"


@config.when(system="imperial")
def unit__imperial(system: str) -> str:
    return f"{system}: lb"
