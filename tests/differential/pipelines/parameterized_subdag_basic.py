"""parameterized_subdag instantiates the same subdag several times with different inputs."""

from hamilton.function_modifiers import parameterized_subdag, source, value

OUTPUTS = ["small_report", "large_report"]
INPUTS = {"small_batch": [1, 2], "large_batch": [10, 20, 30]}
AIRFLOW = True


def batch_size(batch: list) -> int:
    return len(batch)


def batch_sum(batch: list) -> int:
    return sum(batch)


@parameterized_subdag(
    batch_size,
    batch_sum,
    small_report={"inputs": {"batch": source("small_batch"), "label": value("small")}},
    large_report={"inputs": {"batch": source("large_batch"), "label": value("large")}},
)
def report(batch_size: int, batch_sum: int, label: str) -> str:
    return f"{label}: {batch_sum}/{batch_size}"
