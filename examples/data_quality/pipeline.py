"""Clean a month of orders, check them, and report revenue: data quality with Hamilton's decorators.

`raw_orders` reads the CSV shipped with the example (a few dozen made-up orders, with the
faults a real export has: duplicated rows, cancelled and returned orders, stray spaces and
capitals, a missing price, one bulk order of 120 units). The cleaning steps are written as
small private functions and chained onto `orders` with `@pipe_input`; `@extract_columns`
then makes each column a node of its own.

The checks are nodes too, so a run returns their results beside the metrics:

- `@check_output(range=..., importance="warn", target_="quantity")` flags unusual order sizes
  (the bulk order fails it: the run logs a warning and goes on);
- `@check_output(data_type=..., allow_nans=False, importance="fail")` on `amount` stops the run
  if cleaning ever lets through an order without a price;
- `@check_output_custom(MaxShareValidator(...))` is a validator of our own: it warns when one
  region or customer holds too large a share of revenue.

Each check adds a `<node>_<check>_validator` node whose value is a `ValidationResult`.
`@config.when` chooses whether amounts are converted to US dollars (`convert_currency`),
`@parameterize` makes one revenue breakdown per key from one function, `@does` reuses a
plain ratio function for the average order value, and `@tag` labels nodes for owners and
catalogs (tags named `airflow_<setting>` would also become Airflow task settings).
"""

from pathlib import Path

import numpy as np
import pandas as pd
from hamilton.data_quality.base import DataValidator, ValidationResult
from hamilton.function_modifiers import (
    check_output,
    check_output_custom,
    config,
    does,
    extract_columns,
    parameterize,
    pipe_input,
    source,
    step,
    tag,
    value,
)

DATA = Path(__file__).parent
# US dollars per unit of each currency, fixed for the month of the orders.
USD_PER = {"USD": 1.0, "EUR": 1.08, "GBP": 1.27}


class MaxShareValidator(DataValidator):
    """Passes when no single entry of a breakdown holds more than `max_share` of its total."""

    def __init__(self, max_share: float, importance: str):
        super().__init__(importance=importance)
        self.max_share = max_share

    def applies_to(self, datatype: type) -> bool:
        return issubclass(datatype, pd.Series)

    def description(self) -> str:
        return f"No single entry holds more than {self.max_share:.0%} of the total."

    @classmethod
    def name(cls) -> str:
        return "max_share_validator"

    def validate(self, dataset: pd.Series) -> ValidationResult:
        shares = dataset / dataset.sum() if dataset.sum() else dataset * 0.0
        top = str(shares.idxmax()) if len(shares) else None
        largest = float(shares.max()) if len(shares) else 0.0
        passes = largest <= self.max_share
        return ValidationResult(
            passes=passes,
            message=f"largest share is {top!r} with {largest:.1%} (limit {self.max_share:.0%})",
            diagnostics={"top": top, "share": round(largest, 4), "max_share": self.max_share},
        )


def _drop_duplicate_orders(orders: pd.DataFrame) -> pd.DataFrame:
    """Keep the first row of each order id (the export repeats some rows)."""
    return orders.drop_duplicates(subset="order_id", keep="first")


def _keep_statuses(orders: pd.DataFrame, statuses: tuple) -> pd.DataFrame:
    """Keep orders whose status counts as revenue."""
    return orders[orders["status"].isin(statuses)]


def _tidy_text(orders: pd.DataFrame) -> pd.DataFrame:
    """Trim and normalise the case of customer names, regions and currency codes."""
    return orders.assign(
        customer=orders["customer"].str.strip().str.title(),
        region=orders["region"].str.strip().str.lower(),
        currency=orders["currency"].str.strip().str.upper(),
    )


def _drop_unpriced(orders: pd.DataFrame) -> pd.DataFrame:
    """Drop orders without a unit price: they cannot be valued."""
    return orders.dropna(subset=["unit_price"])


def _ratio(numerator: float, denominator: float) -> float:
    """numerator / denominator, 0 when the denominator is 0."""
    return float(numerator / denominator) if denominator else 0.0


def raw_orders(orders_file: str = "orders.csv") -> pd.DataFrame:
    """The orders export as it arrives, read from the example's folder."""
    return pd.read_csv(DATA / orders_file)


@check_output(range=(1, 100), importance="warn", target_="quantity")
@extract_columns("order_id", "customer", "region", "quantity", "unit_price", "currency")
@pipe_input(
    step(_drop_duplicate_orders).named("deduplicated"),
    step(_keep_statuses, statuses=value(("shipped", "delivered"))).named("kept"),
    step(_tidy_text).named("tidied"),
    step(_drop_unpriced).named("priced"),
)
@tag(layer="clean", owner="data-quality")
def orders(raw_orders: pd.DataFrame) -> pd.DataFrame:
    """Orders fit to report on: deduplicated, revenue statuses only, tidy text, priced."""
    return raw_orders.reset_index(drop=True)


@config.when(convert_currency=True)
def usd_rate__converted(currency: pd.Series) -> pd.Series:
    """US dollars per unit of each order's currency."""
    return currency.map(USD_PER).astype(float)


@config.when_not(convert_currency=True)
def usd_rate__unconverted(currency: pd.Series) -> pd.Series:
    """1.0 for every order: amounts stay in the currency they were paid in."""
    return pd.Series(1.0, index=currency.index)


@check_output(data_type=np.float64, allow_nans=False, importance="fail")
def amount(quantity: pd.Series, unit_price: pd.Series, usd_rate: pd.Series) -> pd.Series:
    """Each order's value; every kept order must have one."""
    return (quantity * unit_price * usd_rate).round(2)


@check_output_custom(MaxShareValidator(max_share=0.6, importance="warn"))
@parameterize(
    revenue_by_region=({"key": source("region")}, "Revenue per region, largest first."),
    revenue_by_customer=({"key": source("customer")}, "Revenue per customer, largest first."),
)
def revenue_by(amount: pd.Series, key: pd.Series) -> pd.Series:
    """Revenue summed per value of `key`, largest first."""
    return amount.groupby(key).sum().round(2).sort_values(ascending=False)


@tag(owner="finance", kpi="true")
def total_revenue(amount: pd.Series) -> float:
    """Revenue of all kept orders."""
    return round(float(amount.sum()), 2)


@tag(owner="finance", kpi="true")
def order_count(order_id: pd.Series) -> int:
    """How many orders were kept."""
    return int(order_id.nunique())


@tag(owner="finance", kpi="true")
@does(_ratio, numerator="total_revenue", denominator="order_count")
def average_order_value(total_revenue: float, order_count: int) -> float:
    """Revenue per kept order."""
