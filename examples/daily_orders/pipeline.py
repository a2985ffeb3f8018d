"""The day's orders, summed per product and published to the warehouse: an Airflow Asset.

`data_interval_start` comes from the Airflow run, so each day's run publishes that day's
file, `<warehouse>/daily_orders/<day>.json`. The task that writes it declares the Asset
`file:///tmp/hamilflow-warehouse/daily_orders` (`@tag(airflow_asset=...)`), so Airflow
records an asset event when it succeeds, and the `orders_report` DAG, scheduled on that
Asset, runs after each publication. The orders are generated from the date, standing in
for a query.
"""

import datetime
import json
import random
from pathlib import Path

from hamilton.function_modifiers import tag

PRODUCTS = ["tea", "coffee", "cocoa"]
WAREHOUSE = "/tmp/hamilflow-warehouse"
ASSET = f"file://{WAREHOUSE}/daily_orders"


def orders(data_interval_start: datetime.datetime, orders_per_day: int = 30) -> list[dict]:
    """The day's orders (product, amount), seeded by the date so reruns agree."""
    rng = random.Random(data_interval_start.date().toordinal())
    return [{"product": rng.choice(PRODUCTS), "amount": round(rng.uniform(2, 20), 2)} for _ in range(orders_per_day)]


def revenue_by_product(orders: list[dict]) -> dict[str, float]:
    """Revenue of the day per product."""
    totals = dict.fromkeys(PRODUCTS, 0.0)
    for order in orders:
        totals[order["product"]] = round(totals[order["product"]] + order["amount"], 2)
    return totals


@tag(airflow_asset=ASSET)
def published(
    revenue_by_product: dict[str, float], data_interval_start: datetime.datetime, warehouse: str = WAREHOUSE
) -> str:
    """The day's revenue, written to the warehouse as `daily_orders/<day>.json`; returns the file's path."""
    path = Path(warehouse) / "daily_orders" / f"{data_interval_start.date().isoformat()}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(revenue_by_product, sort_keys=True))
    tmp.replace(path)  # whole or absent: the report never reads half a day
    return str(path)
