"""@load_from.csv with the path from an input (source): the function receives the loaded frame."""

import pandas as pd
from hamilton.function_modifiers import load_from, source

OUTPUTS = ["cleaned", "cleaned_rows"]
WRITES = []


def _prepare(folder):
    pd.DataFrame({"a": [1.0, None, 3.0], "b": ["x", "y", None]}).to_csv(folder / "in.csv", index=False)
    return {"in_path": str(folder / "in.csv")}


@load_from.csv(path=source("in_path"))
def cleaned(data: pd.DataFrame) -> pd.DataFrame:
    return data.dropna().reset_index(drop=True)


def cleaned_rows(cleaned: pd.DataFrame) -> int:
    return len(cleaned)
