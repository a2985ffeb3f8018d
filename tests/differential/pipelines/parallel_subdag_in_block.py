"""A subdag inside a Parallelizable block runs once per item, and its results are collected."""

from hamilton.function_modifiers import source, subdag
from hamilton.htypes import Collect, Parallelizable

OUTPUTS = ["totals"]
INPUTS = {"baskets": [[1, 2], [3], [4, 5, 6]]}
AIRFLOW = True


def basket(baskets: list) -> Parallelizable[list]:
    yield from baskets


def item_count(items: list) -> int:
    return len(items)


def item_sum(items: list) -> int:
    return sum(items)


@subdag(item_count, item_sum, inputs={"items": source("basket")})
def basket_summary(item_count: int, item_sum: int) -> str:
    return f"{item_sum}/{item_count}"


def totals(basket_summary: Collect[str]) -> list:
    return list(basket_summary)
