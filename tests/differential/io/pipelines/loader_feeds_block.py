"""@load_from.csv feeds a Parallelizable block: one item per row, collected in order."""

import pandas as pd
from hamilton.function_modifiers import load_from, source
from hamilton.htypes import Collect, Parallelizable

OUTPUTS = ["invoice_total", "lines"]
WRITES = []


def _prepare(folder):
    pd.DataFrame({"sku": ["a", "b", "c"], "qty": [2, 1, 5], "price": [1.5, 10.0, 0.2]}).to_csv(
        folder / "basket.csv", index=False
    )
    return {"basket_path": str(folder / "basket.csv")}


@load_from.csv(path=source("basket_path"))
def line(basket: pd.DataFrame) -> Parallelizable[dict]:
    yield from basket.to_dict("records")


def line_total(line: dict) -> float:
    return line["qty"] * line["price"]


def lines(line_total: Collect[float]) -> list:
    return list(line_total)


def invoice_total(lines: list) -> float:
    return round(sum(lines), 6)
