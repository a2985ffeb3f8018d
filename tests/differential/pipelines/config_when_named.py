"""config.when(name=...) gives the node its name explicitly instead of stripping a suffix."""

from hamilton.function_modifiers import config

OUTPUTS = ["rate"]
CONFIG = {"plan": "annual"}


@config.when(name="rate", plan="annual")
def annual_rate() -> float:
    return 0.05


@config.when(name="rate", plan="monthly")
def monthly_rate() -> float:
    return 0.004
