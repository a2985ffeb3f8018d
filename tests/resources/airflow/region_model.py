"""The model a subdag runs once per region."""

import pandas as pd


def region_total(region_sales: pd.Series) -> float:
    return float(region_sales.sum())


def region_score(region_total: float, region_sales: pd.Series) -> float:
    return region_total / max(len(region_sales), 1)
