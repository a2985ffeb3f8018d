"""subdag runs a group of functions under a namespace, with its input wired from an outer node."""

from hamilton.function_modifiers import source, subdag

OUTPUTS = ["cleaned_total", "raw_total"]
INPUTS = {"raw": [3, -1, 4, -1, 5]}
AIRFLOW = True


def positives(values: list) -> list:
    return [v for v in values if v > 0]


def positive_sum(positives: list) -> int:
    return sum(positives)


@subdag(positives, positive_sum, inputs={"values": source("raw")})
def cleaned_total(positive_sum: int) -> int:
    return positive_sum


def raw_total(raw: list) -> int:
    return sum(raw)
