"""Two config.when variants of a DataFrame function, each exploded into the same columns."""

import pandas as pd
from hamilton.function_modifiers import config, extract_columns

OUTPUTS = ["height", "weight", "bmi"]
CONFIG = {"units": "metric"}


@extract_columns("height", "weight")
@config.when(units="metric")
def people__metric() -> pd.DataFrame:
    return pd.DataFrame({"height": [1.8, 1.6], "weight": [81.0, 64.0]})


@extract_columns("height", "weight")
@config.when(units="imperial")
def people__imperial() -> pd.DataFrame:
    return pd.DataFrame({"height": [70.9, 63.0], "weight": [178.6, 141.1]})


def bmi(height: pd.Series, weight: pd.Series) -> pd.Series:
    return weight / height**2
