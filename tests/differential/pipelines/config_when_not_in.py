"""config.when_not_in excludes a function when the config value is one of a list."""

from hamilton.function_modifiers import config

OUTPUTS = ["discount"]
INPUTS = {"amount": 50}
CONFIG = {"tier": "gold"}


@config.when_not_in(tier=["basic", "free"])
def discount__member(amount: int) -> int:
    return amount // 10


@config.when_in(tier=["basic", "free"])
def discount__none(amount: int) -> int:
    return 0
