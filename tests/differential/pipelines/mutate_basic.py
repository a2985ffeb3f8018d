"""mutate applies a transform, defined after it, to the output of another function of the module."""

from hamilton.function_modifiers import mutate

OUTPUTS = ["readings", "mean_reading"]
INPUTS = {"raw_readings": [4, -1, 6, -3]}
AIRFLOW = True


def readings(raw_readings: list) -> list:
    return list(raw_readings)


def mean_reading(readings: list) -> float:
    return sum(readings) / len(readings)


@mutate(readings)
def _clip_negative(values: list) -> list:
    return [max(v, 0) for v in values]
