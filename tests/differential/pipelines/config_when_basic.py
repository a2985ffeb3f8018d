"""config.when picks one of two implementations of a node by a config value."""

from hamilton.function_modifiers import config

OUTPUTS = ["score"]
INPUTS = {"x": 3}
CONFIG = {"mode": "fast"}
AIRFLOW = True


def base(x: int) -> int:
    return x + 1


@config.when(mode="fast")
def score__fast(base: int) -> int:
    return base * 10


@config.when(mode="slow")
def score__slow(base: int) -> int:
    return base * 100
