"""config.when_in includes a function when the config value is one of a list (decorators from hamilflow)."""

from hamilflow.function_modifiers import config

OUTPUTS = ["shipping"]
INPUTS = {"weight": 2.0}
CONFIG = {"country": "fr"}


@config.when_in(country=["fr", "de", "it"])
def shipping__europe(weight: float) -> float:
    return 5.0 + weight


@config.when_not_in(country=["fr", "de", "it"])
def shipping__world(weight: float) -> float:
    return 20.0 + 3 * weight
