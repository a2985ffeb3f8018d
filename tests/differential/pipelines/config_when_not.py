"""config.when_not includes a function unless the config has the value named."""

from hamilton.function_modifiers import config

OUTPUTS = ["price"]
INPUTS = {"net": 100.0}
CONFIG = {"region": "us"}


@config.when_not(region="eu")
def price__untaxed(net: float) -> float:
    return net


@config.when(region="eu")
def price__taxed(net: float) -> float:
    return net * 1.2
