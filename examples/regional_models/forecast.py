"""One region's demand model: the functions `@subdag` reuses once per region.

Given `history` (weekly demand), `holdout_weeks` and `horizon`, it fits a model on all but
the last `holdout_weeks` weeks, measures its error on those weeks, and forecasts the
`horizon` weeks after the history. The model variant is chosen by the `model` config
entry with `@config.when`: a flat moving average, or a linear trend.

Inside a subdag every node gets the subdag's namespace (`region_forecast.fitted`, ...), so
the same functions can be reused as many times as needed, for each region or each variant.
"""

import numpy as np
import pandas as pd
from hamilton.function_modifiers import config

WINDOW = 8  # weeks the moving average looks back


def training(history: pd.Series, holdout_weeks: int) -> pd.Series:
    """The weeks the model is fitted on: all but the last `holdout_weeks`."""
    return history.iloc[:-holdout_weeks]


def holdout(history: pd.Series, holdout_weeks: int) -> pd.Series:
    """The last `holdout_weeks` weeks, kept aside to measure the model."""
    return history.iloc[-holdout_weeks:]


@config.when(model="moving_average")
def fitted__moving_average(training: pd.Series) -> dict:
    """A flat forecast: the mean of the last weeks of training."""
    return {"kind": "moving_average", "level": float(training.iloc[-WINDOW:].mean()), "slope": 0.0}


@config.when(model="trend")
def fitted__trend(training: pd.Series) -> dict:
    """A straight line through the training weeks, continued from its last week."""
    weeks = np.arange(len(training), dtype=float)
    slope, intercept = np.polyfit(weeks, training.to_numpy(dtype=float), 1)
    return {"kind": "trend", "level": float(intercept + slope * weeks[-1]), "slope": float(slope)}


def _extend(fitted: dict, steps: np.ndarray) -> np.ndarray:
    """The model's prediction `steps` weeks after the end of training."""
    return fitted["level"] + fitted["slope"] * steps


def backtest(fitted: dict, holdout: pd.Series) -> pd.Series:
    """What the model predicts for the holdout weeks."""
    return pd.Series(_extend(fitted, np.arange(1, len(holdout) + 1)), index=holdout.index)


def holdout_error(backtest: pd.Series, holdout: pd.Series) -> float:
    """Mean absolute percentage error on the holdout weeks."""
    return round(float((backtest - holdout).abs().div(holdout).mean() * 100), 2)


def forecast(fitted: dict, holdout: pd.Series, horizon: int) -> pd.Series:
    """Demand for the `horizon` weeks after the history."""
    steps = np.arange(len(holdout) + 1, len(holdout) + horizon + 1)
    last_week = int(holdout.index[-1])
    return pd.Series(_extend(fitted, steps), index=range(last_week + 1, last_week + horizon + 1)).round(1)
