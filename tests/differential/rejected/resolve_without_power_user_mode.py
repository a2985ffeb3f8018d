"""resolve needs hamilton.enable_power_user_mode in the config; without it the graph is not built."""

import pandas as pd
from hamilton.function_modifiers import ResolveAt, extract_columns, resolve

OUTPUTS = ["a"]
CONFIG = {"columns": ["a", "b"]}
ERROR = "KeyError"
SAME_ERROR = False


@resolve(when=ResolveAt.CONFIG_AVAILABLE, decorate_with=lambda columns: extract_columns(*columns))
def table() -> pd.DataFrame:
    return pd.DataFrame({"a": [1], "b": [2]})
