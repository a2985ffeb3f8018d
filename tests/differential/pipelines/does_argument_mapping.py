"""does with an argument mapping: the node's parameters are renamed to the helper's (decorators from hamilflow)."""

from hamilflow.function_modifiers import does

OUTPUTS = ["ratio"]
INPUTS = {"hits": 30, "attempts": 40}


def _divide(numerator: int, denominator: int) -> float:
    return numerator / denominator


@does(_divide, numerator="hits", denominator="attempts")
def ratio(hits: int, attempts: int) -> float:
    pass
