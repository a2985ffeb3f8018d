"""check_output on a pandas Series: range and null checks (decorators from hamilflow)."""

import pandas as pd

from hamilflow.function_modifiers import check_output

OUTPUTS = ["temperatures"]
INPUTS = {"kelvin": [280.0, 290.5, 300.25]}


@check_output(range=(-50.0, 60.0), allow_nans=False, importance="fail")
def temperatures(kelvin: list) -> pd.Series:
    return pd.Series(kelvin) - 273.15
