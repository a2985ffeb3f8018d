"""@dataloader: a function that returns (data, metadata) is a loader; downstream reads the data."""

import pandas as pd
from hamilton.function_modifiers import dataloader

OUTPUTS = ["orders", "order_total"]
WRITES = []


def _prepare(folder):
    pd.DataFrame({"id": [1, 2, 3], "amount": [9.5, 0.5, 10.0]}).to_csv(folder / "orders.csv", index=False)
    return {"orders_path": str(folder / "orders.csv")}


@dataloader()
def orders(orders_path: str) -> tuple[pd.DataFrame, dict]:
    frame = pd.read_csv(orders_path)
    return frame, {"rows": len(frame), "source": "csv"}


def order_total(orders: pd.DataFrame) -> float:
    return float(orders["amount"].sum())
