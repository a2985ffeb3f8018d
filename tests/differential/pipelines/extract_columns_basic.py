"""extract_columns turns each column of a DataFrame into its own node."""

import pandas as pd
from hamilton.function_modifiers import extract_columns

OUTPUTS = ["spend", "signups", "cost_per_signup"]
INPUTS = {"days": 3}
AIRFLOW = True


@extract_columns("spend", "signups")
def marketing(days: int) -> pd.DataFrame:
    return pd.DataFrame({"spend": [10.0 * (d + 1) for d in range(days)], "signups": [1, 4, 5][:days]})


def cost_per_signup(spend: pd.Series, signups: pd.Series) -> pd.Series:
    return spend / signups
