"""A small marketing pipeline, the way a data team would write it."""

import pandas as pd

from tests.resources.core.helpers import doubled_spend  # noqa: F401 - imported, so not a node here

TAX_RATE = 0.2  # module constants are not nodes


def spend_per_signup(spend: pd.Series, signups: pd.Series) -> pd.Series:
    """Marketing spend divided by signups."""
    return spend / signups


def avg_spend(spend: pd.Series, window: int = 2) -> pd.Series:
    """Rolling average of the spend over ``window`` weeks."""
    return spend.rolling(window).mean()


def spend_mean(spend: pd.Series) -> float:
    return float(spend.mean())


def spend_zero_mean(spend: pd.Series, spend_mean: float) -> pd.Series:
    return spend - spend_mean


def spend_with_tax(spend: pd.Series) -> pd.Series:
    return _with_tax(spend)


def _with_tax(values: pd.Series) -> pd.Series:
    """Private helper: not a node."""
    return values * (1 + TAX_RATE)
