"""Revenue to date, from every day the `daily_orders` DAG published to the warehouse.

Scheduled on the Asset `file:///tmp/hamilflow-warehouse/daily_orders` (in pyproject.toml:
`schedule = ["file:///tmp/hamilflow-warehouse/daily_orders"]`): Airflow runs it after each
successful publication, with no time schedule of its own.
"""

import json
from pathlib import Path

WAREHOUSE = "/tmp/hamilflow-warehouse"


def daily_files(warehouse: str = WAREHOUSE) -> list[str]:
    """The published days, oldest first."""
    return sorted(str(p) for p in (Path(warehouse) / "daily_orders").glob("*.json"))


def revenue_to_date(daily_files: list[str]) -> dict[str, float]:
    """Revenue per product over every published day."""
    totals: dict[str, float] = {}
    for path in daily_files:
        for product, amount in json.loads(Path(path).read_text()).items():
            totals[product] = round(totals.get(product, 0.0) + amount, 2)
    return totals


def report(revenue_to_date: dict[str, float], daily_files: list[str]) -> str:
    """One line per product, over the days published so far."""
    days = [Path(p).stem for p in daily_files]
    span = f"{days[0]} to {days[-1]}" if days else "no day yet"
    lines = [f"{product}: {amount:.2f}" for product, amount in sorted(revenue_to_date.items())]
    return "\n".join([f"revenue over {len(days)} day(s), {span}", *lines])
