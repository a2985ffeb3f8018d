"""A function under hamilton_exclude is not a node, so requesting it fails."""

from hamilton.function_modifiers import hamilton_exclude

OUTPUTS = ["helper"]
ERROR = "ValueError"
SAME_ERROR = False


@hamilton_exclude
def helper() -> int:
    return 1


def used() -> int:
    return helper()
