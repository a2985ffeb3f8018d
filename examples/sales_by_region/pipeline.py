"""Sales per region, the pandas split-apply-combine way: split by region, apply per region, combine a report.

`sales` stands for a warehouse query: two weeks of daily units, revenue and cost per store
and channel, generated from a fixed seed so every run agrees. Two `@mutate` steps, written
beside it as private functions, add a margin column and drop idle rows before anything
reads `sales`.

- **split**: `calendar` returns a dict whose fields `@extract_fields` turns into nodes
  (`regions`, `period`), labelled with `@tag_outputs`; `region` fans out over the regions
  (`Parallelizable[str]`).
- **apply**: per region, `region_sales` filters the rows, and `region_trend` is fed through
  two `@pipe_input` steps (daily revenue, then a rolling mean) before it computes the trend.
  These run once per region, on Airflow as one mapped task instance per region.
- **combine**: `regional_report` collects the regions' summaries (`Collect[dict]`), ranks
  them and adds each region's share of revenue through `@pipe_output` steps, and declares
  its columns with `@schema.output`.

Alongside, without fanning out, `@parameterize_extract_columns` makes per-channel totals
(`online_units`, `online_revenue`, `store_units`, `store_revenue`) from one function, and
`@inject(revenues=group(...))` hands both revenue series to `channel_mix` as one list.

This module imports its decorators from `hamilflow.function_modifiers`, which re-exports
Hamilton's own: the same module runs unchanged on Apache Hamilton's driver.
"""

import datetime
import random

import pandas as pd
from hamilton.htypes import Collect, Parallelizable

from hamilflow.function_modifiers import (
    ParameterizedExtract,
    extract_fields,
    group,
    inject,
    mutate,
    parameterize_extract_columns,
    pipe_input,
    pipe_output,
    schema,
    source,
    step,
    tag_outputs,
    value,
)

STORES = {"north": ["oslo", "bergen"], "south": ["rome", "naples", "bari"], "east": ["vienna"], "west": ["lisbon"]}
PRICES = {"online": 11.0, "store": 13.5}
FIRST_DAY = datetime.date(2024, 3, 1)


def sales(days: int = 14) -> pd.DataFrame:
    """Daily units, revenue and cost per store and channel, from a fixed seed (stands in for a query)."""
    rng = random.Random(20240301)
    rows = []
    for offset in range(days):
        day = pd.Timestamp(FIRST_DAY + datetime.timedelta(days=offset))
        for region, stores in STORES.items():
            for store in stores:
                for channel, price in PRICES.items():
                    units = rng.randint(0, 30)
                    revenue = round(units * price, 2)
                    cost = round(revenue * rng.uniform(0.5, 0.8), 2)
                    rows.append((day, region, store, channel, units, revenue, cost))
    return pd.DataFrame(rows, columns=["day", "region", "store", "channel", "units", "revenue", "cost"])


@mutate(sales)
def _margin(sales: pd.DataFrame) -> pd.DataFrame:
    """Adds each row's margin: revenue minus cost."""
    return sales.assign(margin=(sales["revenue"] - sales["cost"]).round(2))


@mutate(sales, min_units=value(1))
def _active_rows(sales: pd.DataFrame, min_units: int) -> pd.DataFrame:
    """Drops store-days of a channel that sold fewer than `min_units` units."""
    return sales[sales["units"] >= min_units].reset_index(drop=True)


@tag_outputs(regions={"role": "partition"}, period={"role": "label"})
@extract_fields({"regions": list, "period": str})
def calendar(sales: pd.DataFrame) -> dict:
    """The regions that sold in the period, and the period as a label."""
    first, last = sales["day"].min(), sales["day"].max()
    return {"regions": sorted(sales["region"].unique()), "period": f"{first:%Y-%m-%d} to {last:%Y-%m-%d}"}


@parameterize_extract_columns(
    ParameterizedExtract(("online_units", "online_revenue"), {"channel": value("online")}),
    ParameterizedExtract(("store_units", "store_revenue"), {"channel": value("store")}),
)
def channel_totals(sales: pd.DataFrame, channel: str) -> pd.DataFrame:
    """Units and revenue per region for one sales channel."""
    totals = sales[sales["channel"] == channel].groupby("region")[["units", "revenue"]].sum()
    return totals.rename(columns=lambda column: f"{channel}_{column}")


@inject(revenues=group(source("online_revenue"), source("store_revenue")))
def channel_mix(revenues: list[pd.Series]) -> pd.DataFrame:
    """Each channel's share of every region's revenue."""
    table = pd.concat(revenues, axis=1).fillna(0.0)
    return table.div(table.sum(axis=1), axis=0).round(3)


def region(regions: list) -> Parallelizable[str]:
    """Each region that sold in the period: what follows runs once per region."""
    yield from regions


def region_sales(region: str, sales: pd.DataFrame) -> pd.DataFrame:
    """The rows of one region."""
    return sales[sales["region"] == region]


def _daily_revenue(rows: pd.DataFrame) -> pd.Series:
    """Revenue per day, all stores and channels together."""
    return rows.groupby("day")["revenue"].sum()


def _rolling_mean(daily: pd.Series, window: int) -> pd.Series:
    """The mean over the last `window` days (fewer at the start)."""
    return daily.rolling(window, min_periods=1).mean()


@pipe_input(step(_daily_revenue), step(_rolling_mean, window=value(7)).named("smoothed"))
def region_trend(region_sales: pd.Series) -> float:
    """Change of the region's 7-day average revenue over the period, in percent."""
    first, last = float(region_sales.iloc[0]), float(region_sales.iloc[-1])
    return round(100.0 * (last - first) / first, 1) if first else 0.0


def region_summary(region: str, region_sales: pd.DataFrame, region_trend: float) -> dict:
    """One line of the report: the region's stores, units, revenue, margin and trend."""
    return {
        "region": region,
        "stores": int(region_sales["store"].nunique()),
        "units": int(region_sales["units"].sum()),
        "revenue": round(float(region_sales["revenue"].sum()), 2),
        "margin": round(float(region_sales["margin"].sum()), 2),
        "trend_pct": region_trend,
    }


def _ranked(report: pd.DataFrame, by: str) -> pd.DataFrame:
    """Rows sorted by `by`, largest first, numbered from 1."""
    ranked = report.sort_values(by, ascending=False, ignore_index=True)
    return ranked.assign(rank=range(1, len(ranked) + 1))


def _revenue_share(report: pd.DataFrame) -> pd.DataFrame:
    """Adds each row's share of total revenue."""
    total = report["revenue"].sum()
    return report.assign(revenue_share=(report["revenue"] / total).round(3) if total else 0.0)


@schema.output(
    ("region", "str"),
    ("stores", "int"),
    ("units", "int"),
    ("revenue", "float"),
    ("margin", "float"),
    ("trend_pct", "float"),
    ("rank", "int"),
    ("revenue_share", "float"),
)
@pipe_output(step(_ranked, by=value("revenue")), step(_revenue_share))
def regional_report(region_summary: Collect[dict]) -> pd.DataFrame:
    """The regions' summaries as one table, ranked by revenue, with each region's share."""
    return pd.DataFrame(list(region_summary))
