"""resolve at CONFIG_AVAILABLE builds extract_columns from the column names listed in the config."""

import pandas as pd
from hamilton.function_modifiers import ResolveAt, extract_columns, resolve

OUTPUTS = ["a", "c"]
CONFIG = {"hamilton.enable_power_user_mode": True, "columns": ["a", "b", "c"]}
AIRFLOW = True


@resolve(when=ResolveAt.CONFIG_AVAILABLE, decorate_with=lambda columns: extract_columns(*columns))
def table() -> pd.DataFrame:
    return pd.DataFrame({"a": [1, 2], "b": [3, 4], "c": [5, 6]})
