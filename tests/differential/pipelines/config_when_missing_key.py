"""A config key that is absent compares equal to None in config.when, so when(key=None) is included."""

from hamilton.function_modifiers import config

OUTPUTS = ["backend", "label"]


@config.when(engine=None)
def backend__default() -> str:
    return "default"


@config.when(engine="gpu")
def backend__gpu() -> str:
    return "gpu"


@config.when_not(engine="gpu")
def label() -> str:
    return "not gpu"
