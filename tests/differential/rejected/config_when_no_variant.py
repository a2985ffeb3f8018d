"""No config.when variant matches the config, so the requested node does not exist."""

from hamilton.function_modifiers import config

OUTPUTS = ["score"]
CONFIG = {"mode": "other"}
ERROR = "ValueError"
SAME_ERROR = False


@config.when(mode="fast")
def score__fast() -> int:
    return 1


@config.when(mode="slow")
def score__slow() -> int:
    return 2
