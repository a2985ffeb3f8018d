"""pipe_output on an extract_columns function transforms every extracted column."""

import pandas as pd
from hamilton.function_modifiers import extract_columns, pipe_output, step, value

OUTPUTS = ["a", "b"]


def _add(series: pd.Series, amount: int) -> pd.Series:
    return series + amount


@pipe_output(step(_add, amount=value(1000)))
@extract_columns("a", "b")
def frame() -> pd.DataFrame:
    return pd.DataFrame({"a": [1, 2], "b": [3, 4]})
