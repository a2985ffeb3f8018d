"""@save_to.csv: the saver is a node named by output_name_, whose value is the saver's metadata."""

import pandas as pd
from hamilton.function_modifiers import save_to, source

OUTPUTS = ["scaled", "scaled_csv"]
WRITES = ["scaled.csv"]


def _prepare(folder):
    return {"out_path": str(folder / "scaled.csv"), "factor": 3}


def base() -> pd.DataFrame:
    return pd.DataFrame({"a": [1, 2, 3]})


@save_to.csv(path=source("out_path"), output_name_="scaled_csv")
def scaled(base: pd.DataFrame, factor: int) -> pd.DataFrame:
    return base * factor
