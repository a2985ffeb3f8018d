"""Shared helpers another pipeline module imports: they are nodes only of this module."""

import pandas as pd


def doubled_spend(spend: pd.Series) -> pd.Series:
    """Twice the spend (a node when *this* module is crawled)."""
    return spend * 2
