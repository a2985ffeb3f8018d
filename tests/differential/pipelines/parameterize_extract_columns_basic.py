"""parameterize_extract_columns: several parameterizations of a DataFrame function, each exploded into columns."""

import pandas as pd
from hamilton.function_modifiers import ParameterizedExtract, parameterize_extract_columns, value

OUTPUTS = ["x_small", "y_small", "x_big", "y_big"]


@parameterize_extract_columns(
    ParameterizedExtract(("x_small", "y_small"), {"scale": value(1)}),
    ParameterizedExtract(("x_big", "y_big"), {"scale": value(100)}),
)
def points(scale: int) -> pd.DataFrame:
    return pd.DataFrame({"x": [1 * scale, 2 * scale], "y": [3 * scale, 4 * scale]})
