"""parameterize with source(): each generated node reads a different upstream node for the same parameter."""

from hamilton.function_modifiers import parameterize, source

OUTPUTS = ["morning_total", "evening_total"]
INPUTS = {"morning": [1, 2], "evening": [10, 20, 30]}


@parameterize(morning_total={"readings": source("morning")}, evening_total={"readings": source("evening")})
def total(readings: list) -> int:
    return sum(readings)
