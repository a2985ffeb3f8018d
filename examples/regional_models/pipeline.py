"""One demand model per region: a `@subdag` reused for every item of a `Parallelizable[]` block.

`demand` stands for a warehouse table: 30 weeks of demand per region, generated from a
formula and a fixed seed so every run agrees. `region` fans out over its columns; for each
region, `region_demand` picks the region's series and `region_forecast` runs the model of
`forecast.py` on it as a subdag: its nodes live in the `region_forecast` namespace
(`region_forecast.fitted`, `region_forecast.holdout_error`, ...), and on Airflow they run
inside the mapped task of the block, once per region. `forecast_table` collects the regions.

The `model` config entry picks the model variant inside the subdag (`@config.when` in
`forecast.py`): `moving_average` or `trend`. Outside the block, `@parameterized_subdag`
runs the same model module twice on the company's total demand, once per variant, each in
a namespace of its own and each with its own config; `model_comparison` sets the chosen
variant beside both benchmark errors, so a reviewer can see whether the choice still holds.
"""

import random

import numpy as np
import pandas as pd
from hamilton.function_modifiers import parameterized_subdag, source, subdag, value
from hamilton.htypes import Collect, Parallelizable

from examples.regional_models import forecast

# (level, weekly growth, seasonal amplitude) of each region's demand
PROFILES = {
    "north": (120.0, 1.5, 15.0),
    "south": (200.0, -0.8, 30.0),
    "east": (80.0, 0.4, 5.0),
    "west": (150.0, 2.5, 20.0),
}
HOLDOUT_WEEKS = 6


def demand(weeks: int = 30) -> pd.DataFrame:
    """Weekly demand per region (one column each): level, growth, a 13-week season and seeded noise."""
    rng = random.Random(13)
    week = np.arange(1, weeks + 1)
    season = np.sin(2 * np.pi * week / 13)
    columns = {}
    for name, (level, growth, amplitude) in PROFILES.items():
        noise = np.array([rng.gauss(0, 4) for _ in week])
        columns[name] = np.round(level + growth * week + amplitude * season + noise, 1)
    return pd.DataFrame(columns, index=pd.Index(week, name="week"))


def region(demand: pd.DataFrame) -> Parallelizable[str]:
    """Each region of the demand table: what follows runs once per region."""
    yield from demand.columns


def region_demand(region: str, demand: pd.DataFrame) -> pd.Series:
    """One region's weekly demand."""
    return demand[region]


@subdag(
    forecast,
    inputs={"history": source("region_demand"), "horizon": value(4)},
    config={"holdout_weeks": HOLDOUT_WEEKS},
    external_inputs=["region"],
)
def region_forecast(region: str, fitted: dict, holdout_error: float, forecast: pd.Series) -> dict:
    """The region's model, its error on the holdout weeks and its forecast, as one record."""
    return {
        "region": region,
        "model": fitted["kind"],
        "error_pct": holdout_error,
        **{f"week_{week}": demand for week, demand in forecast.items()},
    }


def forecast_table(region_forecast: Collect[dict]) -> pd.DataFrame:
    """Every region's record, one row each, in the order of the regions."""
    return pd.DataFrame(list(region_forecast)).set_index("region")


def total_demand(demand: pd.DataFrame) -> pd.Series:
    """The company's weekly demand: all regions together."""
    return demand.sum(axis=1)


@parameterized_subdag(
    forecast,
    inputs={"history": source("total_demand"), "horizon": value(4)},
    moving_average_benchmark={"config": {"model": "moving_average", "holdout_weeks": HOLDOUT_WEEKS}},
    trend_benchmark={"config": {"model": "trend", "holdout_weeks": HOLDOUT_WEEKS}},
)
def benchmark(holdout_error: float) -> float:
    """One variant's holdout error on the total demand, in percent."""
    return holdout_error


def model_comparison(model: str, moving_average_benchmark: float, trend_benchmark: float) -> dict:
    """The configured variant beside both variants' errors on the total, and which one is better there."""
    errors = {"moving_average": moving_average_benchmark, "trend": trend_benchmark}
    return {"chosen": model, "errors_pct": errors, "best_on_total": min(errors, key=errors.get)}
