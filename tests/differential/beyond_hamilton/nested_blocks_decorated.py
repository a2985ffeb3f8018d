"""A block nested in a block, with decorated nodes at both levels (Hamilton supports one level)."""

from hamilton.function_modifiers import extract_fields, parameterize, tag, value
from hamilton.htypes import Collect, Parallelizable

OUTPUTS = ["report", "region_count"]
INPUTS = {"stores": {"north": ["oslo", "bergen"], "south": ["rome"]}}
EXPECTED = {"report": {"north": 20, "south": 8}, "region_count": 2}


def region(stores: dict) -> Parallelizable[str]:
    yield from sorted(stores)


@tag(level="outer")
def store(region: str, stores: dict) -> Parallelizable[str]:
    yield from stores[region]


@parameterize(store_sales={"per_letter": value(2)})
def sales(store: str, per_letter: int) -> int:
    return len(store) * per_letter


@extract_fields({"region_name": str, "region_total": int})
def region_summary(region: str, store_sales: Collect[int]) -> dict:
    return {"region_name": region, "region_total": sum(store_sales)}


def region_line(region_name: str, region_total: int) -> tuple:
    return (region_name, region_total)


def report(region_line: Collect[tuple]) -> dict:
    return dict(region_line)


def region_count(report: dict) -> int:
    return len(report)
