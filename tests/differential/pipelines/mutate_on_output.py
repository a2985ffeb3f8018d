"""apply_to().on_output() mutates only one column produced by extract_columns."""

import pandas as pd
from hamilton.function_modifiers import apply_to, extract_columns, mutate

OUTPUTS = ["celsius", "station"]


@extract_columns("celsius", "station")
def weather() -> pd.DataFrame:
    return pd.DataFrame({"celsius": [10.0, 20.0], "station": ["a", "b"]})


@mutate(apply_to(weather).on_output("celsius"))
def _to_fahrenheit(series: pd.Series) -> pd.Series:
    return series * 9 / 5 + 32
