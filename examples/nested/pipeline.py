"""Two levels of Parallelizable: regions fan out to stores, each store's sales are summed.

For every region, `store` fans out again; `region_total` collects that region's stores
inside the outer block, and `report` collects the regions. Airflow has no nested
mapping: hamilflow flattens the inner block into one mapped task over (region, store).
"""

from hamilflow.htypes import Collect, Parallelizable

STORES = {"north": ["oslo", "bergen"], "south": ["rome", "naples", "bari"], "east": []}


def region(regions: list = ["north", "south", "east"]) -> Parallelizable[str]:  # noqa: B006
    """Each sales region."""
    yield from regions


def store(region: str) -> Parallelizable[str]:
    """Each store of one region (a region may have none)."""
    return STORES.get(region, [])


def store_sales(store: str, region: str) -> float:
    """A store's sales, derived from its name so runs agree."""
    return float(sum(map(ord, store)) % 97 + len(region))


def region_total(store_sales: Collect[float]) -> float:
    """Sales of one region: the collected stores."""
    return sum(store_sales)


def region_line(region: str, region_total: float) -> str:
    """A report line for the region."""
    return f"{region}: {region_total:.1f}"


def report(region_line: Collect[str], region_total: Collect[float]) -> dict:
    """All regions' lines and the grand total."""
    return {"lines": list(region_line), "total": sum(region_total)}
