"""Two blocks one after the other: the second fans out over what the first collected, with decorated nodes."""

from hamilton.function_modifiers import extract_fields, tag
from hamilton.htypes import Collect, Parallelizable

OUTPUTS = ["grand_total", "spread"]
INPUTS = {"groups": [[1, 2], [3, 4, 5]]}
AIRFLOW = True


def group_item(groups: list) -> Parallelizable[list]:
    yield from groups


@tag(stage="first")
def group_sum(group_item: list) -> int:
    return sum(group_item)


def _sorted(values: list) -> list:
    return sorted(values)


def sums(group_sum: Collect[int]) -> list:
    return _sorted(group_sum)


def total_item(sums: list) -> Parallelizable[int]:
    yield from sums


@tag(stage="second")
def doubled_total(total_item: int) -> int:
    return total_item * 2


@extract_fields({"grand_total": int, "spread": int})
def overview(doubled_total: Collect[int]) -> dict:
    return {"grand_total": sum(doubled_total), "spread": max(doubled_total) - min(doubled_total)}
