"""A block fans out over a column that extract_columns produced, and collects per-row results."""

import pandas as pd
from hamilton.function_modifiers import extract_columns
from hamilton.htypes import Collect, Parallelizable

OUTPUTS = ["labels"]


@extract_columns("sku", "qty")
def stock() -> pd.DataFrame:
    return pd.DataFrame({"sku": ["a", "b", "c"], "qty": [3, 0, 7]})


def sku_item(sku: pd.Series) -> Parallelizable[str]:
    yield from sku.tolist()


def sku_label(sku_item: str) -> str:
    return f"sku-{sku_item}"


def labels(sku_label: Collect[str]) -> list:
    return list(sku_label)
