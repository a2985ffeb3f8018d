"""Hamilton decorators that make namespaced nodes: a subdag reused per region, piped steps, a checked output."""

import pandas as pd
from hamilton.function_modifiers import check_output, extract_columns, pipe_input, source, step, subdag, value

from tests.resources.airflow import region_model


def sales(rows: int = 4) -> pd.DataFrame:
    """Sales by region."""
    return pd.DataFrame({"north": [float(i) for i in range(rows)], "south": [2.0 * i for i in range(rows)]})


@extract_columns("north", "south")
def by_region(sales: pd.DataFrame) -> pd.DataFrame:
    return sales


def _scale(x: float, factor: float) -> float:
    return x * factor


def _shift(x: float, by: float) -> float:
    return x + by


@subdag(region_model, inputs={"region_sales": source("north")}, config={})
def north_model(region_score: float) -> float:
    return region_score


@subdag(region_model, inputs={"region_sales": source("south")}, config={})
def south_model(region_score: float) -> float:
    return region_score


@pipe_input(step(_scale, factor=value(10.0)), step(_shift, by=source("south_model")).named("shifted"))
@check_output(range=(0.0, 10_000.0), importance="warn")
def report(north_model: float) -> float:
    return round(north_model, 3)
