"""A column extracted by extract_columns has the name of another function: a node defined twice."""

import pandas as pd
from hamilton.function_modifiers import extract_columns

OUTPUTS = ["total"]
ERROR = "ValueError"
SAME_ERROR = False


@extract_columns("total", "count")
def frame() -> pd.DataFrame:
    return pd.DataFrame({"total": [1], "count": [2]})


def total() -> int:
    return 3
