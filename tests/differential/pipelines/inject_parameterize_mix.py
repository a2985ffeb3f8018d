"""parameterize with group() and source() together on one function: fixed and varying parameters."""

from hamilton.function_modifiers import group, parameterize, source, value

OUTPUTS = ["weighted_q1", "weighted_q2"]
INPUTS = {"jan": 1.0, "feb": 2.0, "mar": 3.0, "apr": 4.0, "may": 5.0, "jun": 6.0}


@parameterize(
    weighted_q1={"months": group(source("jan"), source("feb"), source("mar")), "weight": value(0.5)},
    weighted_q2={"months": group(source("apr"), source("may"), source("jun")), "weight": value(2.0)},
)
def weighted(months: list[float], weight: float) -> float:
    return sum(months) * weight
