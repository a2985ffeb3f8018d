"""from_.csv replaces the node a block expands over; to.json saves what the collector gathered."""

import pandas as pd
from hamilton.htypes import Collect, Parallelizable
from hamilton.io.materialization import from_, to

OUTPUTS = ["by_city"]
WRITES = ["by_city.json"]


def _prepare(folder):
    pd.DataFrame({"city": ["oslo", "rome", "oslo", "lima"], "sales": [3, 4, 5, 6]}).to_csv(
        folder / "s.csv", index=False
    )
    return {}


def sales() -> pd.DataFrame:
    raise AssertionError("replaced by the loader")


def city_sales(sales: pd.DataFrame) -> Parallelizable[tuple]:
    for city, group in sales.groupby("city", sort=True):
        yield city, int(group["sales"].sum())


def labelled(city_sales: tuple) -> str:
    return f"{city_sales[0]}={city_sales[1]}"


def by_city(labelled: Collect[str]) -> dict:
    return {"cities": list(labelled)}


def _materializers(folder):
    return [
        from_.csv(target="sales", path=str(folder / "s.csv")),
        to.json(id="by_city_json", dependencies=["by_city"], path=str(folder / "by_city.json")),
    ]
