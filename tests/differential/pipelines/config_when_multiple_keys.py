"""config.when with several keys needs every one of them to match."""

from hamilton.function_modifiers import config

OUTPUTS = ["model_name"]
CONFIG = {"family": "tree", "size": "small"}


@config.when(family="tree", size="small")
def model_name__small_tree() -> str:
    return "stump"


@config.when(family="tree", size="large")
def model_name__large_tree() -> str:
    return "forest"


@config.when(family="linear")
def model_name__linear() -> str:
    return "ridge"
